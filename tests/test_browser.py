"""A real browser: headless Debian chromium, driven by Playwright, draws on the page with the
mouse (desktop) and with touch (a 390x844 phone), and checks the views the page's engine
draws: hover values equal the Python trace's, the row cursor, the unit chart, tabs, the model
selector, the comparison, no request while drawing, drawing after the server has stopped, and
no console errors."""
import os
import re
import signal

import numpy as np
import pytest
import torch

from model import load_model, trace
from model.preprocess import to_mnist
from tests.helpers import (
    ROOT,
    STATUS,
    console_problems,
    draw_on_canvas,
    in_cell,
    running_app,
    wait_for_answer,
    wait_for_attributions,
)

pytestmark = [pytest.mark.browser, pytest.mark.server]  # see pyproject.toml's markers

SCREENSHOT = ROOT / "tests" / "artifacts" / "page.png"


@pytest.fixture(scope="module")
def browser(chromium, app):
    return chromium  # the session's one chromium (conftest.py)


@pytest.fixture(scope="module")
def page(en_page):
    return en_page  # conftest.py: this module's page


def a_seven_is_drawn(page):
    """The page shows a drawn 7 (drawn here unless an earlier test left one): each test can
    run alone, in any order."""
    if "It reads a 7" not in page.inner_text(STATUS):
        page.click("#canvas .clear")
        draw_on_canvas(page, digit="7")
        wait_for_answer(page, "It reads a 7")
    wait_for_attributions(page)  # the sentence they bring may move the panels


def panel(page, title_start):
    """The .plot of the panel whose title starts with `title_start`."""
    titles = page.locator("#views .panel figcaption").all_inner_texts()
    return page.locator("#views .plot").nth(next(i for i, t in enumerate(titles) if t.startswith(title_start)))


def hover_cell(page, plot, row, column, columns):
    plot.hover(position=in_cell(plot, row, column, columns))
    return page.inner_text("#views .readout")


def test_page_is_ready_to_draw_and_says_draw_a_digit(page):
    assert "Draw a digit" in page.inner_text(STATUS)
    assert page.locator("#views .panel").count() == 0  # no views for an empty canvas


def test_drawing_with_the_mouse_draws_every_view_and_hover_reads_the_traces_values(page):
    draw_on_canvas(page, digit="7")
    wait_for_answer(page, "It reads a 7")
    titles = page.locator("#views .panel figcaption").all_inner_texts()
    assert titles == ["input rows", "layer 1 |h_t|", "layer 2 |h_t|", "change of h"]
    # What the browser shows is the model's own trace of what the canvas sent.
    drawing = page.evaluate("document.querySelector('#canvas canvas').toDataURL('image/png')")
    model = load_model()
    with torch.inference_mode():
        expected = trace(model, torch.from_numpy(to_mnist(drawing))[None]).hidden[:, 0, 0].numpy()  # (layer, row, unit)
    for layer, row, unit in [(0, 9, 5), (1, 14, 100), (1, 27, 37)]:
        text = hover_cell(page, panel(page, f"layer {layer + 1} |h_t|"), row, unit, 128)
        assert text.startswith(f"layer {layer + 1} |h_t|, row {row + 1}, unit {unit + 1}: |h| = "), text
        assert float(text.rsplit("= ", 1)[1]) == pytest.approx(abs(expected[layer, row, unit]), abs=0.01)
        # Linked views: the hovered row is highlighted in every panel.
        tops = page.eval_on_selector_all("#views .hl", "els => els.map(e => e.style.top)")
        assert len(tops) == 4 and all(float(top[:-1]) == pytest.approx(row / 28 * 100, abs=1e-3) for top in tops)
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)


def test_signed_h_and_unit_order_change_the_heatmap(page):
    a_seven_is_drawn(page)
    plot = panel(page, "layer 2 |h_t|")
    before = plot.locator("canvas").evaluate("c => c.toDataURL()")
    page.check("#views .signed")
    signed = panel(page, "layer 2 h_t")
    assert signed.locator("canvas").evaluate("c => c.toDataURL()") != before
    assert "-1" in page.locator("#views .panel").nth(2).inner_text()
    page.uncheck("#views .signed")
    page.select_option("#views .order", "peak")
    assert "by peak row" in page.locator("#views .panel").nth(1).inner_text()
    page.select_option("#views .order", "index")


