"""The page in Simplified Chinese and in English (headless Debian chromium): a browser set to
zh-CN gets a Chinese page, with no English word outside the technical names a Chinese textbook
keeps; en-US gets no Chinese; the switch flips the page at once, without a reload, and the
link keeps the language. Screenshots of both go to tests/artifacts/ (docs/ has copies)."""
import re

import pytest

from demo.strings import TABLES
from tests.helpers import ROOT, draw_on_canvas, watched_page

pytestmark = [pytest.mark.browser, pytest.mark.server]  # see pyproject.toml's markers

ARTIFACTS = ROOT / "tests" / "artifacts"
STATUS = "#views .status"
# Words a Chinese page keeps in Latin letters: technical names as a Chinese textbook writes them,
# the formula's symbols, file and format names, and the language switch's "English".
TECHNICAL = {"LSTM", "GRU", "RNN", "tanh", "sigmoid", "h_t", "c_t", "x_t", "h", "c", "t", "x", "b", "W", "U", "P",
             "i_t", "f_t", "g_t", "o_t", "r_t", "z_t", "n_t",  # the gates' symbols (the cell at work)
             "MNIST", "API", "PNG", "GIF", "Adam", "English", "Gradio"}
WORD = re.compile(r"[A-Za-z]+(?:_[A-Za-z]+)?")
CHINESE = re.compile(r"[\u3400-\u9fff]")


def every_word_on_the_page(page) -> str:
    """What a reader (or a screen reader) meets after drawing a 7, picking a model to compare
    and opening every tab, a unit's chart and a cell's read-out: the page's visible text (Gradio's
    footer too), the document's title, and the aria-labels, titles and options of the page's own
    parts (Gradio's own aria-labels, e.g. its footer's, are Gradio's business)."""
    seen = []
    others = page.eval_on_selector_all("#views .other option", "els => els.map(e => e.value).filter(Boolean)")
    page.select_option("#views .other", others[-1])  # the comparison, with a second model
    for tab in page.locator("#views [role=tab]").all():
        tab.click()
        page.wait_for_selector("#views .plot")
        page.locator("#views .plot").first.hover()  # a read-out
        seen.append(page.evaluate("""() => [document.title, document.body.innerText,
            ...[...document.querySelectorAll(':is(#header, #canvas, #views) :is([aria-label], [title], svg title, option)')].map(
               (e) => e.getAttribute('aria-label') || e.getAttribute('title') || e.textContent)].join('\\n')"""))
        if not page.locator("#views .unit-chart").is_visible() and page.locator("#views [role=tab][data-view=hidden]").get_attribute("aria-selected") == "true":
            page.locator("#views .plot").nth(1).click()  # a unit's chart, read on the next tabs
    return "\n".join(seen)


def models_on_the_page(page) -> set[str]:
    return set(page.eval_on_selector_all("#views .model option", "els => els.map(e => e.value)"))


def test_a_chinese_browser_gets_a_chinese_page_with_no_english_but_technical_names(chromium, app):
    with watched_page(chromium, app.url, "zh-CN") as page:
        assert page.inner_text(STATUS).startswith("在框里写一个数字")
        draw_on_canvas(page, digit="7")
        page.wait_for_function(f"document.querySelector('{STATUS}').innerText.startsWith('识别为 7')", timeout=15_000)
        text = every_word_on_the_page(page)
        allowed = TECHNICAL | {word for name in models_on_the_page(page) for word in WORD.findall(name)}  # lstm64, ...
        english = set(WORD.findall(text)) - allowed
        assert not english, f"English words on the Chinese page: {sorted(english)}"
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator("#views [role=tab][data-view=hidden]").click()
        page.screenshot(path=str(ARTIFACTS / "page.zh-CN.png"), full_page=True)


def test_an_english_browser_gets_no_chinese(chromium, app):
    with watched_page(chromium, app.url, "en-US") as page:
        draw_on_canvas(page, digit="7")
        page.wait_for_function(f"document.querySelector('{STATUS}').innerText.startsWith('It reads a 7')", timeout=15_000)
        text = every_word_on_the_page(page).replace(TABLES["zh-CN"]["language.name"], "")  # the switch's 中文
        assert not CHINESE.findall(text), sorted(set(CHINESE.findall(text)))
        assert page.evaluate("document.documentElement.lang") == "en"


def test_the_switch_flips_the_page_at_once_and_the_link_keeps_the_language(chromium, app):
    with watched_page(chromium, app.url) as page:
        draw_on_canvas(page, digit="7")
        page.wait_for_function(f"document.querySelector('{STATUS}').innerText.startsWith('It reads a 7')", timeout=15_000)
        page.evaluate("window.__notReloaded = true")
        page.select_option("#header .language", "zh-CN")
        page.wait_for_function(f"document.querySelector('{STATUS}').innerText.startsWith('识别为 7')", timeout=5_000)
        assert page.evaluate("window.__notReloaded") is True
        assert page.inner_text("#views [data-view=belief]") == TABLES["zh-CN"]["views.tab_belief"]
        assert page.inner_text("#canvas .clear") == TABLES["zh-CN"]["canvas.clear"]
        assert page.inner_text("#header h1") == TABLES["zh-CN"]["page.heading"]
        assert page.title() == TABLES["zh-CN"]["page.title"]
        assert "lang=zh-CN" in page.url
        link = page.url
        page.select_option("#header .language", "en")
        page.wait_for_function(f"document.querySelector('{STATUS}').innerText.startsWith('It reads a 7')", timeout=5_000)
    # The link with ?lang=zh-CN opens in Chinese in an English browser (with its drawing: the state link).
    with watched_page(chromium, app.url + "?" + link.split("?", 1)[1]) as page:
        page.wait_for_function(f"document.querySelector('{STATUS}').innerText.startsWith('识别为 7')", timeout=15_000)
        assert page.input_value("#header .language") == "zh-CN"
