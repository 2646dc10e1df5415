"""The tab "The cell at work" (demo/view_cell.js) in a real browser (headless Debian chromium,
Playwright): a drawn 7, one unit's cell at the cursor row; every number on the diagram and in
the equations equals model.trace's for the same 28x28 input (to the 2 decimals shown); clicking
a heatmap cell picks its unit and row; the row cursor steps the diagram (cheaply); a GRU, a plain
RNN and a bidirectional LSTM get their own diagrams and directions; no console errors."""
import math
import re
from contextlib import contextmanager

import pytest
import torch

from model import PRESETS, load_model, trace
from model.preprocess import to_mnist
from tests.helpers import ROOT, draw_on_canvas, in_cell, wait_for_answer, watched_page
from tests.test_browser import panel, pick

pytestmark = [pytest.mark.browser, pytest.mark.server]  # see pyproject.toml's markers

FIGURE = "#views .cell-figure"
ARTIFACTS = ROOT / "tests" / "artifacts"
SHOWN = 0.0051  # two decimals, and the last bit of float32 between the page's engine and torch


@contextmanager
def a_drawn_seven_at_work(chromium, app):
    """A page with a 7 drawn and the tab "The cell at work" open, nothing picked yet."""
    with watched_page(chromium, app.url, viewport={"width": 1400, "height": 1100}) as page:
        draw_on_canvas(page, digit="7")
        wait_for_answer(page, "It reads a 7")
        page.get_by_role("tab", name="The cell at work").click()
        page.wait_for_selector(FIGURE)
        ARTIFACTS.mkdir(exist_ok=True)
        yield page


@pytest.fixture(scope="module")
def page(chromium, app):
    with a_drawn_seven_at_work(chromium, app) as page:
        yield page


@pytest.fixture
def new_page(chromium, app):
    """Its own page, for a test of what the view shows before anything is picked: pytest-xdist
    may run this module's other tests, which pick units and models, first on the shared one."""
    with a_drawn_seven_at_work(chromium, app) as page:
        yield page


def traced(page, name="default"):
    """model.trace of the 28x28 input the page read (the canvas through to_mnist), by model `name`."""
    drawing = page.evaluate("document.querySelector('#canvas canvas').toDataURL('image/png')")
    model = load_model(None if name == "default" else PRESETS[name].weights_path())
    with torch.inference_mode():
        return trace(model, torch.from_numpy(to_mnist(drawing))[None])


def number(text: str) -> float:
    return float(text.replace("\u2212", "-"))


def shown(page) -> dict[str, float]:
    """The numbers on the diagram, by their key (demo/view_cell.js's cellNumbers)."""
    texts = page.eval_on_selector_all(f"{FIGURE} [data-value]", "els => els.map(e => [e.dataset.value, e.textContent])")
    return {key: number(text) for key, text in texts if not text.startswith(("\u2265", "\u2264"))}


def equations(page) -> list[list[float]]:
    """The numbers of each equation line, in order (digits in symbols like h_(t−1) left out)."""
    lines = page.locator(f"{FIGURE} .cell-equations p").all_inner_texts()
    return [[number(n) for n in re.findall(r"\u2212?\d+\.\d\d", line)] for line in lines]


def expected(row_trace, layer, direction, row, unit) -> dict[str, float]:
    """What the diagram must show for that step, from Python's trace (row 0-based)."""
    at = lambda array, t: float(array[layer, direction, 0, t, unit])  # noqa: E731
    previous = row + 1 if direction else row - 1
    first = not 0 <= previous < 28
    values = {"h": at(row_trace.hidden, row), "hPrev": 0.0 if first else at(row_trace.hidden, previous)}
    values.update({name: at(array, row) for name, array in row_trace.gates.items()})
    if row_trace.cell is not None:
        c, c_prev = at(row_trace.cell, row), 0.0 if first else at(row_trace.cell, previous)
        values.update(c=c, cPrev=c_prev, tanhC=math.tanh(c), fc=values["forget"] * c_prev,
                      ig=values["input"] * values["candidate"])
    elif "update" in values:
        z = values["update"]
        values.update(oneMinusZ=1 - z, zh=z * values["hPrev"], zn=(1 - z) * values["candidate"])
    elif abs(values["h"]) < 0.9999:  # nearer ±1, atanh turns float32's last bit into more than 0.005
        values["a"] = math.atanh(values["h"])
    return values


def assert_shows(page, values):
    numbers = shown(page)
    assert set(numbers) - {"a"} <= set(values) and {"h", "hPrev"} <= set(numbers), numbers
    for key in set(numbers) & set(values):
        assert numbers[key] == pytest.approx(values[key], abs=SHOWN), key


def click_cell(page, plot, row, unit, units=128):
    plot.scroll_into_view_if_needed()
    plot.click(position=in_cell(plot, row, unit, units))


def test_cell_view_shows_unit_1_of_the_top_layer_with_the_traces_numbers(new_page):
    page = new_page
    title = page.inner_text(f"{FIGURE} .cell-title")
    assert title.startswith("LSTM: unit 1 of layer 2, row 28."), title
    values = expected(traced(page), 1, 0, 27, 0)
    assert_shows(page, values)
    lines = equations(page)
    assert len(lines) == 6  # forget, input, candidate, c_t, output, h_t
    memory = lines[3]  # c_t = f_t·c_(t−1) + i_t·g_t = f × c_prev + i × g = c
    for got, key in zip(memory, ["forget", "cPrev", "input", "candidate", "c"]):
        assert got == pytest.approx(values[key], abs=SHOWN), key
    hidden = lines[5]  # h_t = o_t·tanh(c_t) = o × tanh(c) = o × tanh_c = h
    for got, key in zip(hidden, ["output", "c", "output", "tanhC", "h"]):
        assert got == pytest.approx(values[key], abs=SHOWN), key
    assert "h_t of layer 1 at row 28, 128 values" in page.inner_text(f"{FIGURE} .cell-input")
    page.locator(FIGURE).screenshot(path=str(ARTIFACTS / "cell.png"))


