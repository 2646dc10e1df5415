"""Real pen-drawn digits: the two shared pen datasets, split by writer, replayed on the page's canvas.

Both sets store each digit as pen strokes (lists of points), so a digit can be drawn again the
way a person draws it on the page: dark round-capped lines on the page's 280x280 white canvas,
at a random size (35-75% of the canvas), place and pen width (the page's slider, 6..40 px),
then read by `model.preprocess.to_mnist` exactly as the page's PNG is.

The sets (see ../shared/README.md; never copied into the repo):
- UJI Pen Characters v2, digits (`uji/ujipenchars2.json`): 60 writers, 2 sessions each; sample
  i of each digit is writer i // 2. y points down.
- UCI pendigits (`pendigits/pendigits-orig.tra`, `.tes`): UNIPEN text, 30 + 14 writers (the
  two files number their writers 1..30 and 1..14: different people). y points UP.

The split by writer (a writer's digits are all in one part, so every figure on the
calibration or test part is about people the model never saw):
- train:       UJI writers 0-29, pendigits .tra writers 1-25
- calibration: UJI writers 30-39, pendigits .tra writers 26-30 (the temperature is fitted here)
- test:        UJI writers 40-59, pendigits .tes writers 1-14 (never trained or calibrated on)

Training copies (`replay(..., jitter=1)`) vary the hand (slant, rotation, aspect, `wobble`, hooks,
tails and entry strokes) and are sometimes written in another writer's convention
(`with_conventions`); the calibration and test digits are drawn as their writers wrote them.
"""
import functools
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from .preprocess import skeletonize, to_mnist

PEN_DIGITS_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "pen-digits"
UJI_FILE = "uji/ujipenchars2.json"
PENDIGITS_FILES = {"tra": "pendigits/pendigits-orig.tra", "tes": "pendigits/pendigits-orig.tes"}
SPLITS = ("train", "calibration", "test")

# The page's canvas (demo/canvas.js and the slider in demo/app.py): 280x280 px, pen 6..40 px.
CANVAS_SIDE = 280
PEN_WIDTHS = (6, 40)
DIGIT_SIZES = (0.35, 0.75)  # the digit's longest side, as a share of the canvas
SUPERSAMPLE = 2  # drawn at 2x and averaged down: anti-aliased edges, as a browser canvas draws them


@dataclass(frozen=True)
class PenDigit:
    label: int
    dataset: str  # "uji" or "pendigits"
    writer: str  # unique across files: "uji-12", "pendigits-tra-3", "pendigits-tes-3"
    strokes: tuple  # of float arrays (points, 2): x right, y DOWN, in the dataset's units

    @property
    def split(self) -> str:
        return split_of(self.dataset, self.writer)


def split_of(dataset: str, writer: str) -> str:
    """"train", "calibration" or "test" for a writer (see the module docstring)."""
    number = int(writer.rsplit("-", 1)[1])
    if dataset == "uji":
        return "train" if number < 30 else "calibration" if number < 40 else "test"
    if writer.startswith("pendigits-tes-"):
        return "test"
    return "train" if number <= 25 else "calibration"


def read_uji(path) -> list[PenDigit]:
    """UJI's JSON: {"rawData": {"0": [sample, ...], ...}}, a sample a list of strokes of [x, y]."""
    raw = json.loads(Path(path).read_text())["rawData"]
    return [PenDigit(int(label), "uji", f"uji-{index // 2}",
                     tuple(np.asarray(stroke, np.float32).reshape(-1, 2) for stroke in sample))
            for label, samples in sorted(raw.items()) for index, sample in enumerate(samples)]


def read_pendigits(path, part: str) -> list[PenDigit]:
    """UNIPEN text: `.SEGMENT DIGIT n ? "<label>"`, `.COMMENT <label> <writer> <sample>`, then
    `.PEN_DOWN` / x y lines / `.PEN_UP` blocks. y is flipped here, to point down."""
    digits, label, writer, strokes, stroke = [], None, None, [], None

    def finish():
        if label is not None and strokes:
            digits.append(PenDigit(label, "pendigits", f"pendigits-{part}-{writer}",
                                   tuple(np.asarray(s, np.float32) * (1, -1) for s in strokes)))

    for line in Path(path).read_text().splitlines():
        word = line.split(maxsplit=1)[0] if line.strip() else ""
        if word == ".SEGMENT":
            finish()
            label, writer, strokes = int(re.search(r'"(\d)"', line).group(1)), None, []
        elif word == ".COMMENT":
            writer = int(line.split()[2])
        elif word == ".PEN_DOWN":
            stroke = []
        elif word == ".PEN_UP":
            if stroke:
                strokes.append(stroke)
            stroke = None
        elif stroke is not None and word:
            stroke.append([float(v) for v in line.split()[:2]])
    finish()
    return digits


