"""model.preprocess.to_mnist: MNIST-style 28x28 from any accepted drawing form, the same
drawing giving (nearly) the same 28x28 whatever its size, place, brush or canvas."""
import base64

import numpy as np
import pytest
from PIL import Image, ImageDraw

from model.preprocess import DrawingError, to_mnist
from tests.helpers import draw_digit, png_data_url

PAGE_PENS = (6, 12, 18, 30, 40)  # the page's pen slider runs 6..40 px on its 280 px canvas


def shifted(x, dy, dx):
    return np.roll(np.roll(x, dy, 0), dx, 1)


def difference(a, b):
    """Absolute pixel difference as a share of the ink (0 = identical), after a 3x3 blur and
    at the best whole-pixel alignment: centring rounds to whole pixels, and a one-pixel
    shift of a 2-pixel stroke is not a different drawing."""
    blur = lambda x: sum(shifted(x, dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)) / 9  # noqa: E731
    a, b = blur(a), blur(b)
    return min(np.abs(shifted(a, dy, dx) - b).sum() for dy in (-1, 0, 1) for dx in (-1, 0, 1)) / max(a.sum(), b.sum())


def test_output_is_mnist_shaped_centred_and_20px():
    out = to_mnist(draw_digit("7"))
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 1 and out.max() > 0.9  # white ink on black
    rows, cols = np.nonzero(out > 0.05)
    assert max(np.ptp(rows), np.ptp(cols)) + 1 in (20, 21)  # longest side scaled to 20 px
    ys, xs = np.indices(out.shape)
    assert abs((ys * out).sum() / out.sum() - 13.5) <= 0.6 and abs((xs * out).sum() / out.sum() - 13.5) <= 0.6


@pytest.mark.parametrize("digit", ["7", "4", "0", "2"])
def test_same_drawing_at_any_size_place_brush_or_canvas_gives_nearly_the_same_28x28(digit):
    reference = to_mnist(draw_digit(digit, canvas=400, size=0.6, pen=0.03))
    variants = {
        "small, top-left": draw_digit(digit, canvas=400, size=0.35, centre=(0.25, 0.25), pen=0.02),
        "large, off-centre": draw_digit(digit, canvas=400, size=0.8, centre=(0.55, 0.45), pen=0.04),
        "thin brush": draw_digit(digit, canvas=400, size=0.6, pen=0.012),
        "thick brush": draw_digit(digit, canvas=400, size=0.6, pen=0.06),
        "small canvas": draw_digit(digit, canvas=140, size=0.6, pen=0.05),
        "big canvas": draw_digit(digit, canvas=1200, size=0.5, centre=(0.7, 0.6), pen=0.025),
    }
    for name, drawing in variants.items():
        assert difference(to_mnist(drawing), reference) < 0.3, name
    # ...while a different digit is far away: the measure can tell drawings apart.
    other = to_mnist(draw_digit("1" if digit != "1" else "7"))
    assert difference(other, reference) > 0.5


def test_stroke_width_is_normalised_to_mnist_like_width():
    masses = [to_mnist(draw_digit("4", pen=pen)).sum() for pen in (0.01, 0.03, 0.08)]
    assert max(masses) / min(masses) < 1.3  # an 8x thicker brush, nearly the same ink
    assert 60 < np.mean(masses) < 130  # MNIST digits hold about 100 (sum of pixels)


@pytest.mark.parametrize("digit", ["1", "7"])
def test_stroke_width_is_normalised_on_the_smallest_digits_with_every_page_pen(digit):
    """The pen is read from the ink's depth along the skeleton, shallower at stroke ends: on the
    smallest digits with the widest pens a short stroke is still redrawn at MNIST's width."""
    masses = [to_mnist(draw_digit(digit, canvas=280, size=0.35, pen=pen / 280)).sum() for pen in PAGE_PENS]
    assert max(masses) / min(masses) < 1.5


@pytest.mark.parametrize("empty", [None, "", {}, {"background": None, "layers": [], "composite": None},
                                   np.full((200, 200, 3), 255, np.uint8), np.zeros((50, 50), np.uint8),
                                   np.zeros((64, 64, 4), np.uint8)])
