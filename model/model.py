"""The network: a recurrent classifier that reads a 28x28 digit one row at a time.

Each image is a sequence of 28 timesteps (its rows), each timestep 28 pixel values.
A recurrent cell (LSTM by default) carries a hidden state down the rows, and a linear
head reads the output at the last row. Inputs are MNIST-style: floats in [0, 1],
white ink on black, shaped (N, 28, 28) or (N, 1, 28, 28); normalisation happens here,
so callers never repeat it.
"""
from dataclasses import asdict, dataclass

import torch
from torch import nn

from .recipe import setting

ROWS = 28  # timesteps: one per image row
PIXELS_PER_ROW = 28  # features per timestep
NUM_CLASSES = 10
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081  # of the MNIST training pixels

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}
CELL_NAMES = {"lstm": "LSTM", "gru": "GRU", "rnn": "plain tanh RNN"}


@dataclass(frozen=True)
class ModelConfig:
    cell: str = setting("lstm", "recurrent cell: LSTM, GRU or plain tanh RNN", choices=tuple(CELLS))
    hidden_size: int = setting(128, "hidden units per layer (and per direction)")
    num_layers: int = setting(2, "stacked recurrent layers", flags=("--layers",))
    bidirectional: bool = setting(False, "a second cell reads the rows from the bottom up")
    dropout: float = setting(0.0, "dropout between stacked layers, during training only")
    standardise: bool = setting(True, "the model standardises its input pixels to MNIST's mean 0 / std 1 "
                                      "(--no-standardise: raw [0, 1] pixels, as some tutorials)")

    def __post_init__(self):
        if self.cell not in CELLS:
            raise ValueError(f"unknown cell {self.cell!r}; choose one of {sorted(CELLS)}")
        if self.hidden_size < 1 or self.num_layers < 1:
            raise ValueError("hidden_size and num_layers must be positive")

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        """In words, e.g. "2-layer LSTM, 128 units" or "1-layer bidirectional GRU, 64 units each way"."""
        cell = CELL_NAMES[self.cell]
        way = "bidirectional " if self.bidirectional else ""
        return f"{self.num_layers}-layer {way}{cell}, {self.hidden_size} units{' each way' if self.bidirectional else ''}"


class RowClassifier(nn.Module):
    def __init__(self, config: ModelConfig = ModelConfig()):
        super().__init__()
        self.config = config
        self.rnn = CELLS[config.cell](
            input_size=PIXELS_PER_ROW,
            hidden_size=config.hidden_size,
            num_layers=config.num_layers,
            bidirectional=config.bidirectional,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
            batch_first=True,
        )
        self.head = nn.Linear(config.hidden_size * config.directions, NUM_CLASSES)
        # Calibration (model/calibration.py): logits are divided by this temperature, fitted after
        # training on held-out writers' real pen digits, so that "90% sure" is right 90% of the time.
        # Stored in the weights file with the tensors; 1 (no change) during training.
        self.register_buffer("temperature", torch.tensor(1.0))
        self._register_load_state_dict_pre_hook(_temperature_defaults_to_one)
        self.metadata: dict = {}  # what train.py recorded with the weights (accuracy, date, ...); see load_model
        self.tensors_sha256: str | None = None  # the checksum its weights file was loaded with (model.export checks it)

    def rows(self, images: torch.Tensor) -> torch.Tensor:
        """(N, 28, 28) or (N, 1, 28, 28) images in [0, 1] -> (N, 28 rows, 28 pixels), standardised."""
        if images.dim() == 4 and images.shape[1] == 1:
            images = images[:, 0]
        if images.dim() != 3 or images.shape[1:] != (ROWS, PIXELS_PER_ROW):
            raise ValueError(f"expected images shaped (N, 28, 28) or (N, 1, 28, 28), got {tuple(images.shape)}")
        return (images.float() - MNIST_MEAN) / MNIST_STD if self.config.standardise else images.float()

    def logits(self, outputs: torch.Tensor) -> torch.Tensor:
        """The head on the cell's output(s), calibrated: (..., 10) logits whose softmax are the
        model's probabilities."""
        return self.head(outputs) / self.temperature

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Class logits (N, 10), from the output at the last row."""
        outputs, _ = self.rnn(self.rows(images))
        return self.logits(outputs[:, -1])

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())


def _temperature_defaults_to_one(state_dict, prefix, *args):
    """Weights saved before calibration existed have no temperature: theirs is 1 (no change)."""
    state_dict.setdefault(prefix + "temperature", torch.tensor(1.0))
