"""Writing habits on writers the model never saw: the pen test writers' own digits, given a habit
by this file's own generator, drawn on the page's canvas and read as the page reads them.

Habits (the ones the kept-aside set of issue #23 showed the model missing, and the crossed 7):
  0 crossed like phi     a near-vertical stroke through the loop, reaching past it at both ends
  0 slashed              a diagonal stroke through the loop (either way), short or long
  0 crossed like theta   a near-horizontal stroke through the loop, short or long
  1 with a long flag     a straight flag 50-90% of the height, written in one stroke with the stem
  1 with a curved flag   a flag bent like a bow, written in one stroke with the stem
  7 crossed              a bar across the stem at about mid-height
Each habit is given to every test writer's digit of its kind (`--draws` times, each drawing its own
random size, place and pen as in benchmarks/pen_digits.py); the same digits as written are the
control, per digit.

Why a figure here cannot be tuned on the training copies' generator
(model.pen_digits.with_conventions), though both draw the same habits:
- Its own code. The crossing of a 0 is laid through the ink's centre of mass and measured from
  where that line meets the writer's own strokes (the training copy's: through the box's centre,
  measured by the points' spread); a flag is a quadratic Bezier curve joined to the stem as one
  stroke (training: a separate straight line or arc); a 7's bar is measured from the stem's own
  crossing (training: a share of the box width). No function of model/pen_digits.py's conventions
  is called.
- Its own ranges: the angles, lengths and bends below are drawn from ranges set apart from the
  training's, and at the kept-aside set's extremes (phi zeros reaching well past the loop).
- Its own random stream: numpy Generator seeded [seed, 2300, habit, index] (the training copies:
  [seed, copy, index] in train.py).
- Its writers: the test writers (or, with --writers calibration, the calibration writers, for
  choosing; never train writers).

    .venv/bin/python -m benchmarks.conventions [--weights PATH] [--writers test|calibration] [--draws 3] [--limit N] [--json]
"""
import argparse
import json
import time

import numpy as np

from model import load_model
from model.calibration import SETS, raw_logits, spread
from model.pen_digits import _read_all, as_model_input, draw_on_canvas, load_pen_digits

STREAM = 2300  # this benchmark's random stream (the number): the training copies never use it


def _intersections(strokes, centre, along) -> np.ndarray:
    """Where the line through `centre` along the unit vector `along` meets the strokes' segments,
    as signed distances from `centre` along it (sorted)."""
    normal = np.array([-along[1], along[0]])
    found = []
    for stroke in strokes:
        side = (stroke - centre) @ normal
        for k in np.nonzero(side[:-1] * side[1:] <= 0)[0]:
            a, b = stroke[k], stroke[k + 1]
            t = side[k] / (side[k] - side[k + 1]) if side[k] != side[k + 1] else 0.0
            found.append(float((a + t * (b - a) - centre) @ along))
    return np.sort(found)


def zero_crossed(degrees: tuple, overshoot: tuple):
    """A habit: a straight stroke through a 0's centre of mass at an angle from the horizontal drawn
    from `degrees` (either way round), running from the loop's edge on one side to the other,
    extended (or, negative, shortened) at each end by a share of that chord drawn from `overshoot`."""
    def habit(strokes, rng):
        points = np.concatenate(strokes)
        centre = points.mean(0)
        angle = np.radians(rng.uniform(*degrees) * rng.choice((-1, 1)))
        along = np.array([np.cos(angle), np.sin(angle)])
        hits = _intersections(strokes, centre, along)
        near, far = (hits[0], hits[-1]) if len(hits) >= 2 else (-np.ptp(points @ along) / 2, np.ptp(points @ along) / 2)
        chord = far - near
        ends = [centre + along * (near - rng.uniform(*overshoot) * chord), centre + along * (far + rng.uniform(*overshoot) * chord)]
        cross = np.linspace(ends[0], ends[1], 12)
        return [*strokes, (cross if rng.random() < 0.5 else cross[::-1]).astype(np.float32)]
    return habit


def one_flagged(length: tuple, degrees: tuple, bend: tuple):
    """A habit: the 1's stem (its tallest stroke) begun, in the same stroke, by a flag from lower
    left: a quadratic Bezier curve `length` x the height long, at `degrees` below the horizontal,
    its control point pushed up by `bend` x its length."""
    def habit(strokes, rng):
        stem_index = int(np.argmax([np.ptp(s[:, 1]) for s in strokes]))
        stem = strokes[stem_index]
        if stem[0, 1] > stem[-1, 1]:
            stem = stem[::-1]  # written upwards: begin at its top
        height = max(float(np.ptp(np.concatenate(strokes)[:, 1])), 1e-6)
        tip, size = stem[0], rng.uniform(*length) * height
        angle = np.radians(rng.uniform(*degrees))
        start = tip + size * np.array([-np.cos(angle), np.sin(angle)])
        control = (start + tip) / 2 + rng.uniform(*bend) * size * np.array([np.sin(angle), -np.cos(angle)])
        t = np.linspace(0, 1, 12)[:, None]
        flag = (1 - t) ** 2 * start + 2 * t * (1 - t) * control + t ** 2 * tip
        joined = np.concatenate([flag[:-1], stem]).astype(np.float32)
        return [joined if k == stem_index else s for k, s in enumerate(strokes)]
    return habit


