"""What if (issue #21): the page's interventions, read in headless chromium, give the answer
Python's model.trace gives with the same WhatIf on the same drawing; undo and reset bring the
reading back. The engine's traces under every what-if are checked against Python's in
tests/test_engine.py (test_whatif_the_engines_interventions_equal_pythons)."""
import re

import pytest
import torch

from model import WhatIf, load_model, trace
from model.preprocess import to_mnist
from tests.helpers import STATUS, draw_on_canvas, wait_for_answer, wait_for_attributions

pytestmark = [pytest.mark.browser, pytest.mark.server]  # see pyproject.toml's markers


@pytest.fixture(scope="module")
def page(en_page):
    """This module's page (conftest.py), a 7 drawn on it."""
    draw_on_canvas(en_page, digit="7")
    wait_for_answer(en_page, "It reads a 7")
    return en_page


def python_answer(page, what_if: WhatIf) -> tuple[int, int]:
    """(digit, percent) that model.trace gives for the canvas's drawing under `what_if`."""
    image = to_mnist(page.evaluate("document.querySelector('#canvas canvas').toDataURL('image/png')"))
    probs = trace(load_model(), torch.from_numpy(image)[None], what_if).probs[0]
    return int(probs.argmax()), round(100 * float(probs.max()))


def set_cursor(page, row):
    page.eval_on_selector("#views .row", f"el => {{ el.value = {row}; el.dispatchEvent(new Event('input')); }}")


def status_after(page, action):
    before = page.evaluate("window.__viewsDrawnAt")
    action()
    page.wait_for_function(f"window.__viewsDrawnAt > {before}", timeout=10_000)
    return page.inner_text(STATUS)


def said(status) -> tuple[int, int]:
    digit, percent = re.search(r"(?:it reads|it still reads|not sure: maybe) an? (\d) \((\d+)%", status).groups()
    return int(digit), int(percent)


def first_plot(page) -> dict:
    """The box of the belief view's input panel, on screen, once which rows and pixels mattered
    have come (their arrival redraws the view)."""
    page.wait_for_function("document.querySelectorAll('#views .panel').length === 5", timeout=10_000)
    wait_for_attributions(page)
    page.locator("#views .plot").first.scroll_into_view_if_needed()
    return page.locator("#views .plot").first.bounding_box()


def test_whatif_wiping_the_memory_answers_as_python_and_undo_brings_it_back(page):
    original = page.inner_text(STATUS)
    set_cursor(page, 14)
    status = status_after(page, lambda: page.click("#views [data-whatif=wipe]"))
    assert status.startswith("With its memory wiped before row 14, it ")
    assert said(status) == python_answer(page, WhatIf(from_row=14, memory="wipe"))
    assert status_after(page, lambda: page.click("#views [data-whatif=undo]")) == original


@pytest.mark.parametrize("memory, row", [("forget", 9), ("keep", 5)])
def test_whatif_forgetting_or_keeping_everything_answers_as_python(page, memory, row):
    set_cursor(page, row)
    status = status_after(page, lambda: page.click(f"#views [data-whatif={memory}]"))
    assert f"everything {'forgotten' if memory == 'forget' else 'kept'} from row {row} on" in status
    assert said(status) == python_answer(page, WhatIf(from_row=row, memory=memory))
    status_after(page, lambda: page.click("#views [data-whatif=reset]"))


def test_whatif_erasing_rows_by_dragging_and_silencing_a_unit(page):
    page.click("#views [role=tab][data-view=belief]")
    page.click("#views [data-whatif=erase]")
    plot = first_plot(page)
    x = plot["x"] + plot["width"] / 2
    page.mouse.move(x, plot["y"] + plot["height"] * 2.5 / 28)  # row 3
    page.mouse.down()
    page.mouse.move(x, plot["y"] + plot["height"] * 6.5 / 28, steps=8)  # to row 7
    page.mouse.up()
    page.wait_for_function(f"document.querySelector('{STATUS}').innerText.includes('rows 3, 4, 5, 6, 7 erased')", timeout=10_000)
    page.click("#views [data-whatif=erase]")  # done erasing
    status = page.inner_text(STATUS)
    assert said(status) == python_answer(page, WhatIf(erased_rows=(3, 4, 5, 6, 7)))
    assert "black mark: as drawn" in page.inner_text("#views .panels")  # the original drawn over the new belief
    set_cursor(page, 10)
    status = status_after(page, lambda: page.click("#views [data-whatif=silence]"))
    assert "unit 1 of layer 2 silent from row 10 on" in status
    assert said(status) == python_answer(page, WhatIf(erased_rows=(3, 4, 5, 6, 7), from_row=10, silenced=(1, 0, 0)))
    status_after(page, lambda: page.click("#views [data-whatif=reset]"))
    assert page.inner_text(STATUS).startswith("It reads a 7")


def test_whatif_stop_reading_gives_the_belief_at_that_row(page):
    set_cursor(page, 12)
    status = status_after(page, lambda: page.click("#views [data-whatif=stop]"))
    assert "reading stopped after row 12" in status
    image = to_mnist(page.evaluate("document.querySelector('#canvas canvas').toDataURL('image/png')"))
    probs = trace(load_model(), torch.from_numpy(image)[None]).probs_per_row[0, 11]
    assert said(status) == (int(probs.argmax()), round(100 * float(probs.max())))
    assert page.input_value("#views .row") == "12"
    status_after(page, lambda: page.click("#views [data-whatif=reset]"))


def test_whatif_bringing_back_the_last_erased_row_or_clearing_leaves_no_what_if(page):
    original = page.inner_text(STATUS)
    page.click("#views [role=tab][data-view=belief]")
    page.click("#views [data-whatif=erase]")
    plot = first_plot(page)
    at = (plot["x"] + plot["width"] / 2, plot["y"] + plot["height"] * 4.5 / 28)  # row 5
    status_after(page, lambda: page.mouse.click(*at))
    assert "row" in page.inner_text(STATUS) and "erased" in page.inner_text(STATUS)
    assert status_after(page, lambda: page.mouse.click(*at)) == original  # row 5 back: nothing changed any more
    assert page.is_disabled("#views [data-whatif=reset]")
    page.click("#views [data-whatif=erase]")
    set_cursor(page, 10)
    status_after(page, lambda: page.click("#views [data-whatif=stop]"))
    page.click("#canvas .clear")
    draw_on_canvas(page, digit="7")
    wait_for_answer(page, "It reads a 7")  # Clear ended the what-if: the new drawing is read as drawn
    assert page.is_disabled("#views [data-whatif=reset]")
