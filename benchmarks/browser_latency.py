"""Stroke end to prediction on the page, in headless Chromium, on the real app.

Starts `python -m demo` on 127.0.0.1, opens it in Debian's chromium (Playwright), draws
digits with the mouse, and measures, for each stroke, the time from releasing the mouse
to the moment the page shows the prediction for the finished drawing (the last update of
the label and the model-input image after the release). Target: median <= 200 ms.

    .venv/bin/python -m benchmarks.browser_latency [--strokes 30]
"""
import argparse
import json

import numpy as np
from playwright.sync_api import sync_playwright

from tests.helpers import CHROMIUM, CHROMIUM_ARGS, draw_on_canvas, running_app

WATCH = """() => {
  window.__updates = [];
  window.__strokeEnd = null;
  const note = () => window.__updates.push(performance.now());
  const observer = new MutationObserver(note);
  for (const id of ["#prediction", "#model-input"])
    observer.observe(document.querySelector(id), {subtree: true, childList: true, attributes: true, characterData: true});
  document.querySelector("#canvas canvas").addEventListener("pointerup", () => { window.__strokeEnd = performance.now(); });
}"""


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--strokes", type=int, default=30)
    args = p.parse_args()
    latencies, first_updates, during_stroke = [], [], 0
    with running_app() as app, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(app.url)
        page.wait_for_selector("#canvas canvas")
        page.evaluate(WATCH)
        for i in range(args.strokes + 2):  # the first two warm up
            page.evaluate("() => { window.__updates = []; window.__strokeEnd = null; }")
            draw_on_canvas(page, digit="7021"[i % 4])
            # Wait until the page has been quiet for 800 ms: the last update is the final drawing's.
            page.wait_for_function("""() => window.__updates.length && window.__strokeEnd &&
                                     performance.now() - window.__updates[window.__updates.length - 1] > 800""",
                                   timeout=20_000, polling=50)
            updates, end = page.evaluate("() => [window.__updates, window.__strokeEnd]")
            after = [u for u in updates if u >= end]
            if i >= 2:
                during_stroke += any(u < end for u in updates)
                latencies.append(after[-1] - end if after else 0.0)
                first_updates.append(after[0] - end if after else 0.0)
            page.click("#canvas .clear")
            page.wait_for_function("() => !document.querySelector('h2[data-testid=\"label-output-value\"]')")
            page.wait_for_timeout(300)
        browser.close()
    ms = np.asarray(latencies)
    print(json.dumps({
        "stroke_end_to_final_prediction_ms": {"p50": round(float(np.median(ms)), 1),
                                              "p95": round(float(np.percentile(ms, 95)), 1),
                                              "max": round(float(ms.max()), 1)},
        "stroke_end_to_first_update_ms_p50": round(float(np.median(first_updates)), 1),
        "strokes": len(ms), "strokes_with_updates_while_drawing": during_stroke,
    }))


if __name__ == "__main__":
    main()
