"""Pictures of a per-row trace, drawn with numpy and Pillow (fast: a few ms each).

Every figure starts with the 28x28 input, one image row per timestep, and puts the
per-row panels beside it at the same height, so row t of the picture sits beside
timestep t of every panel.
"""
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from model import RowTrace

ROW_PX = 10  # height of one row (timestep) in every figure
TOP, BOTTOM, LEFT, RIGHT, GAP = 34, 34, 30, 64, 14  # margins (RIGHT: room for the page's buttons)
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


@lru_cache(maxsize=4)
def _font(size=11):
    return ImageFont.load_default(size=size)


def _cells(values: np.ndarray, lo: float, hi: float, lut: np.ndarray, cell_w: int) -> np.ndarray:
    """(rows, columns) values -> RGB pixels, each value a cell_w x ROW_PX block."""
    index = np.clip((values - lo) / (hi - lo) * 255, 0, 255).astype(np.uint8)
    return np.repeat(np.repeat(lut[index], ROW_PX, axis=0), cell_w, axis=1)


class Panel:
    """One block of a figure: RGB pixels 28 rows tall, a title, a caption under it."""

    def __init__(self, pixels, title, caption="", colour_scale=None):
        self.pixels, self.title, self.caption = pixels, title, caption
        self.colour_scale = colour_scale  # (lut, lo, hi) draws a colour bar after the panel


def input_panel(image: np.ndarray) -> Panel:
    return Panel(_cells(image, 0, 1, GREYS, ROW_PX), "input rows", "28 pixels per row")


def heat_panel(values, title, caption, lo=0.0, hi=1.0, lut=SEQUENTIAL, width=256, scale=True) -> Panel:
    cell_w = max(1, width // values.shape[1])
    return Panel(_cells(values, lo, hi, lut, cell_w), title, caption, (lut, lo, hi) if scale else None)


def bar_panel(values: np.ndarray, title: str, caption: str, width=60, colour=(214, 96, 77)) -> Panel:
    """One horizontal bar per row, length relative to the largest."""
    pixels = np.full((len(values) * ROW_PX, width, 3), 255, np.uint8)
    lengths = np.round(values / max(values.max(), 1e-9) * (width - 2)).astype(int)
    for row, length in enumerate(lengths):
        pixels[row * ROW_PX + 1:(row + 1) * ROW_PX - 1, :length] = colour
    return Panel(pixels, title, caption)


def compose(panels: list[Panel], title: str) -> np.ndarray:
    """Lay panels out left to right, rows aligned, with row numbers, titles and colour bars."""
    height = panels[0].pixels.shape[0]
    bar_w = 46  # colour bar plus its tick labels
    width = LEFT + RIGHT + sum(p.pixels.shape[1] + GAP + (bar_w if p.colour_scale else 0) for p in panels)
    canvas = Image.new("RGB", (width, TOP + height + BOTTOM), "white")
    draw = ImageDraw.Draw(canvas)
    draw.text((LEFT, 2), title, fill=TEXT, font=_font(12))
    for row in range(0, 28, 3):  # row numbers, 1-based like the text
        draw.text((4, TOP + row * ROW_PX - 2), f"{row + 1:>2}", fill=TEXT, font=_font(10))
    draw.text((2, TOP + height + 4), "row", fill=TEXT, font=_font(10))
    x = LEFT
    for panel in panels:
        w = panel.pixels.shape[1]
        canvas.paste(Image.fromarray(panel.pixels), (x, TOP))
        draw.rectangle([x - 1, TOP - 1, x + w, TOP + height], outline=GRID)
        draw.text((x, TOP - 14), panel.title, fill=TEXT, font=_font(11))
        draw.text((x, TOP + height + 4), panel.caption, fill=TEXT, font=_font(10))
        x += w + GAP
        if panel.colour_scale:
            lut, lo, hi = panel.colour_scale
            ramp = lut[np.linspace(255, 0, height).astype(int)][:, None].repeat(10, axis=1)
            canvas.paste(Image.fromarray(ramp), (x - GAP + 4, TOP))
            for frac, value in ((0, hi), (0.5, (lo + hi) / 2), (1, lo)):
                draw.text((x - GAP + 16, TOP + frac * (height - 10)), f"{value:g}", fill=TEXT, font=_font(10))
            x += bar_w
    return np.asarray(canvas)


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
    panel = heat_panel(probs, "P(digit) after reading row t", "digit", width=250)
    canvas = Image.fromarray(compose([input_panel(image), panel], "How the belief builds up, row by row"))
    draw = ImageDraw.Draw(canvas)
    x0 = LEFT + 28 * ROW_PX + GAP
    for digit in range(10):  # column headings inside the cells' top row would hide data: put them below
        draw.text((x0 + digit * 25 + 9, TOP + 28 * ROW_PX + 16), str(digit), fill=TEXT, font=_font(10))
    return np.asarray(canvas)


def gates_figure(image: np.ndarray, trace: RowTrace) -> np.ndarray:
    """Cell state and gates of the top layer, per row (whatever the cell type has)."""
    panels = [input_panel(image)]
    layer = trace.hidden.shape[0] - 1
    for name, d in _directions(trace, layer):
        suffix = f" {name.split()[0]}" if name else ""
        if trace.cell is not None:
            cell = trace.cell[layer, d, 0].numpy()
            bound = float(max(1.0, np.ceil(np.abs(cell).max())))
            panels.append(heat_panel(cell, f"cell c_t{suffix}", "memory", -bound, bound, DIVERGING, width=128))
        for gate, values in trace.gates.items():
            signed = gate == "candidate"
            panels.append(heat_panel(values[layer, d, 0].numpy(), f"{gate}{suffix}", "unit",
                                     -1.0 if signed else 0.0, 1.0, DIVERGING if signed else SEQUENTIAL, width=128,
                                     scale=signed or gate == list(trace.gates)[-1]))
    return compose(panels, f"Top layer (layer {layer + 1}) gates per row: 0 = closed, 1 = open")


def enlarged(image: np.ndarray, factor=8) -> np.ndarray:
    """The 28x28 model input, enlarged with hard pixel edges."""
    return np.repeat(np.repeat((image * 255).astype(np.uint8), factor, 0), factor, 1)
