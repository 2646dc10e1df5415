"""Which rows and pixels mattered: how much the probability of the answer drops when a row of
the input, or a patch of pixels, is blanked (set to no ink) and the model reads it again.

A positive number means the ink there supports the answer; a negative one, that the answer is
surer without it. The page's worker computes the same numbers (demo/engine/attribution.js);
tests/test_engine.py checks that they agree. Blanking a row is the what-if "erase rows"
(model.trace's WhatIf): the model reads x_t = 0 there.
"""
import numpy as np
import torch

from .model import RowClassifier
from .trace import trace

ROWS = 28
PATCH = 4  # pixels a side: 7 x 7 patches, 49 readings (the page does them in well under a second)


def _answer_probabilities(model: RowClassifier, images: torch.Tensor, answer: int) -> np.ndarray:
    return trace(model, images).probs[:, answer].numpy()


def _as_read(model: RowClassifier, image: np.ndarray, answer: int | None) -> tuple[torch.Tensor, float, int]:
    """The image as a batch of one, P(answer) as drawn, and the answer (default: the model's own)."""
    drawn = torch.from_numpy(np.asarray(image, np.float32))[None]
    probs = trace(model, drawn).probs[0].numpy()
    answer = int(probs.argmax()) if answer is None else answer
    return drawn, float(probs[answer]), answer


@torch.no_grad()
def row_importance(model: RowClassifier, image: np.ndarray, answer: int | None = None) -> np.ndarray:
    """(28,): P(answer) minus P(answer) with row t blanked; `answer` defaults to the model's own."""
    drawn, base, answer = _as_read(model, image, answer)
    blanked = drawn.repeat(ROWS, 1, 1)
    for row in range(ROWS):
        blanked[row, row] = 0
    return base - _answer_probabilities(model, blanked, answer)


@torch.no_grad()
def patch_importance(model: RowClassifier, image: np.ndarray, answer: int | None = None) -> np.ndarray:
    """(28, 28): for each pixel, P(answer) minus P(answer) with its PATCH x PATCH patch blanked."""
    drawn, base, answer = _as_read(model, image, answer)
    patches = [(top, left) for top in range(0, ROWS, PATCH) for left in range(0, ROWS, PATCH)]
    blanked = drawn.repeat(len(patches), 1, 1)
    for n, (top, left) in enumerate(patches):
        blanked[n, top:top + PATCH, left:left + PATCH] = 0
    drops = base - _answer_probabilities(model, blanked, answer)
    per_pixel = np.zeros((ROWS, ROWS), np.float32)
    for drop, (top, left) in zip(drops, patches):
        per_pixel[top:top + PATCH, left:left + PATCH] = drop
    return per_pixel
