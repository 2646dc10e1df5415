"""Turn a drawing into the 28x28 image the model reads, the way MNIST was made.

`to_mnist(value)` accepts what Gradio's Sketchpad passes (a dict with `background`,
`layers` and `composite`, any of them None or missing), a bare image array (HxW, HxWx3 or
HxWx4 uint8; dark ink on a light background, light ink on a dark one, or ink in the alpha
channel), a PIL image, an image file path, or an image data URL (what the app's canvas
sends). It returns a float32 (28, 28) array in [0, 1], white ink on black, or None when
there is no ink, or only dots, specks, blobs or tiny marks (see MIN_INK and MIN_MARK), whatever
the pen width and place. Anything else raises DrawingError (a ValueError)
with a clear message.

The steps, as MNIST's authors describe theirs, plus one for stroke width:
1. ink map: how far each pixel is from the background colour;
2. crop to the ink's bounding box and scale it to a working size (longest side 72 px);
3. stroke width: thin the strokes to a one-pixel skeleton and redraw them with a round pen
   of MNIST's typical width, so thin and thick brushes give the same strokes; areas a thick
   pen filled (small loops) are kept, thinned by as much as the strokes were;
4. scale the longest side to 20 px with anti-aliasing (area averaging);
5. place it in 28x28 so its centre of mass sits at the centre.
No Gradio here: this module is plain numpy and Pillow, reusable anywhere.
"""
import base64
import binascii
import io
from pathlib import Path

import numpy as np
from PIL import Image

MAX_SIDE = 4096  # larger images are refused (memory stays bounded)
MAX_DATA_URL = 16 * 2**20  # characters; the app's canvas sends a few kB
READ_SIDE = 512  # larger images are shrunk as they are read: a drawing at the cap costs about a normal one
INK_THRESHOLD = 0.2  # weaker marks (anti-aliasing fringes, paper noise) are not ink
WORK_SIDE = 72  # longest side of the working image for the stroke-width step
BOX_SIDE = 20  # MNIST: the digit's bounding box is scaled to 20 px ...
CANVAS = 28  # ... and centred by mass in a 28x28 field
MIN_PEN_PATH = 0.15  # a pen path shorter than this share of the ink's size is a dot
# Tiny marks are no drawing: ink spanning less than MIN_INK of the image's longest side (62 px of the
# page's 280, pen included), or a pen path shorter than MIN_MARK of it (34 px). The smallest digits
# people draw on the page (35% of it, the pen benchmark's smallest) span 98 px and more.
MIN_INK = 0.22
MIN_MARK = 0.12
PEN_WIDTH_FRACTION = 0.148  # MNIST's typical stroke width / skeleton extent (measured on MNIST test)
PEN_DEPTH_PERCENTILE = 20  # of the ink's depth along the skeleton: the pen's half width (thinned_ink)


class DrawingError(ValueError):
    """An input that is not a drawing we can read; the message says what was wrong."""


# 1. Reading the value -------------------------------------------------------------------

def _read_image(source) -> np.ndarray:
    """A data URL (what the app's canvas sends) or an image file path -> pixel array."""
    if isinstance(source, str) and source.startswith("data:"):
        if not source.startswith("data:image/") or ";base64," not in source:
            raise DrawingError("expected an image data URL (data:image/png;base64,...)")
        if len(source) > MAX_DATA_URL:
            raise DrawingError(f"the image data URL is too large (over {MAX_DATA_URL // 2**20} MB)")
        try:
            source = io.BytesIO(base64.b64decode(source.split(";base64,", 1)[1], validate=True))
        except binascii.Error:
            raise DrawingError("the data URL is not valid base64") from None
    try:
        with Image.open(source) as image:  # lazy: the size is known before pixels are decoded
            return _pil_to_array(image)
    except DrawingError:
        raise
    except Image.DecompressionBombError:
        raise DrawingError(f"the image is too large; the limit is {MAX_SIDE} px per side") from None
    except (OSError, SyntaxError, ValueError):
        raise DrawingError("the file is not a readable image (PNG, JPEG, WebP, ...)") from None


