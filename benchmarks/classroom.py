"""A classroom on one shared link: N students drawing real pen digits on the page at once.

Each simulated student does what the page's JavaScript does in a browser (demo/canvas.js
and Gradio's front end), over HTTP on loopback:
- real pen digits (UJI Pen Characters, ../shared/data/pen-digits) are replayed stroke by
  stroke on a 280 px canvas at a steady pen speed, a pointer move every 16 ms (60 Hz);
- while the pen is down the canvas sends its PNG data URL at most every 60 ms, and once
  more at stroke end, through the page's own `draw` event (POST /gradio_api/queue/join
  with its fn_index and trigger id, then the session's event stream
  /gradio_api/queue/data);
- one request in flight per student: a send while one is in flight replaces the waiting
  one (the event's trigger_mode "always_last"), submitted when the answer arrives;
- every file URL in an answer is downloaded, as the browser loads the pictures;
- after a digit the student looks for 0.6 s, clears (which sends an empty value) and
  draws the next.

Printed per N, one JSON line: stroke end -> final answer p50/p95 (the first answer computed
from a drawing that includes the whole stroke, its files downloaded), answers per second
each student sees while the pen is down (median over students, and the lowest), errors,
and the server's CPU ms per event (/proc, when the server's pid is known).
Targets (issue #11): 32 students 0 errors, p95 <= 250 ms, >= 6 answers/s each while
drawing; 100 students 0 errors, p95 <= 1 s.

    .venv/bin/python -m benchmarks.classroom [--students 1 8 32 100] [--seconds 20]
        [--url http://127.0.0.1:7860/ [--server-pid PID [PID ...]]]

Without --url it starts `python -m demo` on 127.0.0.1 at a free port (and stops it).
"""
import argparse
import asyncio
import contextlib
import json
import os
import random
import time
import uuid
from dataclasses import dataclass, field

import httpx
import numpy as np
from PIL import Image, ImageDraw

from benchmarks.load import cpu_seconds
from tests.helpers import ROOT, png_data_url, running_app

UJI = ROOT.parent / "shared" / "data" / "pen-digits" / "uji" / "ujipenchars2.json"
CANVAS = 280  # the page's canvas, in its own pixels
PEN = 18  # the page's default brush width
PEN_SPEED = 600  # canvas px per second: a 7 of 60% of the canvas takes about 0.7 s
MOVE_EVERY_S = 0.016  # pointermove events at 60 Hz
SEND_EVERY_S = 0.060  # the canvas's throttle while drawing
PAUSE_BETWEEN_STROKES_S = 0.15
LOOK_AT_ANSWER_S = 0.6
AFTER_CLEAR_S = 0.3


@dataclass
class Digit:
    """A pen digit replayed on the canvas: for each stroke, its frames (PNG data URLs) at
    each pointer move, drawn progressively."""
    label: str
    strokes: list = field(default_factory=list)  # [[data URL after move k]]


def replayed(label: str, sample, rng) -> Digit:
    """One UJI sample placed on the canvas as a student would draw it (50-80% of the
    height, somewhere near the middle), resampled to the pointer moves of a steady pen."""
    points = np.concatenate([np.asarray(s, float) for s in sample])
    lo, hi = points.min(0), points.max(0)
    size = rng.uniform(0.5, 0.8) * CANVAS
    scale = size / max(hi[1] - lo[1], (hi[0] - lo[0]) or 1, 1)
    centre = np.array([rng.uniform(0.4, 0.6), rng.uniform(0.4, 0.6)]) * CANVAS
    image = Image.new("RGBA", (CANVAS, CANVAS), "white")
    draw = ImageDraw.Draw(image)
    digit = Digit(label)
    for stroke in sample:
        xy = (np.asarray(stroke, float) - (lo + hi) / 2) * scale + centre
        lengths = np.r_[0, np.cumsum(np.linalg.norm(np.diff(xy, axis=0), axis=1))]
        steps = max(1, int(np.ceil(lengths[-1] / PEN_SPEED / MOVE_EVERY_S)))
        at = np.linspace(0, lengths[-1], steps + 1)  # where the pen is at each move
        moves = np.stack([np.interp(at, lengths, xy[:, 0]), np.interp(at, lengths, xy[:, 1])], 1)
        frames, last = [], moves[0]
        for p in moves:  # the page draws a segment per move, with a dot at pointerdown
            draw.line([tuple(last), tuple(p + (0.01 if p is moves[0] else 0))], fill="black", width=PEN)
            r = PEN / 2
            draw.ellipse([p[0] - r, p[1] - r, p[0] + r, p[1] + r], fill="black")  # round caps and joins
            last = p
            frames.append(png_data_url(image))
        digit.strokes.append(frames)
    return digit


