"""Pictures of a per-row trace, drawn with numpy and Pillow (fast: a few ms each).

Every figure starts with the 28x28 input, one image row per timestep, and puts the
per-row panels beside it at the same height, so row t of the picture sits beside
timestep t of every panel.
"""
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from model import RowTrace

ROW_PX = 10  # height of one row (timestep) in every figure
TOP, BOTTOM, LEFT, RIGHT, GAP = 48, 40, 34, 64, 16  # margins (RIGHT: room for the page's buttons)
TEXT, GRID = (40, 40, 40), (200, 200, 200)


def _lut(anchors):
    """A 256-entry colour table through evenly spaced RGB anchors."""
    anchors = np.asarray(anchors, np.float32)
    positions = np.linspace(0, 1, len(anchors))
    x = np.linspace(0, 1, 256)
    return np.stack([np.interp(x, positions, anchors[:, c]) for c in range(3)], 1).astype(np.uint8)


# viridis for magnitudes and gates (0..1), blue-white-red for signed values.
SEQUENTIAL = _lut([(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)])
DIVERGING = _lut([(33, 102, 172), (146, 197, 222), (247, 247, 247), (244, 165, 130), (178, 24, 43)])
GREYS = _lut([(0, 0, 0), (255, 255, 255)])
LUTS = {"sequential": SEQUENTIAL, "diverging": DIVERGING, "greys": GREYS}


@lru_cache(maxsize=4)
def _font(size=11):
    return ImageFont.load_default(size=size)


def _cells(values: np.ndarray, lo: float, hi: float, lut: np.ndarray, cell_w: int) -> np.ndarray:
    """(rows, columns) values -> RGB pixels, each value a cell_w x ROW_PX block."""
    index = np.clip((values - lo) / (hi - lo) * 255, 0, 255).astype(np.uint8)
    return np.repeat(np.repeat(lut[index], ROW_PX, axis=0), cell_w, axis=1)


@dataclass(frozen=True)
class Frame:
    """What stays the same from drawing to drawing: a panel's title, caption and width."""
    title: str
    caption: str
    width: int
    scale: tuple | None = None  # (colour table name, lo, hi): a colour bar after the panel
    columns: tuple = ()  # labels under the panel's columns


@dataclass
class Panel:
    """One block of a figure: RGB pixels 28 rows tall, in its frame."""
    pixels: np.ndarray
    frame: Frame


def input_panel(image: np.ndarray) -> Panel:
    return Panel(_cells(image, 0, 1, GREYS, ROW_PX), Frame("input rows", "28 pixels per row", 28 * ROW_PX))


