"""demo/engine/preprocess.js (the page's preprocessing in the browser) gives the 28x28 that
model.preprocess.to_mnist gives: the same empty / not-empty answer on every input, and for
>= 99% of the drawings >= 99% of the 784 pixels within 1/255.

Python draws fixed inputs (real pen digits replayed on the page's canvas, synthetic digits,
hostile shapes, dots and empty canvases), writes them as raw RGBA, node runs the engine on them
(tests/js/run_preprocess.js), and Python compares with to_mnist."""
import json
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image, ImageDraw

import model.preprocess as preprocess
from model.pen_digits import DIGIT_SIZES, PEN_WIDTHS, draw_on_canvas
from model.preprocess import to_mnist
from tests.helpers import ROOT, STROKES, draw_digit, missing, pen_digits_or_missing

RUNNER = ROOT / "tests" / "js" / "run_preprocess.js"
TOLERANCE = 1 / 255
PEN_DRAWINGS_PER_PART = 80  # x (UJI, pendigits) x (calibration, test) = 320 real pen drawings
PEN_STEPS = 18  # pens 6, 8, ..., 40 px in turn
SIZE_STEPS = 9  # digit sizes 0.35, 0.40, ..., 0.75 of the canvas in turn
SIDE = 280  # the page's canvas


def rgba(image) -> np.ndarray:
    """An HxWx3 (or HxW) uint8 image as opaque HxWx4: what the canvas's getImageData gives."""
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    return np.concatenate([image, np.full(image.shape[:2] + (1,), 255, np.uint8)], axis=2)


def canvas(draw_on, side=SIDE, background=255) -> np.ndarray:
    """An opaque side x side RGBA image: `draw_on(ImageDraw)` on a plain background."""
    image = Image.new("L", (side, side), background)
    draw_on(ImageDraw.Draw(image))
    return rgba(image)


def dot(x, y, pen):
    return lambda d: d.ellipse([x - pen / 2, y - pen / 2, x + pen / 2, y + pen / 2], fill=0)


def hostile_inputs() -> dict[str, np.ndarray]:
    """Shapes that are or are nearly no drawing, at the edges of the thresholds, or odd forms."""
    rng = np.random.default_rng(7)
    scattered = rng.uniform(20, 260, (12, 2))
    inputs = {
        "empty white": canvas(lambda d: None),
        "empty black": canvas(lambda d: None, background=0),
        "faint noise": rgba(np.clip(255 - rng.integers(0, 40, (SIDE, SIDE)), 0, 255).astype(np.uint8)),
        "filled blob": canvas(lambda d: d.ellipse([80, 90, 190, 200], fill=0)),
        "filled square": canvas(lambda d: d.rectangle([60, 60, 220, 220], fill=0)),
        "scattered dots": canvas(lambda d: [dot(x, y, 10)(d) for x, y in scattered]),
        "scattered big dots": canvas(lambda d: [dot(x, y, 36)(d) for x, y in scattered[:5]]),
        "tiny mark": canvas(lambda d: d.line([(130, 130), (150, 138)], fill=0, width=6)),
        "short mark": canvas(lambda d: d.line([(100, 140), (140, 140)], fill=0, width=8)),
        "full-canvas frame": canvas(lambda d: d.rectangle([0, 0, SIDE - 1, SIDE - 1], outline=0, width=8)),
        "inset frame": canvas(lambda d: d.rectangle([12, 12, SIDE - 13, SIDE - 13], outline=0, width=6)),
        # Symmetric bars: the centre of mass lands on a half pixel, where round() halves to even.
        "symmetric bar 7x106": canvas(lambda d: d.rectangle([137, 87, 143, 193], fill=0)),
        "symmetric bar 13x152": canvas(lambda d: d.rectangle([134, 64, 146, 216], fill=0)),
        "symmetric bar 22x221": canvas(lambda d: d.rectangle([129, 30, 151, 251], fill=0)),
        "thin 1 px line": canvas(lambda d: d.line([(60, 40), (200, 240)], fill=0, width=1)),
        "thin 1 px vertical": canvas(lambda d: d.line([(140, 40), (140, 240)], fill=0, width=1)),
        "huge pen 7": rgba(draw_digit("7", canvas=SIDE, size=0.7, pen=0.3)),
        "huge pen 0": rgba(draw_digit("0", canvas=SIDE, size=0.6, pen=0.25)),
        "touching the top": rgba(draw_digit("7", canvas=SIDE, size=0.7, centre=(0.5, 0.2), pen=0.05)),
        "touching the left": rgba(draw_digit("4", canvas=SIDE, size=0.6, centre=(0.15, 0.5), pen=0.05)),
        "across the corner": rgba(draw_digit("2", canvas=SIDE, size=0.9, centre=(0.8, 0.8), pen=0.04)),
        "letters": canvas(lambda d: d.text((40, 100), "LSTM", fill=0, font_size=80)),
    }
    for pen in (1, 6, 20, 40, 80):
        inputs[f"click dot pen {pen}"] = canvas(dot(140, 140, pen))
    seven = draw_digit("7", canvas=SIDE, size=0.6, pen=0.04)
    for fill in (203, 204, 205):  # ink 52/255, 51/255 (INK_THRESHOLD exactly), 50/255: in the box or not
        faint = Image.fromarray(seven)
        ImageDraw.Draw(faint).line([(20, 250), (120, 262)], fill=(fill,) * 3, width=10)
        inputs[f"7 with a grey {fill} stroke"] = rgba(np.minimum(np.asarray(faint), seven))
        inputs[f"grey {fill} digit"] = rgba(np.maximum(draw_digit("4", canvas=SIDE, size=0.6, pen=0.05), fill))
    inputs["light on dark"] = rgba(255 - seven)
    inputs["coloured ink"] = rgba(np.where(seven < 128, np.uint8([200, 30, 60]), seven).astype(np.uint8))
    layer = np.zeros((SIDE, SIDE, 4), np.uint8)  # a transparent layer: the ink is in the alpha
    layer[..., 3] = 255 - seven[..., 0]
    inputs["ink in alpha"] = layer
    inputs["empty transparent"] = np.zeros((SIDE, SIDE, 4), np.uint8)
    return inputs