def test_row_cursor_moves_with_arrow_keys_and_play(page):
    a_seven_is_drawn(page)
    page.focus("#views .panels")
    for _ in range(3):
        page.keyboard.press("ArrowUp")
    assert page.inner_text("#views .row-out").startswith("row 25")
    assert float(page.eval_on_selector("#views .plot .dim", "e => e.style.top")[:-1]) == pytest.approx(25 / 28 * 100, abs=1e-3)
    page.click("#views .play")
    page.wait_for_function("Number(document.querySelector('#views .row').value) < 5", timeout=2000)
    page.wait_for_function("document.querySelector('#views .row-out').innerText.startsWith('row 28')", timeout=10_000)
    # Play has stopped at row 28: a row picked at once stays picked (it once stepped on from it).
    assert page.inner_text("#views .play") == "Play"
    page.fill("#views .row", "10")
    page.wait_for_timeout(400)  # more than two of Play's 150 ms steps
    assert page.inner_text("#views .row-out").startswith("row 10")
    page.fill("#views .row", "28")


def test_clicking_a_unit_shows_its_values_over_the_rows(page):
    a_seven_is_drawn(page)
    plot = panel(page, "layer 2 |h_t|")
    plot.scroll_into_view_if_needed()
    plot.click(position=in_cell(plot, 14, 36, 128))
    chart = page.locator("#views .unit-chart")
    chart.wait_for(state="visible")
    assert chart.locator(".unit-title").inner_text().startswith("Unit 37 of layer 2:")
    assert chart.locator("polyline").count() == 6  # h, tanh(c) and the four gates
    assert page.inner_text("#views .row-out").startswith("row 15")  # the click moves the cursor to its row
    page.click("#views .unit-chart .close")
    chart.wait_for(state="hidden")
    page.fill("#views .row", "28")  # the cursor back where the other tests expect it


def pick(page, selector, option):
    """Choose `option` in one of the views' model selectors (.model, .other)."""
    page.select_option(f"#views {selector}", option)


def test_tabs_model_selector_and_comparison(page):
    a_seven_is_drawn(page)
    page.get_by_role("tab", name="Gates and memory").click()
    titles = page.locator("#views .panel figcaption").all_inner_texts()
    assert titles[1:] == ["memory tanh(c_t)", "input gate", "forget gate", "candidate", "output gate"]
    page.get_by_role("tab", name="Belief by row").click()
    # With which rows and pixels mattered once the worker has them (tests/test_attribution.py).
    page.wait_for_function("document.querySelectorAll('#views .panel').length === 5", timeout=10_000)
    assert page.locator("#views .panel figcaption").all_inner_texts()[1:] == [
        "P(digit) after row t", "P(7) by row", "rows that mattered", "pixels that mattered"]
    pick(page, ".model", "bilstm64")
    page.wait_for_function("document.querySelector('#views .about').innerText.includes('bidirectional LSTM')", timeout=15_000)
    page.get_by_role("tab", name="Hidden state").click()
    page.wait_for_function("[...document.querySelectorAll('#views .panel figcaption')].some(e => e.innerText.includes('backward'))",
                           timeout=15_000)
    page.get_by_role("tab", name="Compare models").click()
    assert "Pick a second model" in page.inner_text("#views .note")
    pick(page, ".other", "rnn64")
    page.wait_for_function("document.querySelector('#views .note').innerText.includes('rnn64 reads')", timeout=15_000)
    note = page.inner_text("#views .note")
    assert note.startswith("bilstm64 reads 7")
    titles = page.locator("#views .panel figcaption").all_inner_texts()
    assert "bilstm64: P(digit) after row t" in titles and "rnn64: P(digit) after row t" in titles
    page.locator("#views .panels").screenshot(path=str(SCREENSHOT.with_name("compare.png")))
    with page.expect_download() as download:
        page.click("#views .download")
    assert download.value.suggested_filename == "compare-view.png"
    pick(page, ".other", "bilstm64")  # the model shown: nothing to compare
    page.wait_for_function("document.querySelector('#views .note').innerText.includes('already the model shown')", timeout=15_000)
    pick(page, ".other", "")
    pick(page, ".model", "default")
    page.wait_for_function("document.querySelector('#views .about').innerText.includes('2-layer LSTM')", timeout=15_000)
    page.get_by_role("tab", name="Hidden state").click()


