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
"""
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
    digits = read_uji(root / UJI_FILE)
    for part, name in PENDIGITS_FILES.items():
        digits += read_pendigits(root / name, part)
    return [d for d in digits if split is None or d.split == split]


def draw_on_canvas(strokes, rng: np.random.Generator, size=None, pen=None, jitter=0.0) -> np.ndarray:
    """The strokes drawn as a person draws them on the page's canvas: a (280, 280, 3) uint8 image,
    dark round pen on white. Size (share of the canvas), place and pen width are random unless
    given. `jitter` > 0 also varies the hand (slant, rotation, aspect) for training copies."""
    points = np.concatenate(strokes)
    centre = (points.min(0) + points.max(0)) / 2
    transform = np.eye(2, dtype=np.float32)
    if jitter:
        slant, angle, aspect = rng.uniform(-0.3, 0.3) * jitter, rng.uniform(-0.2, 0.2) * jitter, \
            np.exp(rng.uniform(-0.2, 0.2) * jitter)
        rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], np.float32)
        transform = rotation @ np.array([[aspect, slant], [0, 1]], np.float32)
    strokes = [(s - centre) @ transform.T for s in strokes]
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
    strokes, seed, jitter, pen = job
    return as_model_input([draw_on_canvas(strokes, np.random.default_rng(seed), pen=pen, jitter=jitter)])[0]


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
    jobs = [(d.strokes, [seed, copy, i], jitter, pen) for copy in range(copies) for i, d in enumerate(digits)]
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
    jobs = [(strokes, [seed, NOT_DIGITS[kind], i], 0.0, None) for i, strokes in enumerate(not_digit_strokes(kind, n, seed))]
    return _read_all(_drawn, jobs, processes)