def test_cell_view_clicking_a_heatmap_cell_picks_its_unit_and_row(page):
    row_trace = traced(page)
    click_cell(page, panel(page, "layer 2 |h_t|"), row=9, unit=36)  # the heatmap beside the diagram
    assert page.inner_text(f"{FIGURE} .cell-title").startswith("LSTM: unit 37 of layer 2, row 10.")
    assert page.inner_text("#views .row-out").startswith("row 10")
    assert_shows(page, expected(row_trace, 1, 0, 9, 36))
    # A cell of another view picks its unit (here of layer 1: the diagram reads pixels) and row.
    page.get_by_role("tab", name="Hidden state").click()
    click_cell(page, panel(page, "layer 1 |h_t|"), row=5, unit=2)
    page.get_by_role("tab", name="The cell at work").click()
    assert page.inner_text(f"{FIGURE} .cell-title").startswith("LSTM: unit 3 of layer 1, row 6.")
    assert_shows(page, expected(row_trace, 0, 0, 5, 2))
    fills = page.eval_on_selector_all(f"{FIGURE} .strip rect", "els => els.map(e => e.getAttribute('fill'))")
    drawing = page.evaluate("document.querySelector('#canvas canvas').toDataURL('image/png')")
    pixels = to_mnist(drawing)[5]
    assert [int(re.findall(r"\d+", fill)[0]) for fill in fills] == pytest.approx([round(p * 255) for p in pixels], abs=1)
    page.click("#views .unit-chart .close")  # the unit chart the clicks opened


def test_cell_view_stepping_the_cursor_changes_the_row_shown_within_16_ms(page):
    click_cell(page, panel(page, "layer 2 |h_t|"), row=4, unit=10)
    row_trace = traced(page)
    page.focus("#views .panels")
    page.keyboard.press("ArrowUp")
    assert page.inner_text(f"{FIGURE} .cell-title").startswith("LSTM: unit 11 of layer 2, row 4.")
    assert_shows(page, expected(row_trace, 1, 0, 3, 10))
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert_shows(page, expected(row_trace, 1, 0, 5, 10))
    # Each step of the cursor, every view's part of it: well under a frame (16 ms).
    per_step = page.evaluate("""() => {
        const panels = document.querySelector('#views .panels'), start = performance.now();
        for (const key of [...Array(27).fill('ArrowUp'), ...Array(27).fill('ArrowDown')])
          panels.dispatchEvent(new KeyboardEvent('keydown', {key, bubbles: true}));
        return (performance.now() - start) / 54;
    }""")
    assert per_step < 16, per_step
    page.click("#views .play")  # Play animates the diagram from row 1 to row 28
    page.wait_for_function(f"document.querySelector('{FIGURE} .cell-title').innerText.includes(', row 1. ')", timeout=2000)
    page.wait_for_function(f"document.querySelector('{FIGURE} .cell-title').innerText.includes(', row 28. ')", timeout=10_000)
    assert_shows(page, expected(row_trace, 1, 0, 27, 10))


def test_cell_view_a_gru_an_rnn_and_a_backward_lstm_get_their_own_diagrams(page):
    page.get_by_role("tab", name="The cell at work").click()
    for name, cell, units, lines, words in [("gru128", "GRU", 128, 4, ["reset gate", "update gate", "candidate"]),
                                            ("rnn64", "RNN", 64, 1, []),
                                            ("bilstm64", "LSTM", 64, 6, ["forget gate", "input gate", "output gate"])]:
        pick(page, ".model", name)
        page.wait_for_function(f"document.querySelector('#views .about').innerText.includes({name!r})", timeout=15_000)
        page.wait_for_function(f"document.querySelector('{FIGURE} .cell-title').innerText.startsWith({cell + ':'!r})",
                               timeout=15_000)
        page.wait_for_function("performance.now() - window.__viewsDrawnAt > 400", timeout=15_000)  # rnn64 may be unsure
        click_cell(page, panel(page, "layer 1"), row=12, unit=5, units=units)
        assert page.inner_text(f"{FIGURE} .cell-title").startswith(f"{cell}: unit 6 of layer 1")
        assert len(equations(page)) == lines
        diagram = page.locator(f"{FIGURE} svg").text_content()
        assert all(word in diagram for word in words) and ("gate" in diagram) == bool(words), diagram
        assert_shows(page, expected(traced(page, name), 0, 0, 12, 5))
        page.locator(FIGURE).screenshot(path=str(ARTIFACTS / f"cell.{cell.lower()}.png"))
    # The backward half: its step before row 13 is row 14.
    page.get_by_role("tab", name="Hidden state").click()
    click_cell(page, panel(page, "layer 1 backward"), row=12, unit=5, units=64)
    page.get_by_role("tab", name="The cell at work").click()
    title = page.inner_text(f"{FIGURE} .cell-title")
    assert title.startswith("LSTM: unit 6 of layer 1, backward") and "after row 14" in title, title
    assert_shows(page, expected(traced(page, "bilstm64"), 0, 1, 12, 5))
    page.click("#views .unit-chart .close")
    pick(page, ".model", "default")
    page.wait_for_function("document.querySelector('#views .about').innerText.includes('2-layer LSTM')", timeout=15_000)
