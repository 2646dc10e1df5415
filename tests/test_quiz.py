"""The class quiz (issue #21), in headless chromium: while the student guesses, nothing on the page
gives the answer away; "Play and reveal" plays the rows, then shows the answer and scores the
guess against the model's own reading of the drawing (Python's trace and decision row)."""
import pytest
import torch

from demo.reading import decision_row
from model import load_model, trace
from model.preprocess import to_mnist
from tests.helpers import draw_on_canvas

pytestmark = [pytest.mark.browser, pytest.mark.server]  # see pyproject.toml's markers


@pytest.fixture(scope="module")
def page(en_page):
    return en_page  # conftest.py: this module's page


def pythons_reading(page) -> tuple[int, int | None]:
    image = to_mnist(page.evaluate("document.querySelector('#canvas canvas').toDataURL('image/png')"))
    probs = trace(load_model(), torch.from_numpy(image)[None]).probs_per_row[0].numpy()
    label = int(probs[-1].argmax())
    return label, decision_row(probs[:, label])


def visible_text(page) -> str:
    """The views' visible text, less the fixed explanation of how to read them."""
    return page.evaluate("""() => [...document.querySelectorAll('#views *:not(.explanation, .explanation *)')].filter(
        (e) => e.children.length === 0 && e.checkVisibility({visibilityProperty: true, checkVisibilityCSS: true}))
        .map((e) => e.textContent).join(' ')""")


def test_quiz_hides_the_answer_then_reveals_and_scores_the_guess(page):
    assert not page.is_visible("#views .quiz")  # no quiz until it is asked for
    draw_on_canvas(page, digit="7")
    page.click("#views [data-whatif=wipe]")  # a what-if on: the quiz must read the drawing as drawn
    page.wait_for_function("document.querySelector('#views .status').innerText.startsWith('With ')", timeout=10_000)
    page.click("#views .quiz-toggle")
    page.wait_for_function("document.querySelector('#views .quiz-reveal').disabled === false", timeout=15_000)
    page.wait_for_function("performance.now() - window.__viewsDrawnAt > 400", timeout=15_000)  # the last reading
    label, row = pythons_reading(page)
    shown = visible_text(page)
    assert "It reads" not in shown and "decides at row" not in shown and "Belief by row" not in shown
    assert "the answer is hidden" in page.inner_text("#views .quiz-hidden")
    page.select_option("#views .quiz-digit", str(label))
    page.fill("#views .quiz-row", str(row + 4))  # a little late: half a point for the row
    page.click("#views .quiz-reveal")
    page.wait_for_function("document.querySelector('#views .quiz-score').innerText.length > 0", timeout=15_000)
    assert page.inner_text("#views .quiz-score") == (
        f"You said {label} from row {row + 4}; it reads {label} from row {row}. 1.5 of 2 points.")
    assert page.input_value("#views .row") == "28"  # it played the rows first
    assert "It reads a 7" in page.inner_text("#views .status")  # revealed
    # The next drawing is hidden again; ending the quiz shows everything.
    page.click("#canvas .clear")
    page.wait_for_function("document.querySelector('#views .quiz-score').innerText === ''", timeout=10_000)
    assert not page.locator("#views .status").is_visible() or "It reads" not in visible_text(page)
    page.click("#views .quiz-toggle")
    assert page.locator("#views [data-view=belief]").is_visible()