def heat_panel(values, title, caption, lo=0.0, hi=1.0, lut="sequential", width=256, scale=True, columns=()) -> Panel:
    cell_w = max(1, width // values.shape[1])
    pixels = _cells(values, lo, hi, LUTS[lut], cell_w)
    return Panel(pixels, Frame(title, caption, pixels.shape[1], (lut, lo, hi) if scale else None, columns))


def bar_panel(values: np.ndarray, title: str, caption: str, width=60, colour=(214, 96, 77)) -> Panel:
    """One horizontal bar per row, length relative to the largest."""
    pixels = np.full((len(values) * ROW_PX, width, 3), 255, np.uint8)
    lengths = np.round(values / max(values.max(), 1e-9) * (width - 2)).astype(int)
    for row, length in enumerate(lengths):
        pixels[row * ROW_PX + 1:(row + 1) * ROW_PX - 1, :length] = colour
    return Panel(pixels, Frame(title, caption, width))


@lru_cache(maxsize=64)
def _layout(title: str, frames: tuple[Frame, ...]):
    """The figure without its data (text, frames, colour bars), drawn once per layout since
    text is the slow part, and the x position of each panel."""
    height = 28 * ROW_PX
    bar_w = 50  # colour bar plus its tick labels
    width = LEFT + RIGHT + sum(f.width + GAP + (bar_w if f.scale else 0) for f in frames)
    canvas = Image.new("RGB", (width, TOP + height + BOTTOM), "white")
    draw = ImageDraw.Draw(canvas)
    draw.text((LEFT, 4), title, fill=TEXT, font=_font(16))
    for row in range(0, 28, 3):  # row numbers, 1-based like the text
        draw.text((4, TOP + row * ROW_PX - 3), f"{row + 1:>2}", fill=TEXT, font=_font(12))
    draw.text((2, TOP + height + 6), "row", fill=TEXT, font=_font(12))
    x, xs = LEFT, []
    for frame in frames:
        xs.append(x)
        draw.rectangle([x - 1, TOP - 1, x + frame.width, TOP + height], outline=GRID)
        draw.text((x, TOP - 18), frame.title, fill=TEXT, font=_font(14))
        for i, label in enumerate(frame.columns):
            column_w = frame.width / len(frame.columns)
            draw.text((x + (i + 0.5) * column_w - 3, TOP + height + 4), label, fill=TEXT, font=_font(12))
        draw.text((x, TOP + height + (20 if frame.columns else 6)), frame.caption, fill=TEXT, font=_font(12))
        x += frame.width + GAP
        if frame.scale:
            lut, lo, hi = frame.scale
            ramp = LUTS[lut][np.linspace(255, 0, height).astype(int)][:, None].repeat(10, axis=1)
            canvas.paste(Image.fromarray(ramp), (x - GAP + 4, TOP))
            for frac, value in ((0, hi), (0.5, (lo + hi) / 2), (1, lo)):
                draw.text((x - GAP + 16, TOP + frac * (height - 12)), f"{value:g}", fill=TEXT, font=_font(12))
            x += bar_w
    return np.asarray(canvas), tuple(xs)


def compose(panels: list[Panel], title: str) -> np.ndarray:
    """Lay panels out left to right, rows aligned, with row numbers, titles and colour bars."""
    template, xs = _layout(title, tuple(p.frame for p in panels))
    figure = template.copy()
    for panel, x in zip(panels, xs):
        h, w = panel.pixels.shape[:2]
        figure[TOP:TOP + h, x:x + w] = panel.pixels
    return figure


def _directions(trace: RowTrace, layer: int):
    """(name, index) of each direction of a layer; the backward one reads from row 28 up."""
    names = ["forward", "backward (reads 28 -> 1)"][:trace.hidden.shape[1]]
    return [(name if len(names) > 1 else "", d) for d, name in enumerate(names)]


def hidden_state_figure(image: np.ndarray, trace: RowTrace) -> np.ndarray:
    """|h_t| of every layer and direction per row, and how much h changed at each row."""
    hidden = trace.hidden[:, :, 0].numpy()  # (layer, direction, row, unit) of the first image
    panels = [input_panel(image)]
    for layer in range(hidden.shape[0]):
        for name, d in _directions(trace, layer):
            units = hidden.shape[-1]
            last = layer == hidden.shape[0] - 1 and d == hidden.shape[1] - 1
            panels.append(heat_panel(np.abs(hidden[layer, d]), f"layer {layer + 1} {name} |h_t|".replace("  ", " "),
                                     f"hidden unit 1..{units}", scale=last))
    top = hidden[-1, 0]  # the state the head reads (top layer, forward)
    change = np.linalg.norm(np.diff(top, axis=0, prepend=np.zeros_like(top[:1])), axis=1)
    panels.append(bar_panel(change, "change of h", "|h_t - h_t-1|"))
    return compose(panels, "Hidden state after each row: bright = strongly active unit")


def belief_figure(image: np.ndarray, trace: RowTrace) -> np.ndarray:
    """The head applied after each row: what the model would say having read t rows."""
    probs = trace.probs_per_row[0].numpy()  # (row, class)
    panel = heat_panel(probs, "P(digit) after reading row t", "digit", width=250,
                       columns=tuple(str(d) for d in range(10)))
    return compose([input_panel(image), panel], "How the belief builds up, row by row")


def gates_figure(image: np.ndarray, trace: RowTrace) -> np.ndarray:
    """Cell state and gates of the top layer, per row (whatever the cell type has)."""
    panels = [input_panel(image)]
    layer = trace.hidden.shape[0] - 1
    for name, d in _directions(trace, layer):
        suffix = f" {name.split()[0]}" if name else ""
        if trace.cell is not None:  # shown squashed, as it enters h_t = o_t * tanh(c_t)
            cell = np.tanh(trace.cell[layer, d, 0].numpy())
            panels.append(heat_panel(cell, f"memory tanh(c_t){suffix}", "unit", -1.0, 1.0, "diverging", width=128,
                                     scale=False))
        for gate, values in trace.gates.items():
            signed = gate == "candidate"
            panels.append(heat_panel(values[layer, d, 0].numpy(), f"{gate}{suffix}", "unit",
                                     -1.0 if signed else 0.0, 1.0, "diverging" if signed else "sequential", width=128,
                                     scale=signed or gate == list(trace.gates)[-1]))
    return compose(panels, f"Top layer (layer {layer + 1}) gates per row: 0 = closed, 1 = open")


def enlarged(image: np.ndarray, factor=8) -> np.ndarray:
    """The 28x28 model input, enlarged with hard pixel edges."""
    return np.repeat(np.repeat((image * 255).astype(np.uint8), factor, 0), factor, 1)
