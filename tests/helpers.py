"""Shared by the tests and the benchmarks: MNIST location, a real app server, a real browser,
and synthetic drawings."""
import base64
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from deploy.replicas import stop

ROOT = Path(__file__).resolve().parent.parent
MNIST_DIR = ROOT.parent / "shared" / "data" / "mnist"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

# A few digits as pen strokes in a unit box (x right, y down), for synthetic drawings.
STROKES = {
    "7": [[(0.1, 0.05), (0.9, 0.05), (0.35, 1.0)]],
    "1": [[(0.35, 0.2), (0.55, 0.0), (0.55, 1.0)]],
    "4": [[(0.65, 1.0), (0.65, 0.0), (0.05, 0.7), (0.95, 0.7)]],
    "0": [[(0.5 + 0.42 * np.sin(a), 0.5 - 0.5 * np.cos(a)) for a in np.linspace(0, 2 * np.pi, 40)]],
    "2": [[(0.1, 0.25), (0.3, 0.03), (0.7, 0.03), (0.88, 0.25), (0.8, 0.5), (0.1, 1.0), (0.95, 1.0)]],
}


def draw_digit(digit="7", canvas=400, size=0.6, centre=(0.5, 0.5), pen=0.04, aspect=0.7) -> np.ndarray:
    """Dark strokes of `digit` on a white canvas x canvas RGB image; size is the digit's height
    as a fraction of the canvas, pen the brush width as a fraction of the canvas."""
    img = Image.new("RGB", (canvas, canvas), "white")
    draw = ImageDraw.Draw(img)
    h = size * canvas
    w = aspect * h
    x0, y0 = centre[0] * canvas - w / 2, centre[1] * canvas - h / 2
    width = max(1, round(pen * canvas))
    for stroke in STROKES[digit]:
        points = [(x0 + x * w, y0 + y * h) for x, y in stroke]
        draw.line(points, fill="black", width=width, joint="curve")
        for x, y in points:  # round caps
            draw.ellipse([x - width / 2, y - width / 2, x + width / 2, y + width / 2], fill="black")
    return np.asarray(img)


def random_digit(rng: np.random.Generator, digit: str | None = None, canvas=280) -> np.ndarray:
    """A drawing of `digit` (default: a random one) at a random size (40-80% of the canvas), place
    and pen, on a canvas of `canvas` px (or a random side in the (low, high) range given)."""
    digit = digit or str(rng.choice(list(STROKES)))
    side = canvas if isinstance(canvas, int) else int(rng.integers(*canvas))
    return draw_digit(digit, canvas=side, size=rng.uniform(0.4, 0.8),
                      centre=(rng.uniform(0.4, 0.6), rng.uniform(0.4, 0.6)), pen=rng.uniform(0.02, 0.05))


def png_data_url(image, side=None) -> str:
    """An image (array or PIL image) as the PNG data URL the page's canvas sends (resized to
    side x side if given)."""
    image = image if isinstance(image, Image.Image) else Image.fromarray(image)
    buffer = io.BytesIO()
    (image.resize((side, side)) if side else image).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


DAMAGE = ("missing", "truncated", "garbage", "empty", "another config", "one flipped byte",
          "weights swapped, card kept")