def test_drawing_and_switching_loaded_models_sends_no_request(page):
    """The page reads drawings itself: drawing, clearing and switching among the models it has
    loaded ask nothing of the server."""
    for name in ("bilstm64", "rnn64", "default"):  # loaded first (each model's weights, once)
        pick(page, ".model", name)
        page.wait_for_function(f"document.querySelector('#views .about').innerText.includes({name!r})")
    page.wait_for_timeout(1000)
    asked = []
    record = lambda request: asked.append(request.url)  # noqa: E731
    page.on("request", record)
    page.click("#canvas .clear")
    draw_on_canvas(page, digit="4")
    wait_for_answer(page, "It reads")
    for name in ("bilstm64", "rnn64", "default"):
        pick(page, ".model", name)
        page.wait_for_function(f"document.querySelector('#views .status').innerText && "
                               f"document.querySelector('#views .about').innerText.includes({name!r})")
    wait_for_answer(page, "It reads")
    page.click("#canvas .clear")
    wait_for_answer(page, "Draw a digit")
    page.remove_listener("request", record)
    assert asked == [], asked


def test_clear_resets_every_view(page):
    page.click("#canvas .clear")
    wait_for_answer(page, "Draw a digit")
    assert page.locator("#views .panel").count() == 0


def touch(cdp, kind, points):
    cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y, "id": i} for i, (x, y) in enumerate(points)]})


def test_a_phone_draws_with_one_finger_and_a_pinch_draws_nothing(browser, app):
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = context.new_page()
    problems = console_problems(page)
    page.goto(app.url)
    page.wait_for_selector("#canvas canvas")
    cdp = context.new_cdp_session(page)
    box = page.locator("#canvas canvas").bounding_box()
    at = lambda x, y: (box["x"] + box["width"] * x, box["y"] + box["height"] * y)  # noqa: E731
    stroke = [at(0.3, 0.2), at(0.5, 0.2), at(0.7, 0.2), at(0.6, 0.5), at(0.5, 0.8)]
    touch(cdp, "touchStart", stroke[:1])
    for p in stroke[1:]:
        touch(cdp, "touchMove", [p])
        page.wait_for_timeout(30)
    touch(cdp, "touchEnd", [])
    wait_for_answer(page, "It reads")
    assert page.locator("#views .panel").count() == 4
    # Every view fits the phone's width, and the heatmap starts on the first screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate("document.querySelectorAll('#views .panel')[1].getBoundingClientRect().top") < 844 + 200
    # The answer and the belief are on the screen with the canvas, and every panel's rows sit beside
    # the row numbers (the panels scroll sideways in one row).
    assert page.evaluate("document.querySelector('#views .summary').getBoundingClientRect().bottom") <= 844
    tops = page.eval_on_selector_all("#views .plot", "els => els.map(e => Math.round(e.getBoundingClientRect().top))")
    assert set(tops) == {page.evaluate("Math.round(document.querySelector('#views .rownums div').getBoundingClientRect().top)")}
    # Two fingers (a pinch) leave the drawing as it was.
    before = page.evaluate("document.querySelector('#canvas canvas').toDataURL()")
    drawn_at = page.evaluate("window.__viewsDrawnAt")
    touch(cdp, "touchStart", [at(0.2, 0.6)])
    touch(cdp, "touchStart", [at(0.2, 0.6), at(0.8, 0.6)])
    touch(cdp, "touchMove", [at(0.1, 0.7), at(0.9, 0.7)])
    touch(cdp, "touchEnd", [])
    # The worker reads the undone drawing after the fingers lift: wait for its views, then for quiet
    # (an old timestamp alone let CI tap a panel that was then drawn anew).
    page.wait_for_function("t => window.__viewsDrawnAt > t && performance.now() - window.__viewsDrawnAt > 400",
                           arg=drawn_at, timeout=15_000)
    assert page.evaluate("document.querySelector('#canvas canvas').toDataURL()") == before
    # Tap a cell: its value is read out.
    plot = page.locator("#views .plot").nth(1)
    plot.scroll_into_view_if_needed()
    cell = plot.bounding_box()
    page.touchscreen.tap(cell["x"] + cell["width"] / 2, cell["y"] + cell["height"] / 2)
    assert re.search(r"row \d+, unit \d+: \|h\| = \d\.\d\d", page.inner_text("#views .readout"))
    page.screenshot(path=str(SCREENSHOT.with_name("phone.png")))
    context.close()
    assert not problems, problems


