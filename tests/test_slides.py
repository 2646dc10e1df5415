"""Slides (demo/slides.js) in a real browser (headless Debian chromium, Playwright): Download GIF
makes a valid GIF89a of 28 frames (read here block by block, and decoded by Pillow), the size of
the current view under a line of text; Download PNG strip is four such slides one under the other.
The encoder itself: tests/js/slides.test.js."""
import io
import struct

import pytest
from PIL import Image

from tests.helpers import draw_on_canvas, wait_for_answer, watched_page

pytestmark = [pytest.mark.browser, pytest.mark.server]  # see pyproject.toml's markers


def gif_blocks(data: bytes) -> tuple[int, int, int, list[int]]:
    """A GIF's (width, height, image descriptors, delays), walking its blocks as a reader does."""
    assert data[:6] == b"GIF89a"
    width, height, packed = struct.unpack("<HHB", data[6:11])
    at = 13 + (3 * (2 << (packed & 7)) if packed & 0x80 else 0)
    images, delays = 0, []
    while data[at] != 0x3B:  # the trailer
        kind, at = data[at], at + 1
        if kind == 0x21:  # an extension: its label, then sub-blocks
            if data[at] == 0xF9:
                delays.append(struct.unpack("<H", data[at + 3:at + 5])[0])
            at += 1
        else:
            assert kind == 0x2C, f"an unknown block {kind:#x} at {at - 1}"
            left, top, w, h, packed = struct.unpack("<HHHHB", data[at:at + 9])
            assert (left, top, w, h) == (0, 0, width, height)
            at += 9 + (3 * (2 << (packed & 7)) if packed & 0x80 else 0) + 1  # + LZW's minimum code size
            images += 1
        while data[at]:
            at += data[at] + 1
        at += 1
    assert at == len(data) - 1
    return width, height, images, delays


def download(page, button, timeout=60_000) -> bytes:
    with page.expect_download(timeout=timeout) as saved:
        page.click(f"#views {button}")
    return open(saved.value.path(), "rb").read()


def test_slides_gif_has_28_frames_and_the_strip_four_slides(chromium, app):
    with watched_page(chromium, app.url) as page:
        draw_on_canvas(page, digit="7")
        wait_for_answer(page, "It reads a 7")
        view = Image.open(io.BytesIO(download(page, ".download")))

        gif = download(page, ".download-gif")
        width, height, images, delays = gif_blocks(gif)
        assert images == 28 and delays == [15] * 27 + [150]
        assert (width, height) == (view.width, view.height + 22)  # the view under its line of text
        decoded = Image.open(io.BytesIO(gif))
        assert decoded.format == "GIF" and decoded.n_frames == 28
        decoded.seek(27)
        decoded.load()
        assert page.inner_text("#views .download-gif") == "Download GIF (28 rows)"  # the button is back

        strip = Image.open(io.BytesIO(download(page, ".download-strip")))
        assert strip.format == "PNG" and strip.size == (width, 4 * height)