def damaged_weights(path, kind) -> tuple[Path, str]:
    """A weights file at `path` damaged in one way (see DAMAGE), and what load_model's error says."""
    import json

    import torch

    from model import ModelConfig, RowClassifier, save_model
    path = Path(path)
    if kind == "missing":
        return path, "not found"
    model = RowClassifier(ModelConfig(hidden_size=8, num_layers=1))
    save_model(model, path)
    data = path.read_bytes()
    if kind in ("truncated", "garbage", "empty"):
        path.write_bytes({"truncated": data[: len(data) // 3], "garbage": os.urandom(len(data)), "empty": b""}[kind])
        return path, "truncated or corrupted"
    if kind == "one flipped byte":  # torch reads it without complaint: one weight silently off
        offset = data.index(model.state_dict()["head.weight"].numpy().tobytes())
        path.write_bytes(data[:offset] + bytes([data[offset] ^ 0x40]) + data[offset + 1:])
        return path, "do not match the checksum"
    if kind == "weights swapped, card kept":  # the file is whole, but not the one its card describes
        path.with_suffix(".json").write_text(json.dumps({"tensors_sha256": "0" * 64}))
        return path, "checksum in its card"
    blob = torch.load(path, weights_only=True)  # "another config": tensors that do not fit the config
    blob["config"]["num_layers"] = 2
    torch.save(blob, path)
    return path, "do not fit its config"


def save_png(folder, array, name="drawing.png") -> str:
    """Write an image array as a PNG in `folder`; returns its path."""
    path = Path(folder) / name
    Image.fromarray(array).save(path)
    return str(path)


SMALL_TRAIN, SMALL_TEST = 256, 64  # MNIST digits a smoke run trains on and tests on
SMALL_TRAINING = ["--train-limit", str(SMALL_TRAIN), "--test-limit", str(SMALL_TEST), "--batch-size", "64"]


def run_train(*args, check=True, timeout=300) -> subprocess.CompletedProcess:
    """`python train.py ARGS` in the repo root; with `check`, it must succeed."""
    proc = subprocess.run([sys.executable, "train.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RunningApp:
    def __init__(self, url, port, log, pid):
        self.url, self.port, self.log, self.pid = url, port, log, pid

    def output(self) -> str:
        return self.log.read_text()


@contextmanager
def running_app(*args, timeout=90, module="demo"):
    """`python -m demo` (or another `module` that serves it) on 127.0.0.1 at a free port;
    yields a RunningApp and stops it afterwards."""
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="demo-", suffix=".log")[1])
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", module, "--port", str(port), *args],
                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the app exited with {proc.returncode}: {log.read_text()}")
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                if time.time() > deadline:
                    raise TimeoutError(f"the app did not answer at {url} within {timeout}s") from None
                time.sleep(0.3)
        yield RunningApp(url, port, log, proc.pid)
    finally:
        stop([proc])
        log.unlink(missing_ok=True)


def listening_addresses(port: int) -> set[str]:
    """The IPv4/IPv6 addresses a TCP socket on `port` listens on, read from /proc/net."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def missing(what: str):
    """What a test needs is not on this machine: in CI, whose setup installs everything, that
    fails the test; elsewhere it skips."""
    import pytest
    (pytest.fail if IN_CI else pytest.skip)(what)


def pen_digits_or_missing(split: str | None = None) -> list:
    """model.pen_digits.load_pen_digits(split), or `missing` when the shared data is not here."""
    from model.pen_digits import PEN_DIGITS_DIR, load_pen_digits
    try:
        return load_pen_digits(split)
    except FileNotFoundError:
        missing(f"pen-digit data not found at {PEN_DIGITS_DIR}")


def chromium_or_fail(pytest=None):
    """The path of Debian's chromium (see `missing`)."""
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
        missing(f"{CHROMIUM} not found: install Debian's chromium (`make browser`)")
    return CHROMIUM


STATUS = "#views .status"  # the page's status line


def console_problems(page) -> list[str]:
    """The errors (and Gradio's "Too many arguments" warnings) the page's console gets, as they come."""
    problems = []
    page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: problems.append(f"{msg.type}: {msg.text}")
            if msg.type == "error" or "Too many arguments" in msg.text else None)
    return problems


@contextmanager
def watched_page(chromium, url, locale="en-US", requests: list | None = None, **context_options):
    """A page at `url` in a fresh browser context (no cache, no storage), ready to draw; each
    request it makes goes into `requests` when given. On leaving, the context is closed, and no
    error and no dialog may have reached the page."""
    context = chromium.new_context(**{"locale": locale, "viewport": {"width": 1400, "height": 1000}, **context_options})
    if requests is not None:
        context.on("request", lambda request: requests.append(request))
    page = context.new_page()
    problems = console_problems(page)
    page.on("dialog", lambda dialog: problems.append(f"dialog: {dialog.message}") or dialog.dismiss())
    page.goto(url)
    page.wait_for_selector("#canvas canvas")
    try:
        yield page
    finally:
        context.close()
    assert not problems, f"errors in the browser console: {problems}"


def wait_for_answer(page, text):
    """Until the status says `text` and the views have not been redrawn for 400 ms (the last
    answer, not one sent while drawing, is on the page)."""
    page.wait_for_function(f"document.querySelector('{STATUS}').innerText.includes({text!r})", timeout=15_000)
    page.wait_for_function("performance.now() - window.__viewsDrawnAt > 400", timeout=15_000)


def wait_for_attributions(page):
    """Until which rows and pixels mattered have come for the views on the page: their sentence
    above the tabs (and the belief view's redraw) no longer moves the panels under the mouse."""
    page.wait_for_function("window.__attributionShownAt && window.__attributionShownAt.patches > window.__viewsDrawnAt",
                           timeout=10_000)


def in_cell(plot, row, column=0, columns=1):
    """The middle of a cell of a view's plot (28 rows by `columns`), relative to the plot, for
    Playwright's `plot.click(position=...)` or `plot.hover(...)`: these place the mouse where
    the plot is at that moment, once it has stopped moving, so a page coordinate taken earlier
    cannot land a row off when something above the plot moved since."""
    box = plot.bounding_box()
    return {"x": box["width"] * (column + 0.5) / columns, "y": box["height"] * (row + 0.5) / 28}


def draw_on_canvas(page, selector="#canvas canvas", digit="7", steps=6):
    """Draw `digit` with the mouse on the page's canvas; returns when the mouse is released."""
    draw_strokes(page, STROKES[digit], selector, steps)


def draw_strokes(page, strokes, selector="#canvas canvas", steps=6):
    """Draw pen strokes given in a unit box (x right, y down) with the mouse, one press each,
    in the middle 60% of the canvas; returns when the mouse is released after the last one."""
    page.locator(selector).scroll_into_view_if_needed()  # a test may have scrolled the page to a view
    box = page.locator(selector).bounding_box()
    for stroke in strokes:
        pts = [(box["x"] + box["width"] * (0.2 + 0.6 * (0.15 + 0.7 * x)),
                box["y"] + box["height"] * (0.15 + 0.7 * y)) for x, y in stroke]
        page.mouse.move(*pts[0])
        page.mouse.down()
        for p in pts[1:]:
            page.mouse.move(*p, steps=steps)
        page.mouse.up()