def synthetic_inputs() -> dict[str, np.ndarray]:
    """tests/helpers.py's digits: every digit at a few sizes and pens, some on other canvases."""
    inputs = {}
    for digit in STROKES:
        for size, pen in [(0.35, 0.02), (0.5, 0.04), (0.6, 0.08), (0.75, 0.14)]:
            inputs[f"draw_digit {digit} size {size} pen {pen}"] = rgba(draw_digit(digit, canvas=SIDE, size=size, pen=pen))
        for side in (100, 400):
            inputs[f"draw_digit {digit} canvas {side}"] = rgba(draw_digit(digit, canvas=side))
    inputs["draw_digit 1 non-square"] = rgba(draw_digit("1", canvas=SIDE)[:, 40:240])
    return inputs


def pen_inputs() -> dict[str, np.ndarray]:
    """Real pen digits of the calibration and test writers (both sets) on the page's canvas, every
    pen width of the page's slider (6..40 px) and size (35..75% of the canvas) in turn."""
    digits = pen_digits_or_missing()
    inputs, k = {}, 0
    for dataset in ("uji", "pendigits"):
        for split in ("calibration", "test"):
            part = [d for d in digits if d.dataset == dataset and d.split == split]
            chosen = np.random.default_rng(len(part)).choice(len(part), PEN_DRAWINGS_PER_PART, replace=False)
            for i in sorted(chosen):
                pen = PEN_WIDTHS[0] + (PEN_WIDTHS[1] - PEN_WIDTHS[0]) * (k % PEN_STEPS) / (PEN_STEPS - 1)
                size = DIGIT_SIZES[0] + (DIGIT_SIZES[1] - DIGIT_SIZES[0]) * (k * 5 % SIZE_STEPS) / (SIZE_STEPS - 1)
                image = draw_on_canvas(part[i].strokes, np.random.default_rng(k), size=size, pen=pen)
                inputs[f"{dataset} {split} #{i} (digit {part[i].label}, pen {pen:.0f}, size {size:.2f})"] = rgba(image)
                k += 1
    return inputs