def seven_crossed(strokes, rng):
    """A habit: a bar across the 7's stem at 40-65% of its height, centred on where the stem
    passes that height, 0.4-0.9 of the digit's width long, level or rising a little."""
    points = np.concatenate(strokes)
    top, height, width = points[:, 1].min(), max(float(np.ptp(points[:, 1])), 1e-6), float(np.ptp(points[:, 0]))
    y = top + rng.uniform(0.4, 0.65) * height
    stem = max(strokes, key=lambda s: np.ptp(s[:, 1]))
    below = np.nonzero((stem[:-1, 1] - y) * (stem[1:, 1] - y) <= 0)[0]
    if not len(below):
        return strokes
    a, b = stem[below[-1]], stem[below[-1] + 1]  # the stem's lowest pass of that height
    x = a[0] + (b[0] - a[0]) * ((y - a[1]) / (b[1] - a[1]) if b[1] != a[1] else 0)
    half, rise = rng.uniform(0.2, 0.45) * max(width, 0.5 * height), rng.uniform(0, 0.15) * height
    return [*strokes, np.linspace((x - half, y + rise / 2), (x + half, y - rise / 2), 8).astype(np.float32)]


HABITS = {  # name: (digit, the habit)
    "0 crossed like phi": (0, zero_crossed(degrees=(75, 90), overshoot=(0.1, 0.4))),
    "0 slashed": (0, zero_crossed(degrees=(30, 60), overshoot=(-0.25, 0.3))),
    "0 crossed like theta": (0, zero_crossed(degrees=(0, 15), overshoot=(-0.25, 0.3))),
    "1 with a long flag": (1, one_flagged(length=(0.5, 0.9), degrees=(20, 45), bend=(-0.05, 0.05))),
    "1 with a curved flag": (1, one_flagged(length=(0.3, 0.7), degrees=(15, 60), bend=(0.12, 0.3))),
    "7 crossed": (7, seven_crossed),
}


def _drawn_with_habit(job) -> np.ndarray:
    strokes, habit, seed = job
    rng = np.random.default_rng(seed)
    if habit is not None:
        strokes = HABITS[habit][1]([np.asarray(s, np.float64) for s in strokes], rng)
    return as_model_input([draw_on_canvas([np.asarray(s, np.float32) for s in strokes], rng)])[0]


def share(right: np.ndarray):
    """The share of True in `right`, rounded (None when it is empty: a slice without such digits)."""
    return round(float(right.mean()), 4) if len(right) else None


def conventions_report(model, writers: str = "test", seed: int = 0, draws: int = 3, processes: int = 1,
                       limit=None) -> dict:
    """{"habits": {name: {accuracy, n, per_set, misread_as}}, "as_written": {accuracy, n, per_digit}}
    (with `limit`, only that many digits, spread over all the writers)."""
    digits = spread(load_pen_digits(writers), limit)
    jobs, names, labels, dataset = [], [], [], []
    for habit_number, (name, (digit, _)) in enumerate([(None, (None, None)), *HABITS.items()]):
        for draw in range(draws):
            for index, d in enumerate(digits):
                if digit is None or d.label == digit:
                    jobs.append((d.strokes, name, [seed, STREAM, habit_number, draw, index]))
                    names.append(name or "")
                    labels.append(d.label)
                    dataset.append(d.dataset)
    answers = raw_logits(model, _read_all(_drawn_with_habit, jobs, processes)).argmax(1).numpy()
    names, labels, dataset = np.array(names), np.array(labels), np.array(dataset)
    right = answers == labels
    report = {"writers": writers, "draws": draws, "seed": seed, "habits": {}}
    for name in HABITS:
        mine = names == name
        read_as = np.bincount(answers[mine & ~right], minlength=10)
        report["habits"][name] = {
            "accuracy": share(right[mine]), "n": int(mine.sum()),
            "per_set": {s: share(right[mine & (dataset == s)]) for s in SETS},
            "misread_as": {str(d): int(c) for d, c in enumerate(read_as) if c}}
    plain = names == ""
    report["as_written"] = {"accuracy": share(right[plain]), "n": int(plain.sum()),
                            "per_digit": [share(right[plain & (labels == d)]) for d in range(10)]}
    return report


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--weights", default=None, help="weights file (default: weights/default.pt)")
    p.add_argument("--writers", default="test", choices=("test", "calibration"),
                   help="whose digits: the test writers (the figure) or the calibration writers (for choosing)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--draws", type=int, default=3, help="drawings of every digit and habit")
    p.add_argument("--limit", type=int, default=None, help="only N digits, spread over all the writers")
    p.add_argument("--processes", type=int, default=2)
    p.add_argument("--json", action="store_true", help="print the figures as one JSON line")
    args = p.parse_args()
    started = time.time()
    report = conventions_report(load_model(args.weights), args.writers, args.seed, args.draws, args.processes, args.limit)
    report.update(weights=args.weights or "weights/default.pt", seconds=round(time.time() - started, 1))
    if args.json:
        print(json.dumps(report))
        return
    print(f"{args.writers} writers, {args.draws} draws each ({report['seconds']} s)")
    for name, row in report["habits"].items():
        sets = ", ".join(f"{s} {a:.1%}" for s, a in row["per_set"].items())
        misread = ", ".join(f"{d} x{c}" for d, c in row["misread_as"].items()) or "none"
        print(f"{name:>22}: {row['accuracy']:.2%} of {row['n']} ({sets}); misread as {misread}")
    row = report["as_written"]
    print(f"{'as written':>22}: {row['accuracy']:.2%} of {row['n']}; per digit "
          + " ".join(f"{d}:{a:.1%}" for d, a in enumerate(row["per_digit"])))


if __name__ == "__main__":
    main()