def pen_digits(count: int, seed=0) -> list[Digit]:
    """`count` real pen digits, all ten labels in turn, from different writers."""
    raw = json.loads(UJI.read_text())["rawData"]
    rng = random.Random(seed)
    return [replayed(str(i % 10), rng.choice(raw[str(i % 10)]), rng) for i in range(count)]


class Page:
    """What the page's front end needs to send its `draw` event: read from /config."""

    def __init__(self, url: str):
        self.url = url.rstrip("/") + "/"
        config = httpx.get(self.url + "config", timeout=30).json()
        self.api = self.url + config.get("api_prefix", "/gradio_api").strip("/") + "/"
        draw = next(d for d in config["dependencies"] if d.get("api_name") == "draw")
        self.fn_index, self.trigger_id = draw["id"], draw["targets"][0][0]
        values = {c["id"]: c.get("props", {}).get("value") for c in config["components"]}
        self.other_inputs = [values.get(i) for i in draw["inputs"][1:]]  # the model pickers as the page starts

    def payload(self, drawing: str, session: str) -> dict:
        return {"data": [drawing, *self.other_inputs], "event_data": {}, "fn_index": self.fn_index,
                "trigger_id": self.trigger_id, "session_hash": session}


def file_urls(value) -> list[str]:
    """Every file URL in an answer (the browser loads each)."""
    if isinstance(value, dict):
        own = [value["url"]] if isinstance(value.get("url"), str) else []
        return own + [u for v in value.values() if isinstance(v, (dict, list)) for u in file_urls(v)]
    if isinstance(value, list):
        return [u for v in value for u in file_urls(v)]
    return []


class Student:
    """One browser tab: sends as the canvas does, one request in flight, the latest waiting."""

    def __init__(self, page: Page, http: httpx.AsyncClient, digits: list[Digit], rng: random.Random):
        self.page, self.http, self.digits, self.rng = page, http, digits, rng
        self.session = uuid.uuid4().hex[:11]
        self.waiting = None  # (drawing, time it was drawn) to send when the answer comes
        self.in_flight = None  # asyncio.Task of the request in flight
        self.stroke_ends = []  # [stroke end time, answered time or None]
        self.answers = []  # times answers arrived
        self.pen_down = []  # (start, end) of each stroke
        self.errors = []
        self.events = 0

    def send(self, drawing: str, drawn_at: float):
        if self.in_flight is None:
            self.in_flight = asyncio.create_task(self.request(drawing, drawn_at))
        else:
            self.waiting = (drawing, drawn_at)

    async def request(self, drawing: str, drawn_at: float):
        try:
            await self.call(drawing)
            answered = time.perf_counter()
            self.answers.append(answered)
            for end in self.stroke_ends:
                if end[1] is None and end[0] <= drawn_at:
                    end[1] = answered
        except Exception as exc:  # counted; the student goes on drawing
            self.errors.append(f"{type(exc).__name__}: {str(exc)[:120]}")
        self.events += 1
        self.in_flight = None
        if self.waiting:
            (drawing, drawn_at), self.waiting = self.waiting, None
            self.send(drawing, drawn_at)

    async def call(self, drawing: str):
        """The `draw` event through Gradio's queue, as the front end makes it, plus its files."""
        joined = await self.http.post(self.page.api + "queue/join", json=self.page.payload(drawing, self.session))
        joined.raise_for_status()
        event_id = joined.json()["event_id"]
        output = None
        async with self.http.stream("GET", self.page.api + "queue/data", params={"session_hash": self.session}) as stream:
            stream.raise_for_status()
            async for line in stream.aiter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed" and message.get("event_id") == event_id:
                    if not message.get("success"):
                        raise RuntimeError(f"event failed: {str(message.get('output'))[:120]}")
                    output = message["output"]
                if message.get("msg") in ("close_stream", "unexpected_error") or output is not None:
                    break
        if output is None:
            raise RuntimeError("the event stream ended without an answer")
        urls = file_urls(output.get("data"))
        for response in await asyncio.gather(*(self.http.get(u) for u in urls)):
            response.raise_for_status()
            await response.aread()

    async def draw(self, stop: float):
        await asyncio.sleep(self.rng.uniform(0, 1))  # students do not start in step
        i = self.rng.randrange(len(self.digits))
        while time.perf_counter() < stop:
            for frames in self.digits[i % len(self.digits)].strokes:
                await self.stroke(frames)
                await asyncio.sleep(PAUSE_BETWEEN_STROKES_S)
            await asyncio.sleep(LOOK_AT_ANSWER_S)
            self.send("", time.perf_counter())  # Clear sends the empty canvas
            await asyncio.sleep(AFTER_CLEAR_S)
            i += 1
        while self.in_flight:  # the last answers
            await self.in_flight

    async def stroke(self, frames: list[str]):
        start = time.perf_counter()
        last_sent, timer, latest = -1.0, None, [0]
        for k, frame in enumerate(frames):
            await asyncio.sleep(max(0.0, start + k * MOVE_EVERY_S - time.perf_counter()))
            now = time.perf_counter()
            if now - last_sent >= SEND_EVERY_S:
                if timer:
                    timer.cancel()
                    timer = None
                last_sent = now
                self.send(frame, now)
            elif timer is None:  # sendSoon: once the 60 ms are up, the canvas as it is then
                def later(k=k):
                    nonlocal last_sent, timer
                    timer, last_sent = None, time.perf_counter()
                    self.send(frames[latest[0]], last_sent)
                timer = asyncio.get_running_loop().call_later(SEND_EVERY_S - (now - last_sent), later)
            latest[0] = k
        if timer:
            timer.cancel()
        end = time.perf_counter()
        self.pen_down.append((start, end))
        self.stroke_ends.append([end, None])
        self.send(frames[-1], end)  # the finished stroke, at once

    def answers_per_s_while_drawing(self) -> float:
        down = sum(b - a for a, b in self.pen_down)
        during = sum(any(a <= t <= b for a, b in self.pen_down) for t in self.answers)
        return during / down if down else 0.0


