"""Named models: the classic MNIST-row RNNs of the tutorials this project grew from.

Each preset is a network (a ModelConfig) and the recipe it was published with, written as
train.py settings, so `python train.py --preset NAME` reproduces it as published and
`python train.py --preset NAME --recipe default` trains the same network with this
project's own recipe. The trained weights live in weights/NAME.pt (published recipe) and
weights/NAME.default-recipe.pt (default recipe); weights/default.pt is the project's model.
"""
from dataclasses import dataclass
from pathlib import Path

from .model import ModelConfig
from .weights import DEFAULT_WEIGHTS

WEIGHTS_DIR = DEFAULT_WEIGHTS.parent

# What "as published" means for every tutorial: plain Adam at a constant learning rate on
# the raw MNIST images; none of the default recipe's extras (schedule, weight decay,
# clipping, label smoothing, EMA, augmentation, digits redrawn as the app draws them).
PLAIN = dict(optimizer="adam", schedule="constant", weight_decay=0.0, clip=0.0, label_smoothing=0.0, ema=0.0,
             augment=False, pen_fraction=0.0)


@dataclass(frozen=True)
class Preset:
    name: str
    config: ModelConfig
    published_recipe: dict  # train.py settings (argument names) of the published training
    published_accuracy: str  # as the tutorial reports it

    def weights_path(self, recipe: str = "published") -> Path:
        return WEIGHTS_DIR / (f"{self.name}.pt" if recipe == "published" else f"{self.name}.{recipe}-recipe.pt")

    def settings(self, recipe: str = "published") -> dict:
        """train.py settings for this network and recipe ("published" or "default")."""
        network = self.config.to_dict()
        network["layers"] = network.pop("num_layers")  # train.py's flag is --layers
        return {**network, **(self.published_recipe if recipe == "published" else {})}


PRESETS = {preset.name: preset for preset in [
    Preset("lstm64", ModelConfig("lstm", 64, 1), dict(PLAIN, lr=0.01, batch_size=64, epochs=1),
           "about 96-97%"),
    Preset("bilstm64", ModelConfig("lstm", 64, 1, bidirectional=True), dict(PLAIN, lr=1e-3, batch_size=32, epochs=30),
           "98.15%"),
    Preset("lstm128x2", ModelConfig("lstm", 128, 2), dict(PLAIN, lr=1e-3, batch_size=100, epochs=5),
           "98.17%"),
    Preset("rnn64", ModelConfig("rnn", 64, 1), dict(PLAIN, lr=0.01, batch_size=64, epochs=1),
           "none published"),
    # No tutorial to follow: the plain recipe of lstm128x2 (Adam 1e-3, batch 100, 5 epochs).
    Preset("gru128", ModelConfig("gru", 128, 1), dict(PLAIN, lr=1e-3, batch_size=100, epochs=5),
           "none published"),
]}
