"""One drawing read by one model, as data: what the page draws and the `predict` API returns.

`reading(image, row_trace, model, name)` packs a per-row trace into one JSON-able dict that
the browser draws (demo/views_*.js) and an API client decodes. Arrays are quantised to one
byte per value over a stated range and base64-encoded, so a whole trace is a few tens of KB:

    {"shape": [layer, direction, row, unit], "lo": -1.0, "hi": 1.0, "data": "<base64 uint8>"}
    value = lo + byte / 255 * (hi - lo)        (error at most (hi - lo) / 510)

Fields: `probs` (10 floats, exact), `label`, `confidence`, `unsure`, `decision_row`,
`input` (28x28 in [0, 1]), `belief` (row, class: the head applied after each row), `hidden`
(signed h_t, every layer and direction), `memory` (tanh(c_t), LSTM only, else null),
`gates` (name -> array, every layer and direction: see model.GATE_NAMES), `model` (facts),
`status` (one line in words, in the language asked for: demo/strings).
Rows are 0-based in the arrays; `decision_row` and every text say rows 1..28.
"""
import base64

import numpy as np

from model import RowClassifier, RowTrace
from model.export import model_facts

from .strings import say

FORMAT = "row-trace-v1"


def packed(values: np.ndarray, lo: float, hi: float) -> dict:
    """An array as bytes over [lo, hi] (see the module docstring)."""
    q = np.round((np.clip(values, lo, hi) - lo) / (hi - lo) * 255).astype(np.uint8)
    return {"shape": list(q.shape), "lo": lo, "hi": hi, "data": base64.b64encode(q.tobytes()).decode()}


def unpacked(array: dict) -> np.ndarray:
    """The inverse of `packed`, for API clients and tests."""
    q = np.frombuffer(base64.b64decode(array["data"]), np.uint8).reshape(array["shape"])
    return array["lo"] + q.astype(np.float32) / 255 * (array["hi"] - array["lo"])


def decision_row(answer_per_row: np.ndarray) -> int | None:
    """The row (1..28) from which the answer's probability stays above one half to the end,
    or None when it ends at or below one half."""
    above = answer_per_row > 0.5
    if not above[-1]:
        return None
    below = np.flatnonzero(~above)
    return int(below[-1]) + 2 if len(below) else 1


def a_digit(digit: int, language: str = "en", bold: bool = False) -> str:
    """A digit as a sentence names it ("a 7", "an 8"; "7" in Chinese), the digit itself in bold or not."""
    shown = f"**{digit}**" if bold else str(digit)
    return say("status.digit_8" if digit == 8 else "status.digit", language, digit=shown)


def status(r: dict, language: str = "en") -> str:
    """One line for the page and the API: the answer, how sure, and from which row."""
    first, second = np.argsort(r["probs"])[::-1][:2]
    if r["unsure"]:
        return say("status.unsure", language, first=a_digit(first, language), first_percent=f"{r['probs'][first]:.0%}",
                   second=a_digit(second, language), second_percent=f"{r['probs'][second]:.0%}")
    key = ("status.sure" if r["decision_row"] is None else
           "status.sure_from_row_both_ways" if r["model"]["directions"] == 2 else "status.sure_from_row")
    return say(key, language, digit=a_digit(first, language, bold=True), percent=f"{r['probs'][first]:.0%}",
               answer=first, row=r["decision_row"])


def reading(image: np.ndarray, row_trace: RowTrace, model: RowClassifier, name: str, language: str = "en") -> dict:
    """Everything the views show for one 28x28 image and its trace (first image of the batch)."""
    probs_per_row = row_trace.probs_per_row[0].numpy()
    probs = probs_per_row[-1]
    label = int(probs.argmax())
    per_image = lambda t: t[:, :, 0].numpy()  # noqa: E731  (layer, direction, row, unit)
    facts = model_facts(model, name)
    result = {
        "format": FORMAT,
        "model": facts,
        "probs": [round(float(p), 5) for p in probs],
        "label": label,
        "confidence": round(float(probs[label]), 5),
        "unsure": bool(probs[label] < facts["unsure_below"]),
        "decision_row": decision_row(probs_per_row[:, label]),
        "input": packed(image, 0.0, 1.0),
        "belief": packed(probs_per_row, 0.0, 1.0),
        "hidden": packed(per_image(row_trace.hidden), -1.0, 1.0),
        "memory": packed(np.tanh(per_image(row_trace.cell)), -1.0, 1.0) if row_trace.cell is not None else None,
        "gates": {gate: packed(per_image(values), -1.0 if gate == "candidate" else 0.0, 1.0)
                  for gate, values in row_trace.gates.items()},
    }
    result["status"] = status(result, language)
    return result
