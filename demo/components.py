"""The page's custom components, each one gr.HTML class with its template, CSS and JavaScript
together (Gradio's custom HTML component pattern): the header with the language switch, the
drawing canvas, and the views of a trace drawn in the browser. No library is fetched: the page
works offline. Every visible word comes from demo/strings (each component gets the phrases it
shows, in every language, as its `strings` prop; demo/language.js picks and switches)."""
from pathlib import Path

import gradio as gr

from .strings import LANGUAGES, table

HERE = Path(__file__).parent
# One file per view, each stating its options and data format at the top; the shared
# helpers first, then the wiring, and the engine's side last (they run as one js_on_load function).
VIEW_SCRIPTS = ["views_common.js", "view_hidden.js", "view_belief.js", "view_gates.js", "view_compare.js",
                "view_unit.js", "view_cell.js", "views_main.js", "slides.js", "views_whatif.js", "views_attribution.js",
                "views_quiz.js", "views_engine.js", "views_link.js"]


def script(*names: str) -> str:
    """A component's js_on_load: demo/language.js first, then its own files."""
    return "\n".join((HERE / name).read_text() for name in ("language.js", *names))


def phrases(*prefixes: str) -> dict[str, dict[str, str]]:
    """The phrases a component shows, in every language (its `strings` prop)."""
    return {language: table(language, *prefixes) for language in LANGUAGES}


class PageHeader(gr.HTML):
    """The title, what the page is, and the language switch (English / 中文)."""

    TEMPLATE = """
<header class="page-header">
  <div class="top">
    <h1 data-say="page.heading"></h1>
    <label class="switch"><span data-say="language.switch"></span> <select class="language"></select></label>
  </div>
  <p><span data-say="page.intro"></span> <span data-say="page.private"></span></p>
</header>"""
    CSS = """
.page-header .top { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: baseline; justify-content: space-between; }
.page-header h1 { font-size: 26px; margin: 0 0 6px; }
.page-header .switch { font-size: 14px; }
.page-header select { padding: 4px; font-size: 14px; }
.page-header p { margin: 0; font-size: 15px; }
@media (max-width: 600px) {  /* a phone: the canvas and the answer on the first screen */
  .page-header h1 { font-size: 19px; margin-bottom: 2px; }
  .page-header p { font-size: 13px; line-height: 1.35; }
}
"""

    def __init__(self, **kwargs):
        super().__init__(value="", html_template=self.TEMPLATE, css_template=self.CSS, js_on_load=script("header.js"),
                         strings=phrases("page.", "language."), **kwargs)


class DrawingCanvas(gr.HTML):
    """A plain <canvas> to draw on with mouse, pen or one finger. The drawing goes to the views
    in the page (a window event with its pixels, while drawing and at stroke end), never to the
    server: it has no value."""

    TEMPLATE = """
<div class="pad">
  <canvas width="280" height="280" role="img" data-say-label="canvas.label"></canvas>
  <div class="tools">
    <button class="clear" type="button" data-say="canvas.clear"></button>
    <label><span data-say="canvas.pen"></span> <input class="brush" type="range" min="6" max="40" value="18"></label>
  </div>
  <p class="restored" hidden data-say="canvas.restored"></p>
</div>"""
    CSS = """
canvas { width: 100%; max-width: 360px; aspect-ratio: 1; border: 2px solid #555; border-radius: 6px;
         touch-action: none; cursor: crosshair; background: white; display: block; margin: 0 auto; }
.tools { display: flex; gap: 12px; align-items: center; justify-content: center; margin-top: 6px; }
@media (max-width: 600px) { canvas { max-width: 260px; } }
.restored { font-size: 13px; max-width: 360px; margin: 6px auto 0; }
.clear { padding: 6px 16px; border: 1px solid #555; border-radius: 4px; background: #f3f3f3; color: #111; cursor: pointer; }
"""

    def __init__(self, **kwargs):
        super().__init__(value="", html_template=self.TEMPLATE, css_template=self.CSS,
                         js_on_load=script("canvas.js"), strings=phrases("canvas."), **kwargs)


