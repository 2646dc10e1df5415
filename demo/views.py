"""Pictures of a per-row trace, drawn with numpy and Pillow (fast: about a millisecond each).

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


def _ramp(anchors, levels):
    """`levels` RGB colours through evenly spaced anchors."""
    anchors = np.asarray(anchors, np.float32)
    x, positions = np.linspace(0, 1, levels), np.linspace(0, 1, len(anchors))
    return np.stack([np.interp(x, positions, anchors[:, c]) for c in range(3)], 1).astype(np.uint8)


# Figures are palette images (one byte a pixel): PNG-encoding them is 4x faster than RGB,
# which is most of the time a response takes. The 256 colours: viridis for magnitudes and
# gates (0..1), blue-white-red for signed values, greys for the input and the text.
COLOUR_TABLES = {  # name -> (first palette index, colours)
    "sequential": (0, _ramp([(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)], 96)),
    "diverging": (96, _ramp([(33, 102, 172), (146, 197, 222), (247, 247, 247), (244, 165, 130), (178, 24, 43)], 96)),
    "greys": (192, _ramp([(0, 0, 0), (255, 255, 255)], 63)),
}
BAR = 255  # palette index of the bars
PALETTE = np.concatenate([colours for _, colours in COLOUR_TABLES.values()] + [np.uint8([[214, 96, 77]])])
WHITE = COLOUR_TABLES["greys"][0] + 62


@lru_cache(maxsize=4)
def _font(size=11):
    return ImageFont.load_default(size=size)


def _cells(values: np.ndarray, lo: float, hi: float, table: str, cell_w: int) -> np.ndarray:
    """(rows, columns) values -> palette indices, each value a cell_w x ROW_PX block."""
    first, colours = COLOUR_TABLES[table]
    index = first + np.round(np.clip((values - lo) / (hi - lo), 0, 1) * (len(colours) - 1)).astype(np.uint8)
    return np.repeat(np.repeat(index, ROW_PX, axis=0), cell_w, axis=1)


@dataclass(frozen=True)
class Frame:
    """What stays the same from drawing to drawing: a panel's title, caption and width."""
    title: str
    caption: str
    width: int
    scale: tuple | None = None  # (colour table, lo, hi): a colour bar after the panel
    columns: tuple = ()  # labels under the panel's columns


@dataclass
class Panel:
    """One block of a figure: palette indices 28 rows tall, in its frame."""
    pixels: np.ndarray
    frame: Frame


def input_panel(image: np.ndarray) -> Panel:
    return Panel(_cells(image, 0, 1, "greys", ROW_PX), Frame("input rows", "28 pixels per row", 28 * ROW_PX))


