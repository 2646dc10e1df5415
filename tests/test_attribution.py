"""Which rows and pixels mattered (issue #21), in headless chromium: after a drawing the belief
view gets a strip of row drops and an overlay of patch drops whose values are model.attribution's
for the drawing the page read, and a sentence names the deciding rows. The worker's numbers are
checked against Python's on many images in tests/test_engine.py."""
import re

import pytest

from model import load_model
from model.attribution import patch_importance, row_importance
from model.preprocess import to_mnist
from tests.helpers import draw_strokes, in_cell

pytestmark = [pytest.mark.browser, pytest.mark.server]  # see pyproject.toml's markers

FOUR = [[(0.6, 0.0), (0.05, 0.62), (0.95, 0.62)], [(0.62, 0.3), (0.62, 1.0)]]  # a 4 whose crossbar decides


@pytest.fixture(scope="module")
def page(en_page):
    return en_page  # conftest.py: this module's page


def hover_readout(page, title, row, column=0, columns=1):
    titles = page.locator("#views .panel figcaption").all_inner_texts()
    plot = page.locator("#views .plot").nth(titles.index(title))
    plot.hover(position=in_cell(plot, row, column, columns))
    return float(page.inner_text("#views .readout").rsplit("= ", 1)[1])


def test_attribution_strip_overlay_and_sentence_are_pythons(page):
    page.click("#views [role=tab][data-view=belief]")
    draw_strokes(page, FOUR)
    page.wait_for_function("document.querySelectorAll('#views .panel').length === 5", timeout=15_000)
    image = to_mnist(page.evaluate("document.querySelector('#canvas canvas').toDataURL('image/png')"))
    model = load_model()
    rows, patches = row_importance(model, image), patch_importance(model, image)
    for row in (int(rows.argmax()), 0, 20):
        assert hover_readout(page, "rows that mattered", row) == pytest.approx(rows[row], abs=0.006)
    for row, column in [divmod(int(patches.argmax()), 28), (3, 3)]:
        assert hover_readout(page, "pixels that mattered", row, column, 28) == pytest.approx(patches[row, column], abs=0.006)
    sentence = page.inner_text("#views .mattered")
    deciding = sorted(int(r) + 1 for r in rows.argsort()[::-1][:3] if rows[r] >= 0.05)
    if deciding:
        assert sentence.startswith(f"The rows that decided it: {', '.join(map(str, deciding))}. Without row {rows.argmax() + 1}, ")
    else:
        assert sentence.startswith("No single row decided it")
    assert re.search(r"P\(\d\)", sentence)


def test_attribution_a_newer_drawing_replaces_it_and_a_cleared_canvas_has_none(page):
    page.click("#canvas .clear")
    page.wait_for_function("document.querySelector('#views .status').innerText.startsWith('Draw a digit')", timeout=10_000)
    assert page.inner_text("#views .mattered") == ""
    draw_strokes(page, [[(0.5, 0.0), (0.5, 1.0)]])  # a 1
    page.wait_for_function("document.querySelector('#views .mattered').innerText.includes('P(1)')", timeout=15_000)