def test_text_alternatives_and_contrast(page):
    draw_on_canvas(page, digit="1")
    wait_for_answer(page, "It reads")
    assert page.get_attribute(STATUS, "aria-live") == "polite"
    labels = page.eval_on_selector_all("#views canvas[role=img]", "els => els.map(e => e.getAttribute('aria-label'))")
    assert labels and all(label and "row" in label for label in labels)
    assert page.get_attribute("#views .prediction", "aria-label").startswith("After row 28: ")
    # Text colours of the views against white: at least 4.5:1.
    colours = page.eval_on_selector_all("#views p, #views figcaption, #views .cap, #views label",
                                        "els => els.map(e => getComputedStyle(e).color)")
    for colour in set(colours):
        r, g, b = (int(v) / 255 for v in re.findall(r"\d+", colour)[:3])
        lum = lambda c: c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4  # noqa: E731
        luminance = 0.2126 * lum(r) + 0.7152 * lum(g) + 0.0722 * lum(b)
        assert 1.05 / (luminance + 0.05) >= 4.5, colour
    page.click("#canvas .clear")
    wait_for_answer(page, "Draw a digit")


def test_page_updates_while_the_stroke_is_still_being_drawn(page):
    """Predictions arrive before the mouse is released (live drawing)."""
    box = page.locator("#canvas canvas").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.2, steps=10)
    page.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.85, steps=10)
    wait_for_answer(page, "It reads")  # the button is still held down
    page.mouse.up()
    page.click("#canvas .clear")
    wait_for_answer(page, "Draw a digit")
    assert np.isfinite(page.evaluate("window.__viewsDrawnAt"))  # every view's update ran to its end


def test_the_page_keeps_reading_after_the_server_stops(browser):
    """Once the page and its model are loaded, the server can go: drawings are still read, and a
    model not loaded yet says it cannot be loaded (the one shown keeps working)."""
    with running_app() as app:
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        page = context.new_page()
        problems = console_problems(page)
        page.goto(app.url)
        draw_on_canvas(page, digit="7")
        wait_for_answer(page, "It reads a 7")
        os.kill(app.pid, signal.SIGTERM)
        page.wait_for_timeout(1500)
    for digit in ("1", "4", "0"):
        page.click("#canvas .clear")
        wait_for_answer(page, "Draw a digit")
        draw_on_canvas(page, digit=digit)
        wait_for_answer(page, f"It reads a {digit}")
    pick(page, ".model", "gru128")  # never loaded: its weights cannot come now
    page.wait_for_selector("#views .problem", state="visible", timeout=15_000)
    assert "Could not load the model gru128" in page.inner_text("#views .problem")
    assert page.input_value("#views .model") == "default" and "It reads a 0" in page.inner_text(STATUS)
    context.close()
    # The server going away is logged by Gradio's own front end; nothing else may fail.
    assert not [p for p in problems if "Failed to load resource" not in p and "net::ERR" not in p], problems
