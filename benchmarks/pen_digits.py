"""Real pen-drawn digits of writers the model never saw, drawn as a person draws them on the page.

The test writers of model/pen_digits.py (UJI writers 40-59, pendigits' 14 test writers), each
digit drawn 5 times (--draws) on the page's 280x280 canvas at a random size (35-75%), place and
pen width (6-40 px), read by model.preprocess.to_mnist and the model: accuracy per set and per
digit, confusion matrices, the expected calibration error with the model's temperature and
without it, how often the page says "not sure" (below the model's `unsure_below`) to these
digits, to letters and to scribbles, and MNIST test digits redrawn as strokes
(benchmarks/drawn_digits.py) as a separate row.
The same function (model.calibration.pen_digit_report) writes these figures into the model card
at the end of train.py; this script only prints.

    .venv/bin/python -m benchmarks.pen_digits [--weights PATH] [--seed 0] [--limit N] [--calibrate] [--by-pen]
                                              [--by-writer] [--writers test|calibration] [--compare W ...] [--json]

--calibrate first fits a temperature on the calibration writers (for weights saved without one;
nothing is written); --limit N measures N digits (and not-digits), spread over all test writers;
--writers calibration measures the calibration writers instead, to choose a design on. --compare W ...
reads the same drawings with other weights too: how many of the misses every model shares (in the
writers' digits, not in one run's luck) and what their answers averaged would score.
"""
import argparse
import json
import time
from collections import Counter

import numpy as np
import torch

from model import load_model
from model.calibration import DRAWS, SETS, calibrate, pen_digit_report, raw_logits, spread, unsure_below
from model.pen_digits import load_pen_digits, replay
from tests.helpers import MNIST_DIR


def load_mnist_test(data_dir):
    from torchvision.datasets import MNIST
    test = MNIST(data_dir, train=False, download=False)
    return test.data.numpy(), test.targets.numpy()


PENS = (6, 12, 18, 24, 30, 40)  # px on the page's 280 px canvas; the digit's size stays random (35-75%)


def accuracy_by_pen(model, seed: int, limit, processes: int) -> dict:
    """{pen width: {set: accuracy}}: the test writers' digits drawn with one pen width at a time."""
    digits = spread(load_pen_digits("test"), limit)
    dataset = np.array([d.dataset for d in digits])
    figures = {}
    for pen in PENS:
        images, labels = replay(digits, seed, processes=processes, pen=pen)
        right = raw_logits(model, images).argmax(1).numpy() == labels
        figures[pen] = {name: round(float(right[dataset == name].mean()), 4) for name in SETS}
    return figures


def report_drawings(seed: int, limit, processes: int, draws: int, writers: str):
    """(digits, images, labels): the report's own drawings, drawn again as pen_digit_report draws them
    (the same writers, seed and draws), in replay's order: every digit once, `draws` times over."""
    digits = spread(load_pen_digits(writers), limit)
    return (digits, *replay(digits, seed, copies=draws, processes=processes))


def misses_by_writer(model, seed: int, limit, processes: int, draws: int, writers: str = "test") -> dict:
    """{set: [{writer, misses, drawings, mistakes {"true->answer": count}}, ...], most misses first}:
    the report's own drawings (report_drawings), grouped by writer."""
    digits, images, labels = report_drawings(seed, limit, processes, draws, writers)
    answers = raw_logits(model, images).argmax(1).numpy()
    rows = {}
    for digit, label, answer in zip(digits * draws, labels.tolist(), answers.tolist()):  # replay's order
        row = rows.setdefault(digit.writer, {"set": digit.dataset, "writer": digit.writer, "misses": 0,
                                                "drawings": 0, "mistakes": Counter()})
        row["drawings"] += 1
        if answer != label:
            row["misses"] += 1
            row["mistakes"][f"{label}->{answer}"] += 1
    rows = sorted(rows.values(), key=lambda row: -row["misses"])
    return {name: [{**row, "mistakes": dict(row["mistakes"].most_common())} for row in rows if row["set"] == name]
            for name in SETS}


def shared_misses(models, seed: int, limit, processes: int, draws: int, writers: str = "test") -> dict:
    """{set: {misses (each model's), missed_by_all, missed_by_any, by_writer (of those missed by all),
    averaged_accuracy (their probabilities at temperature 1, averaged)}}: whether other trained models
    (another seed, another recipe) miss the same drawings (report_drawings). Misses every model shares
    are in the writers' digits, not in one run's luck; averaging the models' answers (an ensemble)
    cannot mend those."""
    digits, images, labels = report_drawings(seed, limit, processes, draws, writers)
    probs = np.stack([torch.softmax(raw_logits(m, images), 1).numpy() for m in models])
    wrong = probs.argmax(2) != labels
    dataset, writer = np.tile([d.dataset for d in digits], draws), np.tile([d.writer for d in digits], draws)
    figures = {}
    for name in SETS:
        in_set = dataset == name
        by_all = wrong.all(0) & in_set
        figures[name] = {"misses": wrong[:, in_set].sum(1).tolist(), "missed_by_all": int(by_all.sum()),
                         "missed_by_any": int((wrong.any(0) & in_set).sum()), "drawings": int(in_set.sum()),
                         "by_writer": dict(Counter(writer[by_all].tolist()).most_common()),
                         "averaged_accuracy": round(float((probs.mean(0).argmax(1) == labels)[in_set].mean()), 4)}
    return figures


