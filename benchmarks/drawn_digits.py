"""Digits as people draw them: MNIST test digits redrawn as pen strokes on a big canvas.

Each test digit is thinned to its skeleton (its pen path), given a random slant, rotation
and width, and redrawn on a sketchpad-sized canvas at a random size (35-75% of the canvas
height), anywhere on it, with a round brush of 1.5-5% of the canvas width. Then it goes
through the app's own path: `model.preprocess.to_mnist` and the model. The score guides the
work on drawn digits; the project's hidden benchmark (other writers, real pen strokes) is
what counts.

    .venv/bin/python -m benchmarks.drawn_digits [--n 2000] [--weights PATH] [--naive]

--naive also scores plain resizing of the whole canvas to 28x28 (what many demos do). The
redrawing itself is model.pen_digits.redraw_mnist_digit, which train.py also runs for the model
card; this script only prints (it never rewrites a committed card). Real pen data from other
writers: `python -m benchmarks.pen_digits`.
"""
import argparse
import json
import time

import numpy as np
import torch
from PIL import Image

from benchmarks.pen_digits import load_mnist_test
from model import load_model
from model.pen_digits import as_model_input
from model.pen_digits import redraw_mnist_digit as redraw
from tests.helpers import MNIST_DIR


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
    args = p.parse_args()
    test_images, test_labels = load_mnist_test(args.data_dir)
    # An even spread over the whole test set, not just its first writers.
    index = np.linspace(0, len(test_labels) - 1, args.n).astype(int)
    images, labels = test_images[index], test_labels[index]
    model = load_model(args.weights)
    rng = np.random.default_rng(args.seed)
    start = time.time()
    drawings = [redraw(img, rng) for img in images]
    prepared = as_model_input(drawings)
    with torch.inference_mode():
        predicted = model(torch.from_numpy(prepared)).argmax(1).numpy()
    result = {"drawn_digit_accuracy": round(float((predicted == labels).mean()), 4), "n": len(labels),
              "weights": args.weights or "weights/default.pt", "seconds": round(time.time() - start, 1)}
    if args.naive:
        with torch.inference_mode():
            naive_pred = model(torch.from_numpy(np.stack([naive(d) for d in drawings]))).argmax(1).numpy()
        result["naive_resize_accuracy"] = round(float((naive_pred == labels).mean()), 4)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
