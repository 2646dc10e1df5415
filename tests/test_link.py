"""The state link (demo/views_link.js) in a real browser (headless Debian chromium, Playwright): a
view's address opened in a fresh browser shows the same view, its drawing read in the page with no
request for it; malformed and hostile links say so and leave the page empty, with no console
error; Copy link copies the address. The format itself: tests/js/link.test.js."""
import base64
import zlib
from urllib.parse import urlsplit

import numpy as np
import pytest
import torch

from model import WhatIf, load_model, trace
from tests.helpers import STATUS, draw_on_canvas, in_cell, wait_for_answer, watched_page
from tests.test_browser import panel

pytestmark = [pytest.mark.browser, pytest.mark.server]  # see pyproject.toml's markers

BLANK_CANVAS = "(() => { const c = document.querySelector('#canvas canvas');" \
               " return c.getContext('2d').getImageData(0, 0, c.width, c.height).data.every((v) => v === 255); })()"


def deflated(data: bytes) -> str:
    """As the link writes a drawing: deflate-raw, base64url without padding."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return base64.urlsafe_b64encode(compressor.compress(data) + compressor.flush()).decode().rstrip("=")


def requested(requests, origin):
    """The paths asked of the app (the page's files, its config, the weights), without queries."""
    return sorted({urlsplit(r.url).path for r in requests if r.url.startswith(origin)})


def test_link_restores_the_view_and_reads_its_drawing_with_no_request(chromium, app):
    with watched_page(chromium, app.url) as page:
        draw_on_canvas(page, digit="7")
        wait_for_answer(page, "It reads a 7")
        page.focus("#views .panels")
        for _ in range(8):
            page.keyboard.press("ArrowUp")  # row 28 -> 20
        plot = panel(page, "layer 2 |h_t|")
        plot.click(position=in_cell(plot, 19, 36, 128))  # unit 37, row 20
        page.get_by_role("tab", name="Gates and memory").click()
        page.wait_for_function("['row=20', 'unit=2.0.37', 'tab=gates', 'draw='].every((part) => location.hash.includes(part))")
        link, status, row = page.url, page.inner_text(STATUS), page.inner_text("#views .row-out")
        unit = page.inner_text("#views .unit-chart .unit-title")
    assert row.startswith("row 20") and unit.startswith("Unit 37 of layer 2")
    assert "lang=en" in link and len(link) < 600, link

    plain, asked = [], []  # what the page alone asks of the server when it loads; what the link's page asks
    with watched_page(chromium, app.url, requests=plain) as page:
        page.wait_for_timeout(1500)
    with watched_page(chromium, link, requests=asked) as page:
        wait_for_answer(page, "It reads a 7")
        assert page.inner_text(STATUS) == status
        assert page.inner_text("#views .row-out") == row
        assert page.get_attribute("#views [role=tab][data-view=gates]", "aria-selected") == "true"
        assert page.inner_text("#views .unit-chart .unit-title") == unit
        assert page.is_visible("#canvas .restored") and not page.evaluate(BLANK_CANVAS)  # the drawing, enlarged
        # Nothing was asked for the reading: the same requests as the page alone (its files, the default
        # model's weights), no POST, and the drawing in none of them.
        origin = app.url.rstrip("/")
        assert requested(asked, origin) == requested(plain, origin)
        draw = link.split("draw=", 1)[1].split("&", 1)[0]
        assert not [r.url for r in asked if r.method != "GET" or draw in r.url or draw in (r.post_data or "")]
        # The next stroke starts a new drawing: the restored image is gone.
        draw_on_canvas(page, digit="1")
        wait_for_answer(page, "It reads a 1")
        assert not page.is_visible("#canvas .restored")
        page.wait_for_function(f"!location.hash.includes({draw!r})")


# A 7 with strokes two pixels wide, as the page's to_mnist makes them (a one-pixel line is no
# drawing the page sends, and the model need not read one).
SEVEN_BYTES = bytes(255 if (5 <= y <= 6 and 6 <= x < 22) or (6 <= y < 24 and 20 - y // 2 <= x <= 21 - y // 2) else 0
                    for y in range(28) for x in range(28))
HOSTILE = {
    "a drawing that is not base64url": "v=1&draw=@@@@",
    "a drawing of the wrong length": "v=1&draw=" + deflated(bytes(100)),
    "a drawing that inflates to half a megabyte": "v=1&draw=" + deflated(b"\x09" * 500_000),
    "a drawing that is not deflate data": "v=1&draw=" + base64.urlsafe_b64encode(b"hello, world").decode(),
    "a huge parameter": "v=1&draw=" + "A" * 100_000,
    "an unknown model": "v=1&draw=" + deflated(SEVEN_BYTES) + "&model=nope",
    "a row out of range": "v=1&draw=" + deflated(SEVEN_BYTES) + "&row=99",
    "an unknown version": "v=2&draw=" + deflated(SEVEN_BYTES),
    "a script for a model": "v=1&model=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "markup for a tab": "v=1&tab=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E",
    "a unit of no layer": "v=1&unit=0.0.1",
    "the prototype for a model": "v=1&model=__proto__",
}


def test_link_malformed_or_hostile_gives_a_clear_message_an_empty_canvas_and_no_console_error(chromium, app):
    with watched_page(chromium, app.url) as page:
        for what, fragment in HOSTILE.items():
            page.goto("about:blank")
            page.goto(f"{app.url}#{fragment}")
            page.wait_for_selector("#views .problem", state="visible", timeout=15_000)
            message = page.inner_text("#views .problem")
            assert message.startswith("This link could not be restored: ") and message.endswith("The page starts empty."), what
            assert "<" not in message and page.locator("#views .problem *").count() == 0, what
            assert page.evaluate(BLANK_CANVAS), what
            assert page.inner_text(STATUS).startswith("Draw a digit"), what
            assert not page.is_visible("#canvas .restored"), what
        # The page still works, and its address holds its view again.
        draw_on_canvas(page, digit="7")
        wait_for_answer(page, "It reads a 7")
        page.wait_for_function("location.hash.startsWith('#v=1&draw=')")


def test_link_with_a_unit_its_model_lacks_restores_the_rest_and_says_so(chromium, app):
    with watched_page(chromium, f"{app.url}#v=1&draw={deflated(SEVEN_BYTES)}&row=9&unit=2.0.999") as page:
        page.wait_for_selector("#views .problem", state="visible", timeout=15_000)
        assert page.inner_text("#views .problem") == \
            "This link's unit 2.0.999 is not one of default's; the rest of the view is restored."
        assert page.inner_text(STATUS).startswith("It reads a 7") and page.inner_text("#views .row-out").startswith("row 9")
        assert not page.is_visible("#views .unit-chart")
        page.wait_for_function("!location.hash.includes('unit=')")


def test_link_restores_a_what_if_as_python_reads_it(chromium, app):
    """A link holding a what-if (memory wiped before row 14, rows 3 and 4 erased) opens with it
    replayed: the status says what changed and the answer is model.trace's with that WhatIf."""
    with watched_page(chromium, f"{app.url}#v=1&draw={deflated(SEVEN_BYTES)}&row=14&erase=3,4&from=14&memory=wipe") as page:
        page.wait_for_function(f"document.querySelector('{STATUS}').innerText.startsWith('With rows 3, 4 erased; its memory wiped before row 14')",
                               timeout=15_000)
        image = torch.from_numpy(np.frombuffer(SEVEN_BYTES, np.uint8).reshape(28, 28).astype(np.float32) / 255)[None]
        probs = trace(load_model(), image, WhatIf(erased_rows=(3, 4), from_row=14, memory="wipe")).probs[0]
        digit = int(probs.argmax())
        assert f"a {digit} ({round(100 * float(probs.max()))}%)" in page.inner_text(STATUS).replace("an 8", "a 8")
        assert page.is_disabled("#views [data-whatif=undo]")  # a restored what-if starts a new history
        page.click("#views [data-whatif=reset]")
        wait_for_answer(page, "It reads a 7")
        page.wait_for_function("!location.hash.includes('memory=')")


def test_link_in_chinese_says_so_in_chinese(chromium, app):
    with watched_page(chromium, f"{app.url}?lang=zh-CN#v=1&row=99") as page:
        page.wait_for_selector("#views .problem", state="visible", timeout=15_000)
        assert page.inner_text("#views .problem").startswith("无法还原这个链接：链接里的行号不在 1 到 28 之间")


def test_link_copy_puts_the_address_on_the_clipboard_or_shows_it_selected(chromium, app):
    with watched_page(chromium, app.url, permissions=["clipboard-read", "clipboard-write"]) as page:
        draw_on_canvas(page, digit="7")
        wait_for_answer(page, "It reads a 7")
        page.click("#views .copy-link")
        page.wait_for_function("document.querySelector('#views .link-note').innerText.startsWith('Link copied')")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == page.url and "#v=1&draw=" in copied
        # Where the page may not write the clipboard, the link is shown, selected.
        page.evaluate("Object.defineProperty(navigator, 'clipboard', {value: undefined})")
        page.click("#views .copy-link")
        page.wait_for_selector("#views .link-text", state="visible")
        assert page.input_value("#views .link-text") == page.url
        assert page.evaluate("document.activeElement === document.querySelector('#views .link-text')")
        assert page.inner_text("#views .link-note").startswith("Copy the selected link")
