"""Stroke end to every view redrawn, and the JavaScript cost of hover and row-cursor updates,
on the real app in headless Chromium.

Starts `python -m demo` on 127.0.0.1, opens it in Debian's chromium (Playwright), draws
digits with the mouse, and measures, for each stroke, the time from releasing the mouse to
the moment the views have been redrawn from the answer to the finished drawing (the last
redraw after the release: `window.__viewsDrawnAt`, set by demo/views_main.js once every
view is painted). Then it times the views' own JavaScript for one hover (a pointermove on a
heatmap: read-out and the highlighted row in every view) and one row-cursor step (the
slider's input event: input image, prediction and every view's rows).
Targets (issue #11): stroke end -> views redrawn p50 <= 50 ms; <= 16 ms of JS per update.

    .venv/bin/python -m benchmarks.browser_latency [--strokes 30] [--updates 200]
"""
import argparse
import json

import numpy as np
from playwright.sync_api import sync_playwright

from tests.helpers import CHROMIUM, CHROMIUM_ARGS, draw_on_canvas, running_app

WATCH = """() => {
  window.__redraws = [];
  window.__strokeEnd = null;
  let last = window.__viewsDrawnAt;
  (function poll() {  // every frame: a new redraw time means the views were redrawn
    if (window.__viewsDrawnAt !== last) { last = window.__viewsDrawnAt; window.__redraws.push(last); }
    requestAnimationFrame(poll);
  })();
  document.querySelector("#canvas canvas").addEventListener("pointerup", () => { window.__strokeEnd = performance.now(); });
}"""

# JS time of `n` hovers over the first heatmap (synchronous handlers) and `n` cursor steps.
UPDATES = """(n) => {
  const plot = document.querySelectorAll("#views .plot")[1], box = plot.getBoundingClientRect();
  const hover = [], cursor = [], slider = document.querySelector("#views .row");
  for (let i = 0; i < n; i++) {
    const event = new PointerEvent("pointermove", {bubbles: true, clientX: box.left + (i * 7 % 100) / 100 * box.width,
                                                   clientY: box.top + (i % 28 + 0.5) / 28 * box.height});
    let t = performance.now();
    plot.dispatchEvent(event);
    hover.push(performance.now() - t);
    slider.value = String(1 + i % 28);
    t = performance.now();
    slider.dispatchEvent(new Event("input", {bubbles: true}));
    cursor.push(performance.now() - t);
  }
  return [hover, cursor];
}"""


def summary(values) -> dict:
    ms = np.asarray(values)
    return {"p50": round(float(np.median(ms)), 2), "p95": round(float(np.percentile(ms, 95)), 2),
            "max": round(float(ms.max()), 2)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--strokes", type=int, default=30)
    p.add_argument("--updates", type=int, default=200)
    args = p.parse_args()
    latencies, during_stroke = [], 0
    with running_app() as app, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(app.url)
        page.wait_for_selector("#canvas canvas")
        page.evaluate(WATCH)
        for i in range(args.strokes + 2):  # the first two warm up
            page.evaluate("() => { window.__redraws = []; window.__strokeEnd = null; }")
            draw_on_canvas(page, digit="7021"[i % 4])
            # Wait until the views have been quiet for 800 ms: the last redraw is the final drawing's.
            page.wait_for_function("""() => window.__redraws.length && window.__strokeEnd &&
                                     performance.now() - window.__redraws[window.__redraws.length - 1] > 800""",
                                   timeout=20_000, polling=50)
            redraws, end = page.evaluate("() => [window.__redraws, window.__strokeEnd]")
            after = [u for u in redraws if u >= end]
            if i >= 2:
                during_stroke += any(u < end for u in redraws)
                latencies.append(after[-1] - end if after else 0.0)
            if i < args.strokes + 1:
                page.click("#canvas .clear")
                page.wait_for_function("() => document.querySelector('#views .status').innerText.includes('Draw a digit')")
                page.wait_for_timeout(300)
        hover, cursor = page.evaluate(UPDATES, args.updates)
        browser.close()
    print(json.dumps({"stroke_end_to_views_redrawn_ms": summary(latencies), "strokes": len(latencies),
                      "strokes_with_redraws_while_drawing": during_stroke,
                      "js_ms_per_hover": summary(hover), "js_ms_per_cursor_step": summary(cursor)}))


if __name__ == "__main__":
    main()