async def classroom(page: Page, students: int, seconds: float, digits: list[Digit]) -> list[Student]:
    # One HTTP client (connections and cookie jar) per student, as one browser each: behind a
    # balancer that pins a session by cookie (deploy/), students spread over the replicas.
    async with contextlib.AsyncExitStack() as stack:
        rng = random.Random(students)
        class_ = [Student(page, await stack.enter_async_context(httpx.AsyncClient(timeout=httpx.Timeout(60.0))),
                          digits, random.Random(rng.random())) for _ in range(students)]
        stop = time.perf_counter() + seconds
        await asyncio.wait_for(asyncio.gather(*(s.draw(stop) for s in class_)), timeout=seconds + 120)
    return class_


def total_cpu(pids) -> float | None:
    """CPU seconds of all these processes together (the app, its replicas, the balancer)."""
    times = [cpu_seconds(pid) for pid in pids or []]
    return sum(times) if times and None not in times else None


def measure(page: Page, students: int, seconds: float, digits: list[Digit], server_pids=()) -> dict:
    cpu_before, client_before = total_cpu(server_pids), cpu_seconds(os.getpid())
    class_ = asyncio.run(classroom(page, students, seconds, digits))
    cpu_after = total_cpu(server_pids)
    server_cpu = cpu_after - cpu_before if cpu_before is not None and cpu_after is not None else None
    client_cpu = cpu_seconds(os.getpid()) - client_before
    latencies = [1000 * (answered - end) for s in class_ for end, answered in s.stroke_ends if answered]
    unanswered = sum(answered is None for s in class_ for _, answered in s.stroke_ends)
    rates = sorted(s.answers_per_s_while_drawing() for s in class_)
    events = sum(s.events for s in class_)
    errors = [e for s in class_ for e in s.errors]
    ms = np.asarray(latencies or [float("nan")])
    return {"students": students, "strokes": len(latencies), "unanswered_strokes": unanswered,
            "stroke_end_to_answer_ms": {"p50": round(float(np.percentile(ms, 50)), 1),
                                        "p95": round(float(np.percentile(ms, 95)), 1),
                                        "max": round(float(ms.max()), 1)},
            "answers_per_s_while_drawing": {"median": round(rates[len(rates) // 2], 1), "lowest": round(rates[0], 1)},
            "events": events, "errors": len(errors), "first_errors": sorted(set(errors))[:3],
            "server_cpu_ms_per_event": round(1000 * server_cpu / max(1, events), 1) if server_cpu is not None else None,
            "client_cpu_ms_per_event": round(1000 * client_cpu / max(1, events), 1)}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--students", type=int, nargs="+", default=[1, 8, 32, 100])
    p.add_argument("--seconds", type=float, default=20, help="drawing time per class size")
    p.add_argument("--digits", type=int, default=30, help="distinct pen digits to replay")
    p.add_argument("--url", default=None, help="an app already running (e.g. behind a load balancer)")
    p.add_argument("--server-pid", type=int, nargs="+", default=None,
                   help="with --url: the server's pids (replicas, balancer), for their CPU time")
    args = p.parse_args()
    digits = pen_digits(args.digits)
    running = (contextlib.nullcontext(argparse.Namespace(url=args.url, pid=None)) if args.url
               else running_app())
    with running as app:
        page = Page(app.url)
        measure(page, 1, 2, digits)  # warm up
        pids = args.server_pid if args.url else [app.pid]
        for students in args.students:
            print(json.dumps(measure(page, students, args.seconds, digits, pids)), flush=True)


if __name__ == "__main__":
    main()