def load_pen_digits(split: str | None = None, root=PEN_DIGITS_DIR) -> list[PenDigit]:
    """Both datasets (all of them, or one split), in a fixed order."""
    root = Path(root)
    missing = [name for name in (UJI_FILE, *PENDIGITS_FILES.values()) if not (root / name).exists()]
    if missing:
        raise FileNotFoundError(f"pen-digit data not found: {root} lacks {', '.join(missing)} "
                                f"(see ../shared/README.md)")
    return [d for d in _read_both(root.resolve()) if split is None or d.split == split]


@functools.lru_cache(maxsize=2)
def _read_both(root: Path) -> tuple[PenDigit, ...]:
    """Both files parsed once per process (about 2 s; train.py and the tests ask several times)."""
    digits = read_uji(root / UJI_FILE)
    for part, name in PENDIGITS_FILES.items():
        digits += read_pendigits(root / name, part)
    return tuple(digits)


def _rotation(angle: float) -> np.ndarray:
    """The 2x2 matrix turning a point (x right, y down) by `angle` radians about the origin."""
    return np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])


def draw_on_canvas(strokes, rng: np.random.Generator, size=None, pen=None, jitter=0.0) -> np.ndarray:
    """The strokes drawn as a person draws them on the page's canvas: a (280, 280, 3) uint8 image,
    dark round pen on white. Size (share of the canvas), place and pen width are random unless
    given. `jitter` > 0 also varies the hand (slant, rotation, aspect, a wobble) for training copies."""
    points = np.concatenate(strokes)
    centre = (points.min(0) + points.max(0)) / 2
    transform = np.eye(2, dtype=np.float32)
    if jitter:
        slant, angle, aspect = rng.uniform(-0.3, 0.3) * jitter, rng.uniform(-0.2, 0.2) * jitter, \
            np.exp(rng.uniform(-0.2, 0.2) * jitter)
        transform = _rotation(angle).astype(np.float32) @ np.array([[aspect, slant], [0, 1]], np.float32)
    strokes = [(s - centre) @ transform.T for s in strokes]
    if jitter:
        strokes = wobble(strokes, rng, jitter)
    points = np.concatenate(strokes)
    extent = max(np.ptp(points[:, 0]), np.ptp(points[:, 1]), 1e-6)
    pen = float(pen if pen is not None else rng.uniform(*PEN_WIDTHS))
    side = (size if size is not None else rng.uniform(*DIGIT_SIZES)) * CANVAS_SIDE
    strokes = [s * (side / extent) for s in strokes]
    points = np.concatenate(strokes)
    low, high = points.min(0) - pen / 2, points.max(0) + pen / 2  # the ink's box, pen included
    room = np.maximum(CANVAS_SIDE - (high - low), 0)
    offset = -low + rng.uniform(0, 1, 2) * room  # anywhere the whole digit fits
    scale = SUPERSAMPLE
    image = Image.new("L", (CANVAS_SIDE * scale, CANVAS_SIDE * scale), 255)
    draw = ImageDraw.Draw(image)
    width, radius = round(pen * scale), pen * scale / 2
    for stroke in strokes:
        xy = [tuple(p) for p in ((stroke + offset) * scale).tolist()]
        if len(xy) > 1:
            draw.line(xy, fill=0, width=width, joint="curve")
        for x, y in xy:  # round caps at every point, as the canvas's lineCap = "round"
            draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=0)
    image = image.resize((CANVAS_SIDE, CANVAS_SIDE), Image.Resampling.BOX)
    return np.repeat(np.asarray(image)[..., None], 3, axis=2)