def test_no_ink_gives_none(empty):
    assert to_mnist(empty) is None


def test_every_accepted_form_gives_the_same_image():
    rgb = draw_digit("2", canvas=300)
    expected = to_mnist(rgb)
    grey = rgb[..., 0]
    ink = 255 - grey
    alpha_layer = np.zeros((300, 300, 4), np.uint8)
    alpha_layer[..., 3] = ink  # black ink in the alpha channel, transparent elsewhere
    white = np.full((300, 300, 4), 255, np.uint8)
    forms = {
        "HxW grey": grey,
        "HxWx1": grey[..., None],
        "HxWx3": rgb,
        "HxWx4 opaque": np.dstack([rgb, np.full((300, 300), 255, np.uint8)]),
        "HxWx4 ink in alpha": alpha_layer,
        "white ink on black": 255 - rgb,
        "float 0..1": rgb.astype(np.float32) / 255,
        "bool ink mask": grey < 128,
        "composite only": {"composite": rgb},
        "full sketchpad dict": {"background": white, "layers": [alpha_layer], "composite": rgb},
        "background + layers, no composite": {"background": white, "layers": [alpha_layer], "composite": None},
        "layers only": {"layers": [alpha_layer]},
        "PIL image": Image.fromarray(rgb),
        "PNG data URL": png_data_url(rgb),
    }
    for name, value in forms.items():
        out = to_mnist(value)
        assert out is not None, name
        assert difference(out, expected) < 0.1, name


def test_image_file_path(tmp_path):
    path = tmp_path / "digit.png"
    Image.fromarray(draw_digit("0")).save(path)
    assert difference(to_mnist(str(path)), to_mnist(draw_digit("0"))) < 0.01


@pytest.mark.parametrize("bad, message", [
    (np.zeros((10, 10, 2), np.uint8), "shaped"),
    (np.zeros((4, 4, 4, 4), np.uint8), "shaped"),
    (np.zeros((0, 10), np.uint8), "empty"),
    (np.full((5000, 10), 255, np.uint8), "limit"),
    (np.array([[np.nan, 1.0], [0.0, 0.0]]), "NaN"),
    (np.array([[np.inf, 1.0], [0.0, 0.0]]), "NaN or infinite"),
    (np.full((8, 8), 1000.0), "0..255"),
    (np.full((8, 8), "a"), "dtype"),
    (np.zeros((8, 8), complex), "dtype"),
    ("data:text/plain;base64,aGVsbG8=", "image data URL"),
    ("data:image/png;base64,!!!not-base64", "base64"),
    ("data:image/png;base64," + base64.b64encode(b"not a png").decode(), "not a readable image"),
    (12345, "cannot read a drawing"),
    ({"background": np.zeros((10, 10, 4), np.uint8), "layers": [np.zeros((12, 10, 4), np.uint8)]}, "differ in size"),
])
def test_bad_input_is_a_clear_error(bad, message):
    with pytest.raises(DrawingError, match=message):
        to_mnist(bad)


def test_a_huge_image_file_is_refused_before_decoding(tmp_path):
    path = tmp_path / "huge.png"
    Image.new("L", (5000, 5000), 255).save(path)
    with pytest.raises(DrawingError, match="limit"):
        to_mnist(str(path))


def test_not_an_image_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(DrawingError, match="not a readable image"):
        to_mnist(str(path))


@pytest.mark.parametrize("module", ["model.preprocess", "demo.preprocess"])  # the shared module, and the old name
def test_preprocess_does_not_import_gradio(module):
    import subprocess
    import sys
    code = f"import sys, {module}; print('gradio' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=__import__("tests.helpers").helpers.ROOT)
    assert out.stdout.strip() == "False", out.stderr


