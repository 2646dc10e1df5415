"""The per-row trace: what happens inside the recurrent cell at every row it reads.

`trace(model, images)` recomputes the network step by step with the cell's equations
written out, on the trained weights of the torch module, and keeps every intermediate
value, so the app can show them. Tests check that these hidden states equal the torch
module's outputs.

The LSTM (PyTorch's gate order i, f, g, o in the stacked weights):
    i_t = sigmoid(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)     input gate: how much to write
    f_t = sigmoid(W_if x_t + b_if + W_hf h_{t-1} + b_hf)     forget gate: how much to keep
    g_t =    tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)     candidate: what to write
    o_t = sigmoid(W_io x_t + b_io + W_ho h_{t-1} + b_ho)     output gate: how much to show
    c_t = f_t * c_{t-1} + i_t * g_t                          cell state: the memory
    h_t = o_t * tanh(c_t)                                    hidden state: what is passed on
The GRU:
    r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)     reset gate
    z_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)     update gate: how much to keep
    n_t =    tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))   candidate
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}
The plain RNN:
    h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
A bidirectional layer runs a second cell from the last row up to the first; its state at
row t has read rows t..27. Layer k > 0 reads the outputs of layer k-1 (both directions).
"""
from dataclasses import dataclass

import torch

from .model import RowClassifier

GATE_NAMES = {
    "lstm": ("input", "forget", "candidate", "output"),
    "gru": ("reset", "update", "candidate"),
    "rnn": (),
}


@dataclass
class RowTrace:
    """Every tensor is indexed (layer, direction, image, row, unit), rows aligned to the input."""
    hidden: torch.Tensor  # h_t
    cell: torch.Tensor | None  # c_t, LSTM only
    gates: dict[str, torch.Tensor]  # the cell's gate activations, see GATE_NAMES
    probs_per_row: torch.Tensor  # (image, row, class): the (calibrated) head applied to the output at each row

    @property
    def probs(self) -> torch.Tensor:
        """(image, class): the model's prediction, which reads the output at the last row."""
        return self.probs_per_row[:, -1]


def _lstm_step(x_proj, h, c, w_hh, b_hh):
    """One LSTM step; x_proj = W_ih x_t + b_ih precomputed for all rows."""
    i, f, g, o = (x_proj + h @ w_hh.T + b_hh).chunk(4, dim=-1)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    c = f * c + i * g
    h = o * torch.tanh(c)
    return h, c, {"input": i, "forget": f, "candidate": g, "output": o}


def _gru_step(x_proj, h, c, w_hh, b_hh):
    x_r, x_z, x_n = x_proj.chunk(3, dim=-1)
    h_r, h_z, h_n = (h @ w_hh.T + b_hh).chunk(3, dim=-1)
    r = torch.sigmoid(x_r + h_r)
    z = torch.sigmoid(x_z + h_z)
    n = torch.tanh(x_n + r * h_n)
    h = (1 - z) * n + z * h
    return h, None, {"reset": r, "update": z, "candidate": n}


def _rnn_step(x_proj, h, c, w_hh, b_hh, nonlinearity=torch.tanh):
    return nonlinearity(x_proj + h @ w_hh.T + b_hh), None, {}


def _run_direction(step, inputs, weights, hidden_size, reverse):
    """Run one cell over the rows of `inputs` (N, T, F); returns per-row h, c and gates."""
    w_ih, w_hh, b_ih, b_hh = weights
    x_proj = inputs @ w_ih.T + b_ih  # the input part of every gate, for all rows at once
    n, rows = inputs.shape[:2]
    h = inputs.new_zeros(n, hidden_size)
    c = inputs.new_zeros(n, hidden_size)
    hs, cs, gates = [None] * rows, [None] * rows, [None] * rows
    order = range(rows - 1, -1, -1) if reverse else range(rows)
    for t in order:
        h, c_new, gates[t] = step(x_proj[:, t], h, c, w_hh, b_hh)
        c = c_new if c_new is not None else c
        hs[t], cs[t] = h, c_new
    stack = lambda seq: torch.stack(seq, dim=1)  # noqa: E731  rows -> (N, T, H)
    gates = {name: stack([g[name] for g in gates]) for name in gates[0]}
    return stack(hs), (stack(cs) if cs[0] is not None else None), gates


@torch.no_grad()
def trace(model: RowClassifier, images: torch.Tensor) -> RowTrace:
    """Step through `model` on `images` ((N, 28, 28) in [0, 1]) and record every row."""
    config, rnn = model.config, model.rnn
    step = {"lstm": _lstm_step, "gru": _gru_step, "rnn": _rnn_step}[config.cell]
    if config.cell == "rnn" and rnn.nonlinearity == "relu":
        step = lambda *a: _rnn_step(*a, nonlinearity=torch.relu)  # noqa: E731
    layer_input = model.rows(images)
    hidden, cell, gates = [], [], []  # per layer, lists over directions
    for layer in range(config.num_layers):
        per_direction = []
        for direction in range(config.directions):
            suffix = f"_l{layer}" + ("_reverse" if direction else "")
            weights = [getattr(rnn, f"{name}{suffix}") for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            per_direction.append(_run_direction(step, layer_input, weights, config.hidden_size, reverse=bool(direction)))
        hidden.append(torch.stack([h for h, _, _ in per_direction]))
        if config.cell == "lstm":
            cell.append(torch.stack([c for _, c, _ in per_direction]))
        gates.append({name: torch.stack([g[name] for _, _, g in per_direction]) for name in GATE_NAMES[config.cell]})
        # The next layer reads both directions side by side, as nn.LSTM does.
        layer_input = torch.cat([h for h, _, _ in per_direction], dim=-1)
    probs_per_row = torch.softmax(model.logits(layer_input), dim=-1)  # calibrated, as the model's answer
    return RowTrace(
        hidden=torch.stack(hidden),
        cell=torch.stack(cell) if cell else None,
        gates={name: torch.stack([g[name] for g in gates]) for name in GATE_NAMES[config.cell]},
        probs_per_row=probs_per_row,
    )