def wobble(strokes, rng: np.random.Generator, amount: float = 1.0) -> list[np.ndarray]:
    """A hand's smooth irregularity: every point moved by a slow random wave across the digit (up to
    about 6% of its size, one wave per axis), so a straight bar may come out curved and a round
    top flatter, as the same writer's digits differ from one another."""
    points = np.concatenate(strokes)
    extent = max(float(np.ptp(points, 0).max()), 1e-6)
    waves = []
    for _ in range(2):  # x, then y
        frequency = rng.normal(0, 1, 2) * 2 * np.pi / extent  # about a cycle across the digit
        waves.append((frequency, rng.uniform(0, 2 * np.pi), rng.uniform(0, 0.06) * amount * extent))
    return [s + np.stack([size * np.sin(s @ frequency + phase) for frequency, phase, size in waves], 1).astype(np.float32)
            for s in strokes]


# Writing conventions some writers use and others never do (handwriting research lists them: the
# continental 1 with a long flag, a 1 on a base, a crossed 7, a 0 crossed at any angle, a closed 4,
# a 9 whose tail curves left or whose loop is small), the lead-in hooks and tails of a quick hand,
# and the long entry stroke of a cursive one: added to a share of the training writers' digits, so
# a convention the training writers happen not to use is still one the model saw.
# Each convention takes the strokes (x right, y down), their box and a random generator, and
# returns the strokes written that way (or as they were, where it does not apply).
# The share of a digit's training copies written in its convention: half for the 0 and the 1, whose
# crossings and flags the kept-aside set of issue #23 showed the model missing most (and the
# calibration writers' flagged 1s, read as 7), about a third for the others.
CONVENTION_SHARE = {0: 0.5, 1: 0.5, 4: 0.35, 7: 0.35, 9: 0.35}
HOOK_SHARE = 0.1  # of stroke ends that get a short hook or tail
ENTRY_SHARE = 0.1  # of the training copies of any digit that begin with a long entry stroke


def _line(start, end, points: int = 6) -> np.ndarray:
    return np.linspace(start, end, points, dtype=np.float32)


def _arc(start, end, bow, points: int = 8) -> np.ndarray:
    """A gentle curve from `start` to `end`: the straight line pushed by up to `bow` (a vector)
    at its middle, by none at its ends."""
    t = np.linspace(0, 1, points, dtype=np.float32)[:, None]
    return (1 - t) * start + t * end + 4 * t * (1 - t) * bow


def _crossing_x(stroke: np.ndarray, y: float):
    """Where `stroke` first crosses the height `y` (None if it never does)."""
    a, b = stroke[:-1], stroke[1:]
    crossing = (a[:, 1] - y) * (b[:, 1] - y) <= 0
    if not crossing.any():
        return None
    (x0, y0), (x1, y1) = a[crossing][0], b[crossing][0]
    return float(x0 + (x1 - x0) * (y - y0) / (y1 - y0)) if y1 != y0 else float(x0)


def flagged_one(strokes, box, rng):
    """A flag from lower left into the top of the stem, short or long (20-90% of the height),
    straight or curved, and sometimes a base."""
    (left, top), (right, bottom), height = box
    stem = max(strokes, key=len)
    tip = stem[np.argmin(stem[:, 1])]
    length, angle = rng.uniform(0.2, 0.9) * height, np.radians(rng.uniform(15, 60))  # below the horizontal
    start = tip + length * np.array([-np.cos(angle), np.sin(angle)], np.float32)
    across = np.float32([np.sin(angle), np.cos(angle)])  # perpendicular to the flag, up and to the right
    bow = rng.uniform(-0.2, 0.2) * length * across if rng.random() < 0.5 else np.zeros(2, np.float32)
    strokes = strokes + [_arc(start, tip, bow).astype(np.float32)]
    if rng.random() < 0.4:
        foot, half = stem[np.argmax(stem[:, 1])], rng.uniform(0.15, 0.3) * height
        strokes.append(_line(foot - (half, 0), foot + (half, 0)))
    return strokes


def crossed_seven(strokes, box, rng):
    """A 7 written in one stroke, crossed at mid-height by a bar, straight or arched, level or rising
    from low left (one in more strokes may have its bar)."""
    (left, top), (right, bottom), height = box
    middle = top + rng.uniform(0.45, 0.6) * height
    x = _crossing_x(strokes[0], middle) if len(strokes) == 1 else None
    if x is None:
        return strokes
    half = rng.uniform(0.2, 0.35) * max(right - left, 0.5 * height)
    rise = rng.uniform(-0.05, 0.35) * height  # a bar tends to rise to the right, some steeply from low left
    bow = rng.uniform(-0.15, 0.05) * height  # and to arch (up: negative y)
    return strokes + [_arc(np.float32([x - half, middle + rise / 2]), np.float32([x + half, middle - rise / 2]),
                           np.float32([0, bow]))]


