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

What if (`WhatIf`, the page's what-if panel; demo/engine/cells.js does the same): input rows
erased (x_t = 0), and from a row on, in each direction's reading order, the memory wiped once
(c = 0 going into that row; a GRU's or RNN's memory is h), forgetting everything (f_t = 0; a
GRU's z_t = 0) or keeping everything (f_t = 1; z_t = 1), or one unit silenced (its h_t = 0).
"""
from dataclasses import dataclass

import torch

from .model import RowClassifier

GATE_NAMES = {
    "lstm": ("input", "forget", "candidate", "output"),
    "gru": ("reset", "update", "candidate"),
    "rnn": (),
}


MEMORY_CHANGES = ("wipe", "forget", "keep")  # WhatIf.memory


@dataclass(frozen=True)
class WhatIf:
    """Interventions on one reading; rows 1..28 as the page says them."""
    erased_rows: tuple[int, ...] = ()  # input rows set to 0 (no ink)
    from_row: int | None = None  # where `memory` and `silenced` start
    memory: str | None = None  # one of MEMORY_CHANGES, or None
    silenced: tuple[int, int, int] | None = None  # (layer, direction, unit), 0-based: its h_t = 0

    def __post_init__(self):
        rows = (*self.erased_rows, *([self.from_row] if self.from_row is not None else []))
        if any(not isinstance(row, int) or not 1 <= row <= 28 for row in rows):
            raise ValueError("what-if rows are 1..28")
        if self.memory not in (None, *MEMORY_CHANGES):
            raise ValueError(f"what-if memory is one of {', '.join(MEMORY_CHANGES)}")
        if (self.memory or self.silenced) and self.from_row is None:
            raise ValueError("a what-if on the state needs the row it starts from")

    def changes_state(self, t: int, reverse: bool) -> bool:
        """Whether row t (0-based) is at or after from_row in this direction's reading order."""
        start = None if self.from_row is None else self.from_row - 1
        return start is not None and (t <= start if reverse else t >= start)


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


def _lstm_step(x_proj, h, c, w_hh, b_hh, keep=None):
    """One LSTM step; x_proj = W_ih x_t + b_ih precomputed for all rows; `keep`: the forget
    gate's value when a what-if sets it."""
    i, f, g, o = (x_proj + h @ w_hh.T + b_hh).chunk(4, dim=-1)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    if keep is not None:
        f = torch.full_like(f, keep)
    c = f * c + i * g
    h = o * torch.tanh(c)
    return h, c, {"input": i, "forget": f, "candidate": g, "output": o}


def _gru_step(x_proj, h, c, w_hh, b_hh, keep=None):
    x_r, x_z, x_n = x_proj.chunk(3, dim=-1)
    h_r, h_z, h_n = (h @ w_hh.T + b_hh).chunk(3, dim=-1)
    r = torch.sigmoid(x_r + h_r)
    z = torch.sigmoid(x_z + h_z) if keep is None else torch.full_like(h_z, keep)
    n = torch.tanh(x_n + r * h_n)
    h = (1 - z) * n + z * h
    return h, None, {"reset": r, "update": z, "candidate": n}


def _rnn_step(x_proj, h, c, w_hh, b_hh, keep=None, nonlinearity=torch.tanh):
    return nonlinearity(x_proj + h @ w_hh.T + b_hh), None, {}


def _run_direction(step, inputs, weights, hidden_size, reverse, what_if=None, silenced_unit=None):
    """Run one cell over the rows of `inputs` (N, T, F); returns per-row h, c and gates.
    `what_if` changes the state from its row on; `silenced_unit`: this cell's unit to silence."""
    w_ih, w_hh, b_ih, b_hh = weights
    x_proj = inputs @ w_ih.T + b_ih  # the input part of every gate, for all rows at once
    n, rows = inputs.shape[:2]
    h = inputs.new_zeros(n, hidden_size)
    c = inputs.new_zeros(n, hidden_size)
    hs, cs, gates = [None] * rows, [None] * rows, [None] * rows
    order = range(rows - 1, -1, -1) if reverse else range(rows)
    keep = {"forget": 0.0, "keep": 1.0}.get(what_if.memory) if what_if else None
    for t in order:
        changed = what_if is not None and what_if.changes_state(t, reverse)
        if changed and what_if.memory == "wipe" and t == what_if.from_row - 1:  # once, going into from_row
            c, h = (c.new_zeros(c.shape), h) if step is _lstm_step else (c, h.new_zeros(h.shape))
        h, c_new, gates[t] = step(x_proj[:, t], h, c, w_hh, b_hh, keep if changed else None)
        if changed and silenced_unit is not None:
            h = h.clone()
            h[:, silenced_unit] = 0
        c = c_new if c_new is not None else c
        hs[t], cs[t] = h, c_new
    stack = lambda seq: torch.stack(seq, dim=1)  # noqa: E731  rows -> (N, T, H)
    gates = {name: stack([g[name] for g in gates]) for name in gates[0]}
    return stack(hs), (stack(cs) if cs[0] is not None else None), gates


@torch.no_grad()
def trace(model: RowClassifier, images: torch.Tensor, what_if: WhatIf | None = None) -> RowTrace:
    """Step through `model` on `images` ((N, 28, 28) in [0, 1]) and record every row, with the
    interventions of `what_if` when given."""
    config, rnn = model.config, model.rnn
    step = {"lstm": _lstm_step, "gru": _gru_step, "rnn": _rnn_step}[config.cell]
    if config.cell == "rnn" and rnn.nonlinearity == "relu":
        step = lambda *a: _rnn_step(*a, nonlinearity=torch.relu)  # noqa: E731
    if what_if and what_if.memory in ("forget", "keep") and config.cell == "rnn":
        raise ValueError("a plain RNN has no gate that keeps its memory: only wipe it")
    if what_if and what_if.erased_rows:
        images = images.clone()
        images[..., [row - 1 for row in what_if.erased_rows], :] = 0
    layer_input = model.rows(images)
    hidden, cell, gates = [], [], []  # per layer, lists over directions
    for layer in range(config.num_layers):
        per_direction = []
        for direction in range(config.directions):
            suffix = f"_l{layer}" + ("_reverse" if direction else "")
            weights = [getattr(rnn, f"{name}{suffix}") for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            silenced = what_if.silenced if what_if else None
            unit = silenced[2] if silenced and silenced[:2] == (layer, direction) else None
            per_direction.append(_run_direction(step, layer_input, weights, config.hidden_size, bool(direction),
                                                what_if, unit))
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