def _pil_to_array(image: Image.Image) -> np.ndarray:
    if max(image.size) > MAX_SIDE:
        raise DrawingError(f"image is {image.size[0]}x{image.size[1]} px; the limit is {MAX_SIDE} px per side")
    image = image.convert("RGBA") if image.mode not in {"L", "RGB", "RGBA"} else image
    return np.asarray(_shrunk(image))


def _shrunk(image: Image.Image) -> Image.Image:
    """Shrink an image whose longest side is over READ_SIDE by a whole factor (box average):
    every later step costs by the pixel, and the strokes are read at 72 px anyway (WORK_SIDE)."""
    factor = -(-max(image.size) // READ_SIDE)  # ceiling division
    return image.reduce(factor) if factor > 1 else image


def _as_array(value) -> np.ndarray | None:
    """Any accepted input form -> a numeric array (HxW, HxWx3 or HxWx4), or None."""
    if value is None or (isinstance(value, str) and not value):  # "": the canvas was cleared
        return None
    if isinstance(value, dict):
        return _sketchpad_to_array(value)
    if isinstance(value, (str, Path)):
        return _read_image(value)
    if isinstance(value, Image.Image):
        return _pil_to_array(value)
    if isinstance(value, np.ndarray):
        return value
    raise DrawingError(f"cannot read a drawing from a {type(value).__name__}; send an image array or a sketchpad value")


def _sketchpad_to_array(value: dict) -> np.ndarray | None:
    """Gradio's Sketchpad/ImageEditor value: the composite when there is one, else the
    background with the layers painted over it (layers keep their ink in the alpha channel)."""
    composite = _as_array(value.get("composite"))
    if composite is not None:
        return composite
    parts = [_as_array(v) for v in [value.get("background"), *(value.get("layers") or [])]]
    parts = [_to_rgba(p) for p in parts if p is not None]
    if not parts:
        return None
    if any(p.shape != parts[0].shape for p in parts):
        raise DrawingError("the sketchpad's background and layers differ in size")
    canvas = Image.new("RGBA", parts[0].shape[1::-1], (255, 255, 255, 255))
    for part in parts:
        canvas.alpha_composite(Image.fromarray(part, "RGBA"))
    return np.asarray(canvas)


def _to_rgba(array: np.ndarray) -> np.ndarray:
    array = _validated(array)
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=2)
    if array.shape[2] == 3:
        array = np.concatenate([array, np.full(array.shape[:2] + (1,), 255, np.uint8)], axis=2)
    return np.ascontiguousarray(array)


def _validated(array: np.ndarray) -> np.ndarray:
    """Check shape, size, dtype and values; return uint8."""
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (1, 3, 4)):
        raise DrawingError(f"expected an image shaped HxW, HxWx3 or HxWx4, got shape {array.shape}")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if max(array.shape[:2]) > MAX_SIDE:
        raise DrawingError(f"image is {array.shape[1]}x{array.shape[0]} px; the limit is {MAX_SIDE} px per side")
    if min(array.shape[:2]) == 0:
        raise DrawingError("the image is empty (zero width or height)")
    if array.dtype == np.uint8:
        return array
    if array.dtype == bool:
        return np.where(array, 0, 255).astype(np.uint8)  # True = ink, drawn dark on light
    if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise DrawingError(f"expected uint8 pixel values, got dtype {array.dtype}")
    if not np.isfinite(array).all():
        raise DrawingError("the image holds NaN or infinite values")
    if array.min() < 0 or array.max() > 255:
        raise DrawingError(f"pixel values must lie in 0..255 (or 0..1 for floats), got {array.min()}..{array.max()}")
    if np.issubdtype(array.dtype, np.floating) and array.max() <= 1:
        array = array * 255
    return np.round(array).astype(np.uint8)


def ink_map(array: np.ndarray) -> np.ndarray:
    """How much ink each pixel holds, in [0, 1]: its distance from the background colour.

    The background is the typical border colour, so dark-on-light and light-on-dark both
    work; where the alpha channel varies (a transparent layer), the ink is the alpha.
    """
    array = _validated(array)
    if array.ndim == 3 and array.shape[2] == 4:
        alpha = array[..., 3]
        if alpha.min() < 255:
            return alpha.astype(np.float32) / 255
        array = array[..., :3]
    grey = array.astype(np.float32) if array.ndim == 2 else array[..., :3].astype(np.float32) @ np.float32([0.299, 0.587, 0.114])
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    background = np.median(border)
    return np.clip(np.abs(grey - background) / 255, 0, 1)