def crossed_zero(strokes, box, rng):
    """A 0 crossed by a straight stroke at any angle: vertical (like phi), either diagonal (a
    slash) or horizontal (like theta), through about its middle, from short (half the loop's width
    that way) to reaching far past the loop at both ends (twice it, as phi-like zeros do)."""
    (left, top), (right, bottom), height = box
    points = np.concatenate(strokes)
    angle = rng.uniform(0, np.pi)  # 0: horizontal, pi / 2: vertical
    along = np.float32([np.cos(angle), -np.sin(angle)])
    centre = (np.float32([left, top]) + np.float32([right, bottom])) / 2 + rng.uniform(-0.08, 0.08, 2) * height
    length = rng.uniform(0.5, 2.0) * float(np.ptp(points @ along))
    bow = rng.uniform(-0.05, 0.05) * length * np.float32([along[1], -along[0]])
    ends = (centre - along * length / 2, centre + along * length / 2)
    return strokes + [_arc(*(ends if rng.random() < 0.5 else ends[::-1]), bow).astype(np.float32)]


def closed_four(strokes, box, rng):
    """A 4 in two strokes with its open top closed: the left stroke's top joined to the stem's."""
    if len(strokes) != 2:
        return strokes
    stem, arm = sorted(strokes, key=lambda s: np.ptp(s[:, 1]), reverse=True)  # the stem is the taller
    return strokes + [_line(stem[np.argmin(stem[:, 1])], arm[np.argmin(arm[:, 1])])]


def curved_nine(strokes, box, rng):
    """A 9 whose tail curves to the left as it goes down."""
    (left, top), (right, bottom), height = box
    bend = rng.uniform(0.1, 0.35) * max(right - left, 0.5 * height)

    def leftwards(stroke):  # nothing above mid-height, growing to `bend` at the foot
        down = np.clip((stroke[:, 1] - (top + 0.5 * height)) / (0.5 * height), 0, 1)
        return np.stack([bend * down ** 2, np.zeros(len(stroke))], 1).astype(np.float32)

    return [s - leftwards(s) for s in strokes]


CONVENTIONS = {0: (crossed_zero,), 1: (flagged_one,), 4: (closed_four,), 7: (crossed_seven,),
               9: (curved_nine,)}  # a digit may have several ways: one at random


def with_hooks(strokes, rng: np.random.Generator) -> list[np.ndarray]:
    """Some stroke ends (HOOK_SHARE) get a short lead-in hook or tail: 5-12% of the digit's size,
    turned back from the stroke's direction by 60-150 degrees."""
    size = max(float(np.ptp(np.concatenate(strokes), 0).max()), 1e-6)
    hooked = []
    for stroke in strokes:
        for end, inner in ((0, 1), (-1, -2)):
            if len(stroke) > 1 and rng.random() < HOOK_SHARE:
                direction = stroke[end] - stroke[inner]
                direction = direction / max(float(np.hypot(*direction)), 1e-6)
                turn = np.radians(rng.uniform(60, 150)) * rng.choice((-1, 1))
                turned = _rotation(turn) @ direction
                hook = _line(stroke[end], stroke[end] + rng.uniform(0.05, 0.12) * size * turned, 4)[1:]
                stroke = np.concatenate([hook[::-1], stroke]) if end == 0 else np.concatenate([stroke, hook])
        hooked.append(stroke)
    return hooked


def with_entry_stroke(strokes, box, rng: np.random.Generator) -> list[np.ndarray]:
    """The first stroke begun with a cursive entry stroke: a gentle curve rising from lower left
    (20-70% of the digit's height away, 20-80 degrees below the horizontal) into its first point."""
    *_, height = box
    first = strokes[0][0]
    length, angle = rng.uniform(0.2, 0.7) * height, np.radians(rng.uniform(20, 80))
    bow = rng.uniform(-0.1, 0.1) * length * np.float32([np.sin(angle), np.cos(angle)])  # across the chord
    entry = _arc(first + length * np.float32([-np.cos(angle), np.sin(angle)]), first, bow)[:-1]  # ends at `first`
    return [np.concatenate([entry, strokes[0]]), *strokes[1:]]


