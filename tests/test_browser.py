"""A real browser: headless Debian chromium, driven by Playwright, draws a digit with the
mouse on the page, waits for the prediction and the heatmap, clears, and saves a screenshot."""
import pytest

from tests.helpers import CHROMIUM_ARGS, ROOT, chromium_or_fail, draw_on_canvas

LABEL = 'h2[data-testid="label-output-value"]'
SCREENSHOT = ROOT / "tests" / "artifacts" / "page.png"


@pytest.fixture(scope="module")
def page(app):
    executable = chromium_or_fail(pytest)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(app.url)
        page.wait_for_selector("#canvas canvas")
        yield page
        browser.close()
        assert not errors, f"JavaScript errors on the page: {errors}"


def test_page_is_ready_to_draw_and_says_draw_a_digit(page):
    assert "Draw a digit" in page.inner_text("#status")
    assert page.locator(LABEL).count() == 0  # no prediction for an empty canvas


def test_drawing_with_the_mouse_predicts_and_shows_every_view(page):
    draw_on_canvas(page, digit="7")
    page.wait_for_selector(LABEL, timeout=15_000)
    page.wait_for_function(f"document.querySelector('{LABEL}').innerText.trim() === '7'", timeout=15_000)
    for view in ("#model-input", "#hidden-heatmap"):
        img = page.wait_for_selector(f"{view} img", timeout=15_000)
        page.wait_for_function("img => img.complete && img.naturalWidth > 200", arg=img)
    assert "7" in page.inner_text("#status")
    page.get_by_role("tab", name="Gates and memory").click()
    gates = page.wait_for_selector("#gates img", timeout=15_000)
    page.wait_for_function("img => img.complete && img.naturalWidth > 200", arg=gates)
    page.get_by_role("tab", name="Hidden state per row").click()
    page.wait_for_timeout(300)
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)


def pick(page, elem_id, option):
    """Choose `option` in the gr.Dropdown with this elem_id, as a person does."""
    page.click(f"#{elem_id} input")
    page.locator(f"#{elem_id}").get_by_role("option", name=option, exact=True).click()


def wait_for_picture(page, selector, min_width=200):
    img = page.wait_for_selector(f"{selector} img", timeout=15_000)
    page.wait_for_function(f"img => img.complete && img.naturalWidth > {min_width}", arg=img)
    return img


def test_another_model_reads_the_same_drawing_and_two_can_be_compared(page):
    """Still the 7 drawn above: picking another model re-runs it; a second one is compared."""
    before = page.get_attribute("#hidden-heatmap img", "src")
    pick(page, "model", "bilstm64")
    page.wait_for_function("document.querySelector('#about').innerText.includes('bidirectional LSTM')", timeout=15_000)
    page.wait_for_function(f"document.querySelector('#hidden-heatmap img').src !== {before!r}", timeout=15_000)
    assert page.inner_text(LABEL).strip() == "7"
    page.get_by_role("tab", name="Compare two models").click()
    pick(page, "compare-with", "rnn64")
    wait_for_picture(page, "#compared", min_width=28 * 10 + 3 * 256)  # input, bilstm64 both ways, rnn64
    page.locator("#compared").screenshot(path=str(SCREENSHOT.with_name("compare.png")))
    bilstm = page.get_attribute("#hidden-heatmap img", "src")
    pick(page, "model", "default")
    page.wait_for_function("document.querySelector('#about').innerText.includes('2-layer LSTM')", timeout=15_000)
    page.wait_for_function(f"document.querySelector('#hidden-heatmap img').src !== {bilstm!r}", timeout=15_000)
    page.get_by_role("tab", name="Hidden state per row").click()


def test_clear_resets_every_view(page):
    page.click("#canvas .clear")
    page.wait_for_function(f"!document.querySelector('{LABEL}')", timeout=15_000)
    assert "Draw a digit" in page.inner_text("#status")
    assert page.locator("#hidden-heatmap img").count() == 0
    assert page.locator("#model-input img").count() == 0


def test_page_updates_while_the_stroke_is_still_being_drawn(page):
    """Predictions arrive before the mouse is released (the stretch goal of live drawing)."""
    box = page.locator("#canvas canvas").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.2, steps=10)
    page.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.85, steps=10)
    page.wait_for_selector(LABEL, timeout=15_000)  # the button is still held down
    page.mouse.up()
    page.click("#canvas .clear")
    page.wait_for_function(f"!document.querySelector('{LABEL}')", timeout=15_000)