def run_engine(inputs: dict[str, np.ndarray], tmp_path) -> tuple[dict, dict]:
    """The engine's 28x28 (or None) for each input, and run_preprocess.js's report."""
    images = list(inputs.values())
    (tmp_path / "index.json").write_text(json.dumps([[a.shape[1], a.shape[0]] for a in images]))
    (tmp_path / "pixels.bin").write_bytes(b"".join(np.ascontiguousarray(a, np.uint8).tobytes() for a in images))
    done = subprocess.run(["node", str(RUNNER), str(tmp_path / "index.json"), str(tmp_path / "pixels.bin"),
                           str(tmp_path / "out.bin")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = np.fromfile(tmp_path / "out.bin", np.float32).reshape(len(images), 28, 28)
    return {name: None if np.isnan(o).all() else o for name, o in zip(inputs, out)}, json.loads(done.stdout)


@pytest.fixture(scope="module")
def node():
    if shutil.which("node") is None:
        missing("node not found (`make node` installs Debian's nodejs)")


def compare(inputs: dict[str, np.ndarray], tmp_path) -> tuple[dict, dict]:
    """{name: (to_mnist's 28x28 or None, the engine's)} for each input, and the runner's report."""
    engine, report = run_engine(inputs, tmp_path)
    return {name: (to_mnist(image), engine[name]) for name, image in inputs.items()}, report


@pytest.fixture(scope="module")
def quick(node, tmp_path_factory):
    """Hostile shapes, dots, empty canvases and synthetic digits: a second or two."""
    return compare({**hostile_inputs(), **synthetic_inputs()}, tmp_path_factory.mktemp("quick"))


def mismatches(pairs: dict) -> dict[str, int]:
    """Pixels off by more than 1/255, for each input both sides drew."""
    return {name: int((np.abs(py - js) > TOLERANCE).sum()) for name, (py, js) in pairs.items()
            if py is not None and js is not None}


def assert_agree(pairs: dict):
    differ = [name for name, (py, js) in pairs.items() if (py is None) != (js is None)]
    assert not differ, "empty / not-empty differs (Python, engine): " + "; ".join(
        f"{n}: {pairs[n][0] is None}, {pairs[n][1] is None}" for n in differ)
    counts = mismatches(pairs)
    close = sum(c <= 0.01 * 784 for c in counts.values())
    largest = max((np.abs(py - js).max() for py, js in pairs.values() if py is not None), default=0.0)
    worst = sorted(((n, c) for n, c in counts.items() if c), key=lambda item: -item[1])[:8]
    summary = (f"{len(pairs) - len(counts)} of {len(pairs)} inputs are no drawing on both sides; of the "
               f"{len(counts)} drawings {close} have >= 99% of their pixels within 1/255, "
               f"{sum(c == 0 for c in counts.values())} all of them; mean pixels off by more: "
               f"{np.mean(list(counts.values())):.3f}; largest difference {largest:.2g}; worst: {worst}")
    print(summary)
    assert close >= 0.99 * len(counts), summary


def test_engine_constants_equal_pythons(quick):
    constants = quick[1]["constants"]
    assert constants == {name: getattr(preprocess, name) for name in constants}
    assert set(constants) == {"INK_THRESHOLD", "WORK_SIDE", "BOX_SIDE", "CANVAS", "MIN_PEN_PATH", "MIN_INK",
                              "MIN_MARK", "PEN_WIDTH_FRACTION", "PEN_DEPTH_PERCENTILE"}


def test_hostile_shapes_dots_and_empty_canvases_agree(quick):
    pairs = {name: pair for name, pair in quick[0].items() if not name.startswith("draw_digit")}
    assert len(pairs) == len(hostile_inputs())
    assert_agree(pairs)
    # The set holds both answers: no drawing (empty canvases, dots, specks) and drawings.
    assert pairs["empty white"][0] is None and pairs["click dot pen 40"][0] is None and pairs["tiny mark"][0] is None
    assert pairs["light on dark"][0] is not None and pairs["ink in alpha"][0] is not None


def test_synthetic_digits_agree(quick):
    pairs = {name: pair for name, pair in quick[0].items() if name.startswith("draw_digit")}
    assert len(pairs) == len(synthetic_inputs()) and all(py is not None for py, _ in pairs.values())
    assert_agree(pairs)


@pytest.mark.slow  # about 9 s on a 2-core CPU: drawing the digits at 2x and to_mnist on each
def test_real_pen_digits_agree(node, tmp_path):
    inputs = pen_inputs()
    assert len(inputs) >= 300
    assert all(f"pen {pen}," in " ".join(inputs) for pen in PEN_WIDTHS)  # the slider's both ends
    assert_agree(compare(inputs, tmp_path)[0])