def with_conventions(strokes, label: int, rng: np.random.Generator) -> list[np.ndarray]:
    """A training copy of a digit `label`'s `strokes`: sometimes (CONVENTION_SHARE[label]) written in its
    digit's convention (CONVENTIONS), sometimes (ENTRY_SHARE) begun with an entry stroke, and with
    a few hooks and tails (with_hooks)."""
    strokes = list(strokes)
    points = np.concatenate(strokes)
    low, high = points.min(0), points.max(0)
    box = (low, high, max(high[1] - low[1], 1e-6))
    if label in CONVENTIONS and rng.random() < CONVENTION_SHARE[label]:
        ways = CONVENTIONS[label]
        strokes = ways[rng.integers(len(ways))](strokes, box, rng)
    if rng.random() < ENTRY_SHARE:
        strokes = with_entry_stroke(strokes, box, rng)
    return with_hooks(strokes, rng)


# MNIST digits redrawn as pen strokes (benchmarks/drawn_digits.py): each test digit is thinned to its
# skeleton (its pen path), given a random slant, rotation and width, and redrawn on a canvas of
# 300-900 px at a random size (35-75% of its height), anywhere on it, with a round brush of 1.5-5%.
NEIGHBOURS = [(0, 1), (1, -1), (1, 0), (1, 1)]  # each skeleton edge drawn once


def pen_path(digit: np.ndarray):
    """The skeleton of a 28x28 MNIST digit at 4x resolution: points and the edges joining them."""
    big = np.asarray(Image.fromarray(digit).resize((112, 112), Image.Resampling.BILINEAR)) > 127
    skeleton = skeletonize(big)
    ys, xs = np.nonzero(skeleton)
    edges = [((y, x), (y + dy, x + dx)) for y, x in zip(ys.tolist(), xs.tolist()) for dy, dx in NEIGHBOURS
             if 0 <= y + dy < 112 and 0 <= x + dx < 112 and skeleton[y + dy, x + dx]]
    return np.stack([ys, xs], 1).astype(np.float32), edges


