"""The page's explanations, in headless Chromium (issue #21's targets): how long after a stroke
ends the rows that mattered (the strip) and the pixels (the overlay) appear, whether the main
thread was ever blocked over 50 ms meanwhile (PerformanceObserver "longtask"), the JavaScript
time of a what-if replay (button click to every view redrawn, the worker's reading included) on
the page's main thread, and of one step of the row cursor on the cell-at-work tab.

Digits of the pen benchmark's test writers are drawn with the mouse on the belief view.
Targets: strip <= 250 ms and overlay <= 1 s after the stroke ends; no long task over 50 ms;
what-if replay and a cell-view step within a frame (<= 16 ms of main-thread JavaScript).

    .venv/bin/python -m benchmarks.explain_latency [--digits 20]
"""
import argparse
import json

from playwright.sync_api import sync_playwright

from benchmarks.browser_latency import in_unit_box, summary
from model.calibration import spread
from model.pen_digits import load_pen_digits
from tests.helpers import CHROMIUM, CHROMIUM_ARGS, draw_strokes, running_app

WATCH = """() => {
  window.__longTasks = [];
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push(e.duration); })
    .observe({type: "longtask", buffered: false});
  document.querySelector("#canvas canvas").addEventListener("pointerup", () => { window.__strokeEnd = performance.now(); });
}"""
DONE = "() => window.__attributionShownAt && window.__attributionShownAt.patches > window.__strokeEnd"
# One what-if: click, then wait for the redraw; the main thread's busy time is measured by the
# click handler's own time plus the update's (a task timer around both).
WHAT_IF = """async (kind) => {
  const before = window.__viewsDrawnAt, button = document.querySelector(`#views [data-whatif=${kind}]`);
  const start = performance.now();
  button.click();
  const clicked = performance.now() - start;
  while (window.__viewsDrawnAt === before) await new Promise((r) => setTimeout(r, 1));
  return {clicked, total: window.__viewsDrawnAt - start, update: window.__updateMs};
}"""
# `n` steps of the row cursor (its input event runs the cell view's update synchronously).
CELL_STEPS = """(n) => {
  const slider = document.querySelector("#views .row"), times = [];
  for (let i = 0; i < n; i++) {
    slider.value = String(1 + i % 28);
    const start = performance.now();
    slider.dispatchEvent(new Event("input", {bubbles: true}));
    times.push(performance.now() - start);
  }
  return times;
}"""


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--digits", type=int, default=20)
    args = p.parse_args()
    digits = spread(load_pen_digits("test"), args.digits + 1)
    rows, patches, long_tasks, replay, update = [], [], [], [], []
    with running_app("--no-presets") as app, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="en-US")
        page.goto(app.url)
        page.wait_for_selector("#views .panels")
        page.wait_for_timeout(1000)  # the default model's weights, loaded with the page
        page.click("#views [role=tab][data-view=belief]")
        page.evaluate(WATCH)
        for n, digit in enumerate(digits):
            page.evaluate("() => { window.__longTasks.length = 0; window.__attributionShownAt = null; }")
            draw_strokes(page, in_unit_box(digit.strokes), steps=3)
            page.wait_for_function(DONE, timeout=20_000, polling=20)
            shown, end, tasks = page.evaluate("() => [window.__attributionShownAt, window.__strokeEnd, window.__longTasks]")
            if n:  # the first digit warms up
                rows.append(shown["rows"] - end)
                patches.append(shown["patches"] - end)
                long_tasks += tasks
                page.eval_on_selector("#views .row", "el => { el.value = 14; el.dispatchEvent(new Event('input')); }")
                for kind in ("wipe", "forget", "undo", "undo"):
                    timing = page.evaluate(WHAT_IF, kind)
                    replay.append(timing["total"])
                    update.append(timing["clicked"] + timing["update"])
            if n == len(digits) - 1:  # the last digit: the cell at work, stepped
                page.click("#views [role=tab][data-view=cell]")
                cell_steps = page.evaluate(CELL_STEPS, 280)
                page.click("#views [role=tab][data-view=belief]")
            page.click("#canvas .clear")
        browser.close()
    print(json.dumps({"digits": len(rows), "stroke_end_to_row_strip_ms": summary(rows),
                      "stroke_end_to_pixel_overlay_ms": summary(patches),
                      "long_tasks_over_50ms": len(long_tasks), "longest_task_ms": max(long_tasks, default=0),
                      "what_if_click_to_views_redrawn_ms": summary(replay),
                      "what_if_main_thread_js_ms": summary(update), "cell_view_step_js_ms": summary(cell_steps)}))


if __name__ == "__main__":
    main()