# 2-5. Making the 28x28 ----------------------------------------------------------------------

def _resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Anti-aliased resize of a float image (area averaging when shrinking)."""
    pil = Image.fromarray(image.astype(np.float32), mode="F")
    shrinking = width < image.shape[1] or height < image.shape[0]
    return np.asarray(pil.resize((width, height), Image.Resampling.BOX if shrinking else Image.Resampling.BILINEAR))


def skeletonize(mask: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning: peel boundary pixels until only one-pixel-wide lines remain."""
    img = np.pad(mask.astype(bool), 1)
    while True:
        changed = False
        for first_pass in (True, False):
            # The 8 neighbours, clockwise from north: P2 .. P9 in Zhang and Suen's paper.
            p = [img[:-2, 1:-1], img[:-2, 2:], img[1:-1, 2:], img[2:, 2:],
                 img[2:, 1:-1], img[2:, :-2], img[1:-1, :-2], img[:-2, :-2]]
            count = sum(n.astype(np.uint8) for n in p)
            transitions = sum((~p[i] & p[(i + 1) % 8]).astype(np.uint8) for i in range(8))
            n_, e, s, w = p[0], p[2], p[4], p[6]
            if first_pass:
                keep_shape = ~(n_ & e & s) & ~(e & s & w)
            else:
                keep_shape = ~(n_ & e & w) & ~(n_ & s & w)
            remove = img[1:-1, 1:-1] & (count >= 2) & (count <= 6) & (transitions == 1) & keep_shape
            if remove.any():
                img[1:-1, 1:-1] &= ~remove
                changed = True
        if not changed:
            return img[1:-1, 1:-1]


def _disk_offsets(radius: float) -> list[tuple[int, int]]:
    r = int(np.ceil(radius))
    return [(dy, dx) for dy in range(-r, r + 1) for dx in range(-r, r + 1) if dy * dy + dx * dx <= radius * radius]


def redraw_strokes(skeleton: np.ndarray, radius: float) -> np.ndarray:
    """Paint a round pen of `radius` along the skeleton (a dilation by a disk)."""
    pad = int(np.ceil(radius)) + 1
    src = np.pad(skeleton, pad)
    out = np.zeros_like(src)
    h, w = src.shape
    for dy, dx in _disk_offsets(radius):
        out[pad + dy:h - pad + dy, pad + dx:w - pad + dx] |= skeleton
    return out


def _neighbours(mask: np.ndarray, diagonal: bool) -> list[np.ndarray]:
    """The 4 (or 8) neighbours of every pixel, outside the image counted as empty."""
    p = np.pad(mask, 1)
    steps = [(0, 1), (2, 1), (1, 0), (1, 2)] + ([(0, 0), (0, 2), (2, 0), (2, 2)] if diagonal else [])
    return [p[y:y + mask.shape[0], x:x + mask.shape[1]] for y, x in steps]


def depth_in_ink(mask: np.ndarray) -> np.ndarray:
    """How deep each pixel lies inside the ink, in pixels: the erosions it survives (alternating
    4- and 8-neighbour steps, close to the distance to the nearest blank pixel)."""
    depth, inside, step = np.zeros(mask.shape, np.int16), mask.astype(bool), 0
    while inside.any():
        depth += inside
        inside = inside & np.logical_and.reduce(_neighbours(inside, diagonal=step % 2 == 1))
        step += 1
    return depth