def test_an_image_over_pillows_pixel_limit_says_too_large(tmp_path, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # as the app lowers it, but smaller
    path = tmp_path / "big.png"
    Image.new("L", (100, 100), 255).save(path)  # 10,000 px: over twice the limit
    with pytest.raises(DrawingError, match="too large"):
        to_mnist(str(path))


def page_canvas(marks):
    """A 280 px white canvas with `marks`: (points, pen width) drawn as the page's round pen draws."""
    image = Image.new("RGB", (280, 280), "white")
    draw = ImageDraw.Draw(image)
    for points, pen in marks:
        if len(points) > 1:
            draw.line(points, fill="black", width=pen, joint="curve")
        for x, y in points:
            draw.ellipse([x - pen / 2, y - pen / 2, x + pen / 2, y + pen / 2], fill="black")
    return np.asarray(image)


@pytest.mark.parametrize("pen", PAGE_PENS)
def test_clicks_specks_and_tiny_marks_of_any_pen_and_place_are_no_drawing(pen):
    rng = np.random.default_rng(pen)
    for _ in range(15):
        anywhere = lambda: tuple(rng.uniform(pen / 2, 280 - pen / 2, 2))  # noqa: E731
        click = [([anywhere()], pen)]
        dots = []  # 2-4 dots apart from each other (touching dots make a dash: a pen path)
        while len(dots) < 4:
            dot = anywhere()
            if all(np.hypot(dot[0] - x, dot[1] - y) > pen + 4 for x, y in dots):
                dots.append(dot)
        specks = [([dot], pen) for dot in dots[:int(rng.integers(2, 5))]]
        centre = np.array(anywhere()).clip(20, 260)
        wiggle = [([tuple(centre + rng.uniform(-8, 8, 2)) for _ in range(4)], pen)]  # within 16 px
        for name, marks in {"click": click, "specks": specks, "tiny wiggle": wiggle}.items():
            assert to_mnist(page_canvas(marks)) is None, (name, pen)


@pytest.mark.parametrize("pen", PAGE_PENS)
def test_the_smallest_digits_people_draw_are_still_drawings(pen):
    """Digits at 35% of the canvas (the pen benchmark's smallest) with any pen are read."""
    for digit in ("1", "7", "0", "4"):
        assert to_mnist(draw_digit(digit, canvas=280, size=0.35, pen=pen / 280, centre=(0.3, 0.7))) is not None


def small_nine(pen: int, stem_end: int = 210) -> np.ndarray:
    """A 9 on the page's 280 px canvas whose loop (50 px across) a 30 px pen fills completely."""
    image = Image.new("L", (280, 280), 255)
    draw = ImageDraw.Draw(image)
    draw.ellipse([110, 60, 160, 110], outline=0, width=pen)
    draw.line([(158, 85), (150, stem_end)], fill=0, width=pen)
    return np.asarray(image)


def loop_and_stem(image):
    """The ink per row of the top third of a 28x28 (a 9's loop) and of its bottom third (the stem)."""
    rows = (image > 0.5).sum(1)
    drawn = np.flatnonzero(rows)
    third = (drawn[-1] - drawn[0] + 1) // 3
    return rows[drawn[0]:drawn[0] + third], rows[drawn[-1] + 1 - third:drawn[-1] + 1]


def test_a_loop_a_thick_pen_filled_stays_an_area_not_a_line():
    """Thinning to a skeleton alone turns a filled loop into a short line (the 9 reads as a 1);
    the 28x28 keeps it an area about as big as the same loop drawn open with a thin pen, and
    wider than the stem."""
    filled_loop, stem = loop_and_stem(to_mnist(small_nine(pen=30)))
    open_loop, _ = loop_and_stem(to_mnist(small_nine(pen=6)))
    assert filled_loop.sum() >= 0.6 * open_loop.sum()
    assert filled_loop.max() >= 1.5 * stem.max()


def test_a_filled_loop_stays_an_area_where_it_is_most_of_the_skeleton():
    """With a short stem and the widest pen, the filled loop's middle line is most of the skeleton:
    the pen's width is still read from the stem (the most common depth was the loop's, and the
    loop came out half its size)."""
    filled_loop, _ = loop_and_stem(to_mnist(small_nine(pen=40, stem_end=150)))
    open_loop, _ = loop_and_stem(to_mnist(small_nine(pen=6, stem_end=150)))
    assert filled_loop.sum() >= 0.9 * open_loop.sum()