class TraceViews(gr.HTML):
    """The engine in the page and every view of its readings: the status (a live region), the
    prediction and the model input, and the tabs Hidden state, Belief by row, Gates and memory,
    Compare models, The cell at work; hover/tap, row cursor, unit chart, PNG download; the model selectors.
    `engine` (demo.app.page_engine) says where the worker script and each model's weights are."""

    TEMPLATE = """
<div class="views">
  <p class="status" role="status" aria-live="polite"></p>
  <p class="quiz-hidden" hidden></p>
  <p class="problem" role="alert" hidden></p>
  <div class="summary">
    <figure class="input-figure"><figcaption data-say="views.input_caption"></figcaption><canvas class="input" width="28" height="28" role="img"></canvas></figure>
    <div class="prediction" role="img"></div>
  </div>
  <p class="mattered" aria-live="polite"></p>
  <div class="tabs" role="tablist" data-say-label="views.tabs">
    <button role="tab" type="button" data-view="hidden" data-say="views.tab_hidden"></button>
    <button role="tab" type="button" data-view="belief" data-say="views.tab_belief"></button>
    <button role="tab" type="button" data-view="gates" data-say="views.tab_gates"></button>
    <button role="tab" type="button" data-view="compare" data-say="views.tab_compare"></button>
    <button role="tab" type="button" data-view="cell" data-say="views.tab_cell"></button>
  </div>
  <p class="note" hidden></p>
  <div class="panels" role="tabpanel" tabindex="0" data-say-label="views.panels_label"></div>
  <div class="beside"></div>
  <div class="controls">
    <button class="play" type="button"></button>
    <input class="row" type="range" min="1" max="28" value="28" data-say-label="views.row_cursor">
    <output class="row-out"></output>
    <label><span data-say="views.units"></span> <select class="order"><option value="index" data-say="views.by_index"></option><option value="peak" data-say="views.by_peak"></option></select></label>
    <label><input class="signed" type="checkbox"> <span data-say="views.signed"></span></label>
    <button class="download" type="button" data-say="views.download"></button>
    <button class="download-gif" type="button" data-say="views.download_gif"></button>
    <button class="download-strip" type="button" data-say="views.download_strip"></button>
    <button class="copy-link" type="button" data-say="views.copy_link"></button>
    <input class="link-text" type="text" readonly hidden data-say-label="views.link_text">
    <span class="link-note" role="status"></span>
    <button class="quiz-toggle" type="button" aria-pressed="false"></button>
  </div>
  <div class="quiz" role="group" data-say-label="quiz.group" hidden>
    <label><span data-say="quiz.ask"></span> <select class="quiz-digit"></select></label>
    <label><span data-say="quiz.row"></span> <input class="quiz-row" type="number" min="1" max="28" value="14"></label>
    <button type="button" class="quiz-reveal" data-say="quiz.reveal"></button>
    <p class="quiz-score" aria-live="polite"></p>
  </div>
  <div class="whatif" role="group" data-say-label="whatif.group">
    <span data-say="whatif.title"></span>
    <button type="button" data-whatif="wipe" data-say="whatif.wipe"></button>
    <button type="button" data-whatif="forget" data-say="whatif.forget"></button>
    <button type="button" data-whatif="keep" data-say="whatif.keep"></button>
    <button type="button" data-whatif="silence"></button>
    <button type="button" data-whatif="stop" data-say="whatif.stop"></button>
    <button type="button" data-whatif="erase" aria-pressed="false" data-say="whatif.erase"></button>
    <button type="button" data-whatif="undo" data-say="whatif.undo"></button>
    <button type="button" data-whatif="reset" data-say="whatif.reset"></button>
  </div>
  <p class="readout"></p>
  <div class="unit-chart" hidden></div>
  <div class="models">
    <label><span data-say="views.model"></span> <select class="model"></select></label>
    <label><span data-say="views.compare_with"></span> <select class="other"><option value="" data-say="views.compare_none"></option></select></label>
    <span class="hint" data-say="views.compare_hint"></span>
  </div>
  <p class="about"></p>
  <div class="explanation" data-say-html="page.explanation"></div>
</div>"""
    CSS = """
.views [hidden] { display: none !important; }  /* over the display of .quiz, .models, ... */
.views { color: #111; font-size: 14px; --row: clamp(8px, 1.1vw, 14px); }

.status { font-size: 16px; min-height: 1.5em; margin: 0 0 6px; }
.mattered { font-size: 14px; margin: 0 0 6px; min-height: 2.6em; }  /* two lines kept: it arrives after the views */
.problem { background: #fff3cd; color: #5c4400; padding: 4px 8px; border-radius: 4px; }
.summary { display: flex; gap: 12px; align-items: flex-start; }
.input-figure { margin: 0; }
.input-figure figcaption { font-size: 12px; margin-bottom: 2px; }
.input { width: 112px; height: 112px; image-rendering: pixelated; border: 1px solid #888; display: block; }
.prediction { flex: 1; min-width: 120px; }
.after { font-size: 12px; margin: 0 0 2px; }
.pbar { display: flex; align-items: center; gap: 6px; height: 15px; font-size: 12px; }
.pbar i { display: block; height: 11px; background: #4a6fa5; min-width: 1px; }
.pbar.top i { background: #b2182b; }
.pbar .digit { width: 1ch; font-weight: bold; }
.tabs { display: flex; flex-wrap: wrap; gap: 4px; margin: 10px 0 6px; }
.tabs button { padding: 6px 10px; border: 1px solid #666; border-radius: 4px 4px 0 0; background: #f3f3f3; color: #111; font-size: 14px; cursor: pointer; }
.tabs button[aria-selected=true] { background: #fff; border-bottom-color: #fff; font-weight: bold; }
.note { margin: 4px 0; }
/* The panels side by side in one row at every width (scrolling sideways when they do not fit), the
   row numbers kept in view: every panel's rows sit beside their numbers. */
.panels { display: flex; flex-wrap: nowrap; overflow-x: auto; gap: 10px 12px; align-items: flex-start; outline-offset: 2px; }
.rownums { font-size: 12px; width: 22px; position: sticky; left: 0; z-index: 1; background: #fff; flex: 0 0 22px; }
.rownums b { display: block; height: 34px; font-weight: normal; }
.rownums div { display: grid; grid-template-rows: repeat(28, var(--row)); line-height: var(--row); font-size: 12px; }
.panel { margin: 0; flex: 1 1 110px; min-width: 90px; max-width: 340px; }
.panel figcaption { font-size: 12px; height: 34px; overflow: hidden; line-height: 16px; }
/* A phone: the tabs in one scrolling row; panels a little narrower than they would shrink to. */
@media (max-width: 600px) {
  .tabs { flex-wrap: nowrap; overflow-x: auto; }
  .tabs button { padding: 5px 8px; font-size: 13px; white-space: nowrap; }
  .panel { flex: 0 0 120px; }
}
.plot { position: relative; height: calc(28 * var(--row)); cursor: crosshair; touch-action: none; }
.plot canvas { width: 100%; height: 100%; image-rendering: pixelated; display: block; border: 1px solid #bbb; box-sizing: border-box; }
.dim { position: absolute; left: 0; right: 0; bottom: 0; background: rgba(255, 255, 255, 0.72); pointer-events: none; }
.hl { position: absolute; left: -2px; right: -2px; height: calc(100% / 28); outline: 2px solid #e08214; pointer-events: none; }
.mark { position: absolute; left: 0; right: 0; border-top: 2px dashed #111; pointer-events: none; }
.cbar { display: flex; align-items: center; gap: 4px; font-size: 12px; margin-top: 3px; }
.cbar i { flex: 1; height: 8px; display: block; border: 1px solid #999; }
.cbar .bar-scale { background: linear-gradient(to right, #d6604d, #d6604d); }
.cap { font-size: 12px; margin: 2px 0 0; }
.controls { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin-top: 8px; font-size: 14px; }
.controls button { padding: 6px 12px; border: 1px solid #555; border-radius: 4px; background: #f3f3f3; color: #111; cursor: pointer; }
.controls .row { flex: 1; min-width: 140px; }
/* The quiz hides what gives the answer away until it is revealed. */
.quizzing .status, .quizzing .prediction, .quizzing .mattered, .quizzing .mark, .quizzing .row-out { visibility: hidden; }
.quizzing [data-view=belief], .quizzing [data-view=compare], .quizzing .whatif { display: none; }
.quiz { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: center; margin-top: 8px; padding: 8px; border: 2px solid #3b528b; border-radius: 6px; font-size: 14px; }
.quiz input { width: 4em; }
.quiz-score { flex-basis: 100%; margin: 0; font-weight: bold; }
.quiz-hidden { font-size: 16px; margin: 0 0 6px; }
.whatif { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-top: 8px; font-size: 14px; }
.whatif button { padding: 4px 10px; border: 1px solid #7a4b00; border-radius: 4px; background: #fff7e6; color: #111; cursor: pointer; }
.whatif button[aria-pressed=true] { background: #7a4b00; color: #fff; }
.whatif button:disabled { opacity: 0.45; cursor: default; }
.erasing .plot { cursor: cell; }
.controls .link-text { flex: 1 1 100%; font-family: monospace; font-size: 12px; }
.controls .link-note { font-size: 13px; }
.readout { font-family: monospace; font-size: 13px; min-height: 1.4em; }
.unit-chart { position: relative; max-width: 420px; border: 1px solid #999; border-radius: 6px; padding: 6px; }
.unit-chart svg { width: 100%; font-size: 10px; }
.unit-chart .close { position: absolute; right: 6px; top: 4px; border: none; background: none; font-size: 18px; cursor: pointer; }
.legend { font-size: 12px; }
.models { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; margin-top: 10px; font-size: 14px; }
.models select { padding: 4px; font-size: 14px; }
.models .hint { font-size: 12px; color: #444; }
.about { font-size: 14px; }
.cell-figure { margin: 8px 0 0; max-width: 760px; }
.cell-title { font-size: 13px; min-height: 2.5em; }
.cell-figure svg { width: 100%; height: auto; display: block; font-size: 14px; }
.cell-figure .cell-box { fill: #f7f7f2; stroke: #999; }
.cell-figure .wire { fill: none; stroke: #555; stroke-width: 1.5; }
.cell-figure .op, .cell-figure .gate { fill: #fff; stroke: #333; }
.cell-figure .op-text { text-anchor: middle; }
.cell-figure .track { fill: #ddd; }
.cell-figure .level { fill: #4a6fa5; }
.cell-figure .value { font-weight: bold; }
.cell-figure .word { font-style: italic; }
.cell-figure .strip-frame { fill: none; stroke: #888; }
.cell-input { font-size: 12px; margin: 2px 0; }
.cell-equations p { font-family: monospace; font-size: 13px; margin: 2px 0; }
"""

    def __init__(self, **kwargs):
        super().__init__(value=None, html_template=self.TEMPLATE, css_template=self.CSS, js_on_load=script(*VIEW_SCRIPTS),
                         strings=phrases("views.", "status.", "whatif.", "mattered.", "quiz.", "page.explanation"), **kwargs)