def thinned_ink(mask: np.ndarray, skeleton: np.ndarray, radius: float) -> np.ndarray:
    """The ink thinned as a whole to a stroke of `radius`: what lies deeper than the pen's half
    width minus `radius`. Strokes come out as thin as the redrawn skeleton; areas a thick pen
    filled (the loops of a small 8, 6 or 9) stay areas, where the skeleton alone keeps only
    their middle line and a filled 8 would read as a 1."""
    depth = depth_in_ink(mask)
    # On a stroke's middle line the depth is its half width, the same all along but at its ends;
    # along a filled area's middle line it is more. So a low percentile of the depth on the skeleton is
    # the pen's, even where filled loops make up much of it (the most common depth was not, there).
    half_width = float(np.percentile(depth[skeleton], PEN_DEPTH_PERCENTILE)) if skeleton.any() else 0.0
    return depth > max(half_width - radius, 0)


def _bbox(mask: np.ndarray):
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    return rows[0], rows[-1] + 1, cols[0], cols[-1] + 1


def _scale_longest_side(image: np.ndarray, side: int) -> np.ndarray:
    h, w = image.shape
    scale = side / max(h, w)
    return _resize(image, max(1, round(w * scale)), max(1, round(h * scale)))


def _centre_by_mass(digit: np.ndarray) -> np.ndarray:
    """Place `digit` in a 28x28 field with its centre of mass at the field's centre."""
    h, w = digit.shape
    ys, xs = np.indices(digit.shape)
    mass = digit.sum()
    top = int(round((CANVAS - 1) / 2 - (ys * digit).sum() / mass))
    left = int(round((CANVAS - 1) / 2 - (xs * digit).sum() / mass))
    big = np.zeros((CANVAS + 2 * h, CANVAS + 2 * w), np.float32)  # room for any shift
    big[h + top:h + top + h, w + left:w + left + w] = digit
    return big[h:h + CANVAS, w:w + CANVAS]


def _longest_path(skeleton: np.ndarray) -> int:
    """Pixels in the largest 8-connected piece of the skeleton: the longest single pen path."""
    left = set(zip(*np.nonzero(skeleton)))
    longest = 0
    while left:
        piece, todo = 0, [left.pop()]
        while todo:
            y, x = todo.pop()
            piece += 1
            for step in ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)):
                if (y + step[0], x + step[1]) in left:
                    left.remove((y + step[0], x + step[1]))
                    todo.append((y + step[0], x + step[1]))
        longest = max(longest, piece)
    return longest


def _is_a_speck(skeleton, ink_side, image_side) -> bool:
    """Clicks, specks and tiny marks are no drawing, though scaled up to the working size their
    skeleton can look like a "+" or a stroke: the ink must span MIN_INK of the image, and one pen
    path (a connected piece of the skeleton, in image pixels) must be MIN_MARK of it long, so that
    scattered dots, whatever their pen, are not a drawing either."""
    path_length = _longest_path(skeleton) * ink_side / WORK_SIDE
    return ink_side < MIN_INK * image_side or path_length < MIN_MARK * image_side


def to_mnist(value) -> np.ndarray | None:
    """A drawing (see the module docstring) -> float32 (28, 28) in [0, 1], or None if empty."""
    array = _as_array(value)
    if array is None:
        return None
    ink = ink_map(array)
    mask = ink >= INK_THRESHOLD
    if not mask.any():
        return None
    top, bottom, left, right = _bbox(mask)
    work = _scale_longest_side(np.where(mask, ink, 0)[top:bottom, left:right], WORK_SIDE)
    work_ink = work >= 0.25
    skeleton = skeletonize(work_ink)
    if _is_a_speck(skeleton, max(bottom - top, right - left), max(array.shape[:2])):
        return None
    top, bottom, left, right = _bbox(skeleton)
    extent = max(bottom - top, right - left, 1)
    if extent < MIN_PEN_PATH * WORK_SIDE:  # a dot or blob, no line to read: not a digit
        return None
    radius = PEN_WIDTH_FRACTION * extent / 2
    strokes = redraw_strokes(skeleton[top:bottom, left:right], radius)
    pad = (strokes.shape[0] - (bottom - top)) // 2  # redraw_strokes' margin
    strokes |= np.pad(thinned_ink(work_ink, skeleton, radius), pad)[top:bottom + 2 * pad, left:right + 2 * pad]
    digit = _scale_longest_side(strokes.astype(np.float32), BOX_SIDE)
    return np.clip(_centre_by_mass(digit), 0, 1).astype(np.float32)