def print_report(report: dict) -> None:
    for name in SETS:
        part = report[name]
        draws = " ".join(f"{a:.2%}" for a in part["per_draw"])
        print(f"{name:>10}: {part['accuracy']:.2%} of {part['n']} digits x {part['draws']} draws (each draw: {draws}), "
              f"not sure {part['not_sure']:.1%}; per digit "
              + " ".join(f"{d}:{a:.1%}" for d, a in enumerate(part["per_digit"])))
        print("            confusion (rows: true digit, columns: answer)")
        for digit, row in enumerate(part["confusion"]):
            print(f"            {digit}: " + " ".join(f"{v:4d}" for v in row))
    if "mnist_redrawn" in report:
        row = report["mnist_redrawn"]
        print(f"MNIST test digits redrawn as strokes: {row['accuracy']:.2%} of {row['n']}")
    print(f"expected calibration error (test writers): {report['ece_before']:.2%} at temperature 1, "
          f"{report['ece_after']:.2%} at the model's temperature {report['temperature']}")
    print(f"'not sure' below {report['unsure_below']:.0%}: digits {report['not_sure_digits']:.1%}, "
          f"letters {report['not_sure_letters']:.1%}, scribbles {report['not_sure_scribbles']:.1%} "
          f"({report['n_letters_and_scribbles']} of each)")
    for pen, accuracy in report.get("by_pen", {}).items():
        print(f"pen {pen:>2} px: " + ", ".join(f"{name} {a:.2%}" for name, a in accuracy.items()))
    for name, row in report.get("shared_misses", {}).items():
        print(f"{name}: misses of each model {row['misses']} (of {row['drawings']}), missed by all "
              f"{row['missed_by_all']}, by any {row['missed_by_any']}; the models averaged: "
              f"{row['averaged_accuracy']:.2%}; missed by all, by writer: {row['by_writer']}")
    for name, rows in report.get("by_writer", {}).items():
        print(f"{name} misses by writer (writers with none left out):")
        for row in rows:
            if row["misses"]:
                mistakes = ", ".join(f"{pair} x{count}" for pair, count in row["mistakes"].items())
                print(f"  {row['writer']:>18}: {row['misses']} of {row['drawings']} ({mistakes})")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--weights", default=None, help="weights file (default: weights/default.pt)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random sizes, places and pen widths")
    p.add_argument("--limit", type=int, default=None, help="only N digits, spread over all test writers")
    p.add_argument("--draws", type=int, default=DRAWS, help="drawings of every test digit (own size, place, pen)")
    p.add_argument("--writers", default="test", choices=("test", "calibration"),
                   help="whose digits: the test writers (the figures) or the calibration writers (for choosing a design)")
    p.add_argument("--calibrate", action="store_true", help="fit a temperature first (nothing is written)")
    p.add_argument("--data-dir", default=str(MNIST_DIR), help="MNIST root, for the redrawn-MNIST row")
    p.add_argument("--processes", type=int, default=2)
    p.add_argument("--json", action="store_true", help="print the figures as one JSON line instead")
    p.add_argument("--by-pen", action="store_true",
                   help="also the accuracy with each of a few fixed pen widths (the page's slider: 6-40 px, 18 at first)")
    p.add_argument("--by-writer", action="store_true", help="also the misses of each writer (same drawings)")
    p.add_argument("--compare", nargs="+", metavar="WEIGHTS", default=(),
                   help="also the drawings these other weights miss too, and the answers of all of them "
                        "averaged (probabilities at temperature 1)")
    args = p.parse_args()
    model = load_model(args.weights)
    started = time.time()
    threshold = unsure_below(model)
    if args.calibrate:
        threshold = calibrate(model, seed=args.seed, limit=args.limit, processes=args.processes)["unsure_below"]
    report = pen_digit_report(model, threshold, seed=args.seed, limit=args.limit, processes=args.processes,
                              mnist_test=load_mnist_test(args.data_dir), draws=args.draws,
                              writers=args.writers)
    if args.by_pen:
        report["by_pen"] = accuracy_by_pen(model, args.seed, args.limit, args.processes)
    if args.by_writer:
        report["by_writer"] = misses_by_writer(model, args.seed, args.limit, args.processes, args.draws, args.writers)
    if args.compare:
        models = [model, *(load_model(path) for path in args.compare)]
        report["shared_misses"] = shared_misses(models, args.seed, args.limit, args.processes, args.draws, args.writers)
    report.update(weights=args.weights or "weights/default.pt", seconds=round(time.time() - started, 1))
    if args.json:
        print(json.dumps(report))
    else:
        print_report(report)


if __name__ == "__main__":
    main()