def heat_panel(values, title, caption, lo=0.0, hi=1.0, table="sequential", width=256, scale=True, columns=()) -> Panel:
    pixels = _cells(values, lo, hi, table, max(1, width // values.shape[1]))
    return Panel(pixels, Frame(title, caption, pixels.shape[1], (table, lo, hi) if scale else None, columns))


def bar_panel(values: np.ndarray, title: str, caption: str, width=60) -> Panel:
    """One horizontal bar per row, length relative to the largest."""
    pixels = np.full((len(values) * ROW_PX, width), WHITE, np.uint8)
    lengths = np.round(values / max(values.max(), 1e-9) * (width - 2)).astype(int)
    for row, length in enumerate(lengths):
        pixels[row * ROW_PX + 1:(row + 1) * ROW_PX - 1, :length] = BAR
    return Panel(pixels, Frame(title, caption, width))


@lru_cache(maxsize=64)
def _layout(title: str, frames: tuple[Frame, ...]):
    """The figure without its data (text, frames, colour bars) as palette indices, drawn
    once per layout since text is the slow part; and the x position of each panel."""
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
            table, lo, hi = frame.scale
            colours = COLOUR_TABLES[table][1]
            ramp = colours[np.linspace(len(colours) - 1, 0, height).round().astype(int)][:, None].repeat(10, axis=1)
            canvas.paste(Image.fromarray(ramp), (x - GAP + 4, TOP))
            for frac, value in ((0, hi), (0.5, (lo + hi) / 2), (1, lo)):
                draw.text((x - GAP + 16, TOP + frac * (height - 12)), f"{value:g}", fill=TEXT, font=_font(12))
            x += bar_w
    return np.asarray(canvas.quantize(palette=_palette_image(), dither=Image.Dither.NONE)), tuple(xs)


@lru_cache(maxsize=1)
def _palette_image() -> Image.Image:
    palette = Image.new("P", (1, 1))
    palette.putpalette(PALETTE.flatten().tolist())
    return palette


def compose(panels: list[Panel], title: str) -> Image.Image:
    """Lay panels out left to right, rows aligned, with row numbers, titles and colour bars."""
    template, xs = _layout(title, tuple(p.frame for p in panels))
    figure = template.copy()
    for panel, x in zip(panels, xs):
        h, w = panel.pixels.shape
        figure[TOP:TOP + h, x:x + w] = panel.pixels
    image = Image.fromarray(figure, "P")
    image.putpalette(PALETTE.flatten().tolist())
    return image


def _directions(trace: RowTrace):
    """(name, index) of each direction; the backward one reads from row 28 up ("" when only one)."""
    names = ["forward", "backward (reads 28 -> 1)"][:trace.hidden.shape[1]]
    return [(name if len(names) > 1 else "", d) for d, name in enumerate(names)]


def _hidden_panels(trace: RowTrace, layers, prefix="", scale_last=True) -> list[Panel]:
    """|h_t| heatmaps of the given layers, each direction its own panel (forward first);
    titled by layer, or by `prefix` (a model's name) instead."""
    hidden = trace.hidden[:, :, 0].numpy()  # (layer, direction, row, unit) of the first image
    panels = []
    for layer in layers:
        for name, d in _directions(trace):
            last = scale_last and layer == layers[-1] and d == hidden.shape[1] - 1
            title = " ".join(part for part in (prefix or f"layer {layer + 1}", name, "|h_t|") if part)
            panels.append(heat_panel(np.abs(hidden[layer, d]), title, f"hidden unit 1..{hidden.shape[-1]}", scale=last))
    return panels


def hidden_state_figure(image: np.ndarray, trace: RowTrace) -> Image.Image:
    """|h_t| of every layer and direction per row, and how much h changed at each row."""
    top = trace.hidden[-1, 0, 0].numpy()  # the state the head reads (top layer, forward)
    change = np.linalg.norm(np.diff(top, axis=0, prepend=np.zeros_like(top[:1])), axis=1)
    panels = [input_panel(image), *_hidden_panels(trace, range(trace.hidden.shape[0])),
              bar_panel(change, "change of h", f"top layer, forward; longest {change.max():.2f}")]
    return compose(panels, "Hidden state after each row: bright = strongly active unit")


def comparison_figure(image: np.ndarray, traces: dict[str, RowTrace]) -> Image.Image:
    """Several models reading the same image: the top layer's |h_t| of each, rows aligned."""
    panels = [input_panel(image)]
    for i, (name, trace) in enumerate(traces.items()):
        top = trace.hidden.shape[0] - 1
        panels += _hidden_panels(trace, [top], prefix=name, scale_last=i == len(traces) - 1)
    return compose(panels, "The same drawing read by " + " and ".join(traces) + ": top layer |h_t| per row")


def belief_figure(image: np.ndarray, trace: RowTrace) -> Image.Image:
    """The head applied after each row: what the model would say having read t rows."""
    probs = trace.probs_per_row[0].numpy()  # (row, class)
    panel = heat_panel(probs, "P(digit) after reading row t", "digit", width=250,
                       columns=tuple(str(d) for d in range(10)))
    return compose([input_panel(image), panel], "How the belief builds up, row by row")


def gates_figure(image: np.ndarray, trace: RowTrace) -> Image.Image:
    """Memory and gates of the top layer, per row: what the cell type has (LSTM: tanh(c_t)
    and four gates; GRU: three gates; plain RNN: no gates, so h_t itself, signed)."""
    panels = [input_panel(image)]
    layer = trace.hidden.shape[0] - 1
    for name, d in _directions(trace):
        suffix = f" {name.split()[0]}" if name else ""
        if trace.cell is not None:  # shown squashed, as it enters h_t = o_t * tanh(c_t)
            cell = np.tanh(trace.cell[layer, d, 0].numpy())
            panels.append(heat_panel(cell, f"memory tanh(c_t){suffix}", "unit", -1.0, 1.0, "diverging", width=128))
        for gate, values in trace.gates.items():
            signed = gate == "candidate"
            panels.append(heat_panel(values[layer, d, 0].numpy(), f"{gate}{suffix}", "unit",
                                     -1.0 if signed else 0.0, 1.0, "diverging" if signed else "sequential", width=128,
                                     scale=True))
        if not trace.gates:
            panels.append(heat_panel(trace.hidden[layer, d, 0].numpy(), f"layer {layer + 1}{suffix} h_t", "unit", -1.0, 1.0,
                                     "diverging", width=128, scale=d == trace.hidden.shape[1] - 1))
    if not trace.gates:
        return compose(panels, "A plain RNN has no gates: h_t = tanh(W x_t + U h_t-1 + b)")
    return compose(panels, f"Top layer (layer {layer + 1}) per row: gates 0 = closed .. 1 = open, memory and candidate -1..1")


def enlarged(image: np.ndarray, factor=8) -> np.ndarray:
    """The 28x28 model input, enlarged with hard pixel edges."""
    return np.repeat(np.repeat((image * 255).astype(np.uint8), factor, 0), factor, 1)
