"""Digits as people draw them: MNIST test digits redrawn as pen strokes on a big canvas.

Each test digit is thinned to its skeleton (its pen path), given a random slant, rotation
and width, and redrawn on a sketchpad-sized canvas at a random size (35-75% of the canvas
height), anywhere on it, with a round brush of 1.5-5% of the canvas width. Then it goes
through the app's own path: `model.preprocess.to_mnist` and the model. The score guides the
work on drawn digits; the project's hidden benchmark (other writers, real pen strokes) is
what counts.

    .venv/bin/python -m benchmarks.drawn_digits [--n 2000] [--weights PATH] [--naive] [--update-card]

--naive also scores plain resizing of the whole canvas to 28x28 (what many demos do);
--update-card writes the score into the weights' model card (the .json beside them).
"""
import argparse
import json
import math
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from model import DEFAULT_WEIGHTS, atomic_write, load_model
from model.preprocess import skeletonize, to_mnist
from tests.helpers import MNIST_DIR

NEIGHBOURS = [(0, 1), (1, -1), (1, 0), (1, 1)]  # each skeleton edge drawn once


def pen_path(digit: np.ndarray):
    """The skeleton of a 28x28 MNIST digit at 4x resolution: points and the edges joining them."""
    big = np.asarray(Image.fromarray(digit).resize((112, 112), Image.Resampling.BILINEAR)) > 127
    skeleton = skeletonize(big)
    ys, xs = np.nonzero(skeleton)
    edges = [((y, x), (y + dy, x + dx)) for y, x in zip(ys.tolist(), xs.tolist()) for dy, dx in NEIGHBOURS
             if 0 <= y + dy < 112 and 0 <= x + dx < 112 and skeleton[y + dy, x + dx]]
    return np.stack([ys, xs], 1).astype(np.float32), edges


def redraw(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One MNIST digit redrawn as strokes on a random canvas (dark ink on white, RGB)."""
    points, edges = pen_path(digit)
    canvas = int(rng.integers(300, 900))
    # Writer variation: slant, a small rotation and a wider or narrower hand.
    slant, angle = rng.uniform(-0.3, 0.3), math.radians(rng.uniform(-12, 12))
    centre = points.mean(0)
    y, x = (points - centre).T
    x = (x + slant * -y) * rng.uniform(0.75, 1.25)
    y, x = y * math.cos(angle) + x * math.sin(angle), x * math.cos(angle) - y * math.sin(angle)
    height = rng.uniform(0.35, 0.75) * canvas
    scale = height / max(np.ptp(y), 1.0)
    y, x = (y - y.min()) * scale, (x - x.min()) * scale
    brush = max(1, round(rng.uniform(0.015, 0.05) * canvas))
    top = rng.uniform(brush, max(brush + 1, canvas - y.max() - brush))
    left = rng.uniform(brush, max(brush + 1, canvas - x.max() - brush))
    where = {tuple(p): (left + xi, top + yi) for p, yi, xi in zip(points.astype(int).tolist(), y, x)}
    img = Image.new("RGB", (canvas, canvas), "white")
    draw = ImageDraw.Draw(img)
    for a, b in edges:
        draw.line([where[a], where[b]], fill="black", width=brush)
    for px, py in where.values():  # round pen
        draw.ellipse([px - brush / 2, py - brush / 2, px + brush / 2, py + brush / 2], fill="black")
    return np.asarray(img)


def naive(drawing: np.ndarray) -> np.ndarray:
    """Plain resizing of the whole canvas, inverted to white on black."""
    grey = Image.fromarray(drawing).convert("L").resize((28, 28), Image.Resampling.BILINEAR)
    return 1 - np.asarray(grey, np.float32) / 255


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=2000, help="how many MNIST test digits to redraw")
    p.add_argument("--weights", default=None)
    p.add_argument("--data-dir", default=str(MNIST_DIR))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--naive", action="store_true")
    p.add_argument("--update-card", action="store_true")
    args = p.parse_args()
    from torchvision.datasets import MNIST
    test = MNIST(args.data_dir, train=False, download=False)
    # An even spread over the whole test set, not just its first writers.
    index = np.linspace(0, len(test.data) - 1, args.n).astype(int)
    images, labels = test.data.numpy()[index], test.targets.numpy()[index]
    model = load_model(args.weights)
    rng = np.random.default_rng(args.seed)
    start = time.time()
    drawings = [redraw(img, rng) for img in images]
    prepared = [to_mnist(d) for d in drawings]
    prepared = np.stack([x if x is not None else np.zeros((28, 28), np.float32) for x in prepared])
    with torch.inference_mode():
        predicted = model(torch.from_numpy(prepared)).argmax(1).numpy()
    result = {"drawn_digit_accuracy": round(float((predicted == labels).mean()), 4), "n": len(labels),
              "weights": args.weights or "weights/default.pt", "seconds": round(time.time() - start, 1)}
    if args.naive:
        with torch.inference_mode():
            naive_pred = model(torch.from_numpy(np.stack([naive(d) for d in drawings]))).argmax(1).numpy()
        result["naive_resize_accuracy"] = round(float((naive_pred == labels).mean()), 4)
    print(json.dumps(result))
    if args.update_card:
        card_path = Path(args.weights or DEFAULT_WEIGHTS).with_suffix(".json")
        card = json.loads(card_path.read_text())
        card["drawn_digits"] = {**result, "command": "python -m benchmarks.drawn_digits " + " ".join(sys.argv[1:]),
                                "date": datetime.now(UTC).strftime("%Y-%m-%d")}
        atomic_write(card_path, lambda f: f.write((json.dumps(card, indent=2) + "\n").encode()))


if __name__ == "__main__":
    main()