def redraw_mnist_digit(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
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


def as_model_input(drawings) -> np.ndarray:
    """Canvas images -> the (N, 28, 28) float32 batch the model reads (to_mnist; an image it
    calls empty becomes a blank 28x28, which the model must then answer as best it can)."""
    blank = np.zeros((28, 28), np.float32)
    return np.stack([x if (x := to_mnist(d)) is not None else blank for d in drawings])


def _redrawn(job) -> np.ndarray:
    digit, seed = job
    return as_model_input([redraw_mnist_digit(digit, np.random.default_rng(seed))])[0]


def _drawn(job) -> np.ndarray:
    strokes, label, seed, jitter, pen = job
    rng = np.random.default_rng(seed)
    if jitter and label is not None:  # a training copy: sometimes in another writer's convention
        strokes = with_conventions(strokes, label, rng)
    return as_model_input([draw_on_canvas(strokes, rng, pen=pen, jitter=jitter)])[0]


def _read_all(draw, jobs, processes: int) -> np.ndarray:
    """`draw(job)` (a drawing read as the model reads it) for every job, in parallel: (N, 28, 28)."""
    if processes > 1 and len(jobs) > 1:
        import multiprocessing
        with multiprocessing.Pool(processes) as pool:
            images = pool.map(draw, jobs, chunksize=64)
    else:
        images = [draw(job) for job in jobs]
    return np.stack(images) if images else np.zeros((0, 28, 28), np.float32)


def redraw_mnist(digits: np.ndarray, seed: int, processes: int = 1) -> np.ndarray:
    """MNIST digits (N, 28, 28) uint8 redrawn as pen strokes (redraw_mnist_digit) and read as the model reads them."""
    return _read_all(_redrawn, [(digit, [seed, i]) for i, digit in enumerate(digits)], processes)


def replay(digits, seed: int, copies: int = 1, jitter: float = 0.0, processes: int = 1,
           pen: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Every digit drawn `copies` times on the page's canvas (each drawing its own random size,
    place and pen width unless `pen` is given, seeded by (seed, copy, index), so the same call
    gives the same images in any number of processes) and read as the model reads it:
    ((N, 28, 28) float32, labels)."""
    jobs = [(d.strokes, d.label, [seed, copy, i], jitter, pen) for copy in range(copies) for i, d in enumerate(digits)]
    return _read_all(_drawn, jobs, processes), np.array([d.label for _ in range(copies) for d in digits], np.int64)


# Not digits: what a person may draw that is no digit, to measure how often the model says it is
# not sure about them. Letters as pen strokes in a unit box (x right, y down); none reads as a digit.
LETTERS = {
    "A": [[(0, 1), (0.5, 0), (1, 1)], [(0.22, 0.6), (0.78, 0.6)]],
    "E": [[(1, 0), (0, 0), (0, 1), (1, 1)], [(0, 0.5), (0.75, 0.5)]],
    "H": [[(0, 0), (0, 1)], [(1, 0), (1, 1)], [(0, 0.5), (1, 0.5)]],
    "K": [[(0, 0), (0, 1)], [(1, 0), (0, 0.55)], [(0.3, 0.35), (1, 1)]],
    "M": [[(0, 1), (0, 0), (0.5, 0.6), (1, 0), (1, 1)]],
    "N": [[(0, 1), (0, 0), (1, 1), (1, 0)]],
    "R": [[(0, 1), (0, 0), (0.7, 0), (0.95, 0.2), (0.7, 0.45), (0, 0.45)], [(0.4, 0.45), (1, 1)]],
    "W": [[(0, 0), (0.25, 1), (0.5, 0.4), (0.75, 1), (1, 0)]],
    "X": [[(0, 0), (1, 1)], [(1, 0), (0, 1)]],
    "Y": [[(0, 0), (0.5, 0.5), (1, 0)], [(0.5, 0.5), (0.5, 1)]],
    "#": [[(0.3, 0), (0.2, 1)], [(0.8, 0), (0.7, 1)], [(0, 0.33), (1, 0.33)], [(0, 0.66), (1, 0.66)]],
    "*": [[(0.5, 0), (0.5, 1)], [(0, 0.25), (1, 0.75)], [(1, 0.25), (0, 0.75)]],
}


def letter_strokes(letter: str, rng: np.random.Generator) -> list[np.ndarray]:
    """A letter's strokes with a little hand-made wobble, in a box about 0.6-1.0 wide per 1 high."""
    width = rng.uniform(0.6, 1.0)
    return [np.asarray(s, np.float32) * (width, 1) + rng.normal(0, 0.03, (len(s), 2)).astype(np.float32)
            for s in LETTERS[letter]]


def scribble_strokes(rng: np.random.Generator) -> list[np.ndarray]:
    """1-3 strokes, each a smoothed random walk through 6-14 points in the unit box: a scribble."""
    strokes = []
    for _ in range(rng.integers(1, 4)):
        points = rng.uniform(0, 1, (rng.integers(6, 15), 2))
        t = np.linspace(0, len(points) - 1, 8 * len(points))  # a smooth pass through the points
        strokes.append(np.stack([np.interp(t, np.arange(len(points)), points[:, k]) for k in range(2)], 1)
                       .astype(np.float32))
    return strokes


def zigzag_strokes(rng: np.random.Generator) -> list[np.ndarray]:
    """1-2 sharp-cornered strokes through 5-9 random points: a zigzag scrawl."""
    return [rng.uniform(0, 1, (rng.integers(5, 10), 2)).astype(np.float32) for _ in range(rng.integers(1, 3))]


NOT_DIGITS = {"letters": 1, "scribbles": 2, "training scrawls": 3}  # kind -> its random stream


def not_digit_strokes(kind: str, n: int, seed: int) -> list[list[np.ndarray]]:
    """`n` strokes of letters, scribbles, or "training scrawls" (scribbles and zigzags from a stream of
    their own, for training: the model never trains on the measured scribbles, nor on any letter)."""
    rng = np.random.default_rng([seed, NOT_DIGITS[kind]])
    names = sorted(LETTERS)
    if kind == "letters":
        return [letter_strokes(names[i % len(names)], rng) for i in range(n)]
    if kind == "scribbles":
        return [scribble_strokes(rng) for _ in range(n)]
    return [scribble_strokes(rng) if i % 2 else zigzag_strokes(rng) for i in range(n)]


def not_digit_images(kind: str, n: int, seed: int, processes: int = 1) -> np.ndarray:
    """`n` not-digits (see not_digit_strokes) drawn on the page's canvas, as the model reads them."""
    jobs = [(strokes, None, [seed, NOT_DIGITS[kind], i], 0.0, None) for i, strokes in enumerate(not_digit_strokes(kind, n, seed))]
    return _read_all(_drawn, jobs, processes)
