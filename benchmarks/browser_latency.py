"""The page reading real pen digits itself, in headless Chromium: how fast, how many requests,
and whether it still reads once the server is gone.

Starts `python -m demo` on 127.0.0.1 and opens it in Debian's chromium (Playwright). Digits
of the pen benchmark's test writers (model.pen_digits, spread over digits and writers) are
drawn with the mouse, one press per pen stroke. For each digit it measures the time from
releasing the mouse after its last stroke to the last redraw of the views (status, prediction,
input and every view: `window.__viewsDrawnAt`, set by demo/views_main.js once every view is
painted), and counts the requests the page makes while drawing. The same again with the CPU
slowed 4x (CDP Emulation.setCPUThrottlingRate, about a phone). Then the server is stopped and
`--offline` more digits are drawn: how many the page still reads. Last, the views' own
JavaScript for one hover and one row-cursor step.
Targets (issue #20): stroke end -> views redrawn p50 <= 25 ms, 4x slowed p50 <= 100 ms;
0 requests while drawing; 5 of 5 digits read after the server is stopped.

    .venv/bin/python -m benchmarks.browser_latency [--digits 30] [--offline 5] [--updates 200]
"""
import argparse
import json
import os
import signal
import time

import numpy as np
from playwright.sync_api import sync_playwright

from model.calibration import spread
from model.pen_digits import load_pen_digits
from tests.helpers import CHROMIUM, CHROMIUM_ARGS, draw_strokes, running_app

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
QUIET = """() => window.__redraws.length && window.__strokeEnd && performance.now() - window.__redraws[window.__redraws.length - 1] > 400"""
READ = "() => /It reads|Not sure/.test(document.querySelector('#views .status').innerText)"


def in_unit_box(strokes) -> list[list[tuple]]:
    """A pen digit's strokes (x right, y down) scaled into the unit box, its aspect kept."""
    points = np.concatenate(strokes)
    low, extent = points.min(0), max(np.ptp(points[:, 0]), np.ptp(points[:, 1]), 1e-6)
    shift = (1 - np.ptp(points, 0) / extent) / 2  # centred in the box
    return [[tuple(p) for p in ((s - low) / extent + shift).tolist()] for s in strokes]


def summary(values) -> dict:
    ms = np.asarray(values) if len(values) else np.zeros(1)
    return {"p50": round(float(np.median(ms)), 2), "p95": round(float(np.percentile(ms, 95)), 2),
            "max": round(float(ms.max()), 2)}


def draw_digits(page, digits, requests: list) -> dict:
    """Draw each digit, wait for the views to settle, then clear; the figures of these digits."""
    latencies, engine_ms, asked, right = [], [], 0, 0
    for digit in digits:
        page.evaluate("() => { window.__redraws = []; window.__strokeEnd = null; }")
        requests.clear()
        draw_strokes(page, in_unit_box(digit.strokes), steps=3)
        page.wait_for_function(QUIET, timeout=20_000, polling=50)
        asked += len(requests)
        redraws, end, ms, status = page.evaluate(
            "() => [window.__redraws, window.__strokeEnd, window.__engineMs, document.querySelector('#views .status').innerText]")
        after = [u for u in redraws if u >= end]
        latencies.append(after[-1] - end if after else 0.0)
        engine_ms.append(ms)
        right += f"reads a {digit.label}" in status or f"reads an {digit.label}" in status
        page.click("#canvas .clear")
        page.wait_for_function("() => document.querySelector('#views .status').innerText.includes('Draw a digit')")
    return {"stroke_end_to_views_redrawn_ms": summary(latencies), "engine_ms_per_reading": summary(engine_ms),
            "digits": len(digits), "read_right": right, "requests_while_drawing": asked}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--digits", type=int, default=30, help="pen digits drawn at full speed and again slowed 4x")
    p.add_argument("--offline", type=int, default=5, help="digits drawn after the server is stopped")
    p.add_argument("--updates", type=int, default=200)
    args = p.parse_args()
    digits = spread(load_pen_digits("test"), args.digits + args.offline + 2)
    warm, timed, offline = digits[:2], digits[2:args.digits + 2], digits[args.digits + 2:]
    figures = {}
    with running_app() as app, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        requests = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(app.url)
        page.wait_for_selector("#views .panels")
        page.wait_for_timeout(1000)  # the default model's weights, loaded with the page
        page.evaluate(WATCH)
        draw_digits(page, warm, requests)
        figures["full_speed"] = draw_digits(page, timed, requests)
        print(json.dumps({"full_speed": figures["full_speed"]}), flush=True)
        cdp = page.context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
        figures["cpu_slowed_4x"] = draw_digits(page, timed, requests)
        print(json.dumps({"cpu_slowed_4x": figures["cpu_slowed_4x"]}), flush=True)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
        draw_strokes(page, in_unit_box(warm[0].strokes), steps=3)  # views to hover over
        page.wait_for_function(READ, timeout=5_000)
        hover, cursor = page.evaluate(UPDATES, args.updates)
        page.click("#canvas .clear")
        figures["js_ms_per_hover"], figures["js_ms_per_cursor_step"] = summary(hover), summary(cursor)
        os.kill(app.pid, signal.SIGTERM)  # the server goes away; the page stays open
        time.sleep(2)
        read = 0
        for digit in offline:
            draw_strokes(page, in_unit_box(digit.strokes), steps=3)
            try:
                page.wait_for_function(READ, timeout=5_000)
                read += 1
            except Exception:  # noqa: BLE001 - not read: counted
                pass
            page.click("#canvas .clear")
        figures["after_server_stopped"] = {"digits": len(offline), "read": read}
        browser.close()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
