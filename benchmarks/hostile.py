"""A hostile afternoon, measured: idle streams, and one abusive client among normal users.

Starts `python -m demo` on 127.0.0.1 (all traffic stays on loopback; other users come from
other loopback addresses, 127.0.0.10 and up, so the server tells clients apart as it would
on a network) and sends drawings as an API client does (the PNG uploaded, then the
`predict` endpoint through Gradio's queue). The page reads its drawings itself (demo/engine),
so the server's work, and an abuser's way in, is the API.

    .venv/bin/python -m benchmarks.hostile idle [--streams 900] [--events 30]
        N connections held open, idle, on each of a few routes (Gradio's development reload
        stream, the queue's data stream, the heartbeat); then a normal page event's latency.
        Target: p50 <= 300 ms on every route.
    .venv/bin/python -m benchmarks.hostile abuse [--users 4] [--seconds 30] [--abusers 16]
        USERS normal API users, first alone (quiet), then with one client (one address, ABUSERS
        sessions) sending drawings at the size cap as fast as it is answered.
        Target: the normal users' p95 with the abuser <= 2 x the quiet p95.
"""
import argparse
import base64
import json
import socket
import threading
import time

import httpx
import numpy as np

from tests.helpers import draw_digit, png_data_url, random_digit, running_app

ROUTES = ["gradio_api/dev/reload", "gradio_api/queue/data?session_hash=idle{n}", "gradio_api/heartbeat/idle{n}"]


def png(image) -> bytes:
    return base64.b64decode(png_data_url(image).split(",", 1)[1])


def random_drawing(rng, canvas=280) -> bytes:
    """A new drawing each time, at the page canvas's size, as a PNG file."""
    return png(random_digit(rng, canvas=canvas))


class Page:
    """One API client: a session, from one loopback address, sending drawings to `predict`."""

    def __init__(self, url, session, source="127.0.0.1"):
        config = httpx.get(url + "config", timeout=30).json()
        self.predict = next(d for d in config["dependencies"] if d.get("api_name") == "predict")
        self.http = httpx.Client(base_url=url, timeout=120, transport=httpx.HTTPTransport(local_address=source))
        self.session = session

    def event(self, drawing: bytes) -> tuple[float, bool]:
        """(seconds from the upload to the completed message, success)."""
        start = time.perf_counter()
        uploaded = self.http.post("gradio_api/upload", files={"files": ("drawing.png", drawing, "image/png")})
        if uploaded.status_code != 200:
            return time.perf_counter() - start, False
        composite = {"path": uploaded.json()[0], "meta": {"_type": "gradio.FileData"}}
        joined = self.http.post("gradio_api/queue/join", json={
            "data": [{"background": None, "layers": [], "composite": composite}, "default"],
            "fn_index": self.predict["id"], "session_hash": self.session, "event_data": None,
            "trigger_id": self.predict["targets"][0][0] if self.predict["targets"] else None})
        if joined.status_code != 200:
            return time.perf_counter() - start, False
        with self.http.stream("GET", "gradio_api/queue/data", params={"session_hash": self.session}) as stream:
            for line in stream.iter_lines():
                if line.startswith("data:") and "process_completed" in line:
                    return time.perf_counter() - start, json.loads(line[5:])["success"]
        return time.perf_counter() - start, False


def percentiles(seconds: list[float]) -> dict:
    ms = np.asarray(seconds) * 1000
    return {"n": len(ms), "p50_ms": round(float(np.percentile(ms, 50)), 1), "p95_ms": round(float(np.percentile(ms, 95)), 1)}


def idle(url, port, streams: int, events: int) -> None:
    rng = np.random.default_rng(0)
    page = Page(url, "measure")
    page.event(random_drawing(rng))  # warm up
    print(json.dumps({"idle_streams": 0, **percentiles([page.event(random_drawing(rng))[0] for _ in range(events)])}), flush=True)
    for route in ROUTES:
        sockets = []
        try:
            for n in range(streams):
                s = socket.create_connection(("127.0.0.1", port), timeout=10)
                s.sendall(f"GET /{route.format(n=n)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
                sockets.append(s)  # never read: an idle stream (or a closed one, where the route is closed)
            time.sleep(2)
            timings = [page.event(random_drawing(rng)) for _ in range(events)]
            print(json.dumps({"idle_streams": streams, "route": route.split("?")[0].replace("{n}", "N"),
                              "failed": sum(not ok for _, ok in timings),
                              **percentiles([t for t, _ in timings])}), flush=True)
        finally:
            for s in sockets:
                s.close()
        time.sleep(2)


def abuse(url, users: int, seconds: float, abusers: int) -> None:
    big = png(draw_digit("7", canvas=4096, pen=0.02))  # at the size cap (4096 px a side)

    def normal_users(stop_at) -> tuple[list, int]:
        timings, failures, lock = [], [0], threading.Lock()

        def user(n):
            rng = np.random.default_rng(1000 + n + int(stop_at))
            page = Page(url, f"user{n}-{int(stop_at)}", source=f"127.0.0.{10 + n}")
            while time.time() < stop_at:
                took, ok = page.event(random_drawing(rng))
                with lock:
                    timings.append(took) if ok else None
                    failures[0] += not ok
        threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=seconds + 120)
        return timings, failures[0]

    quiet, quiet_failures = normal_users(time.time() + seconds)
    quiet_figures = percentiles(quiet)
    print(json.dumps({"phase": "quiet", "users": users, "failed": quiet_failures, **quiet_figures}), flush=True)
    stop_at = time.time() + seconds
    abusive = {"sent": 0, "refused": 0}

    def abuser(n):
        page = Page(url, f"abuser{n}", source="127.0.0.2")
        while time.time() < stop_at:
            _, ok = page.event(big)
            abusive["sent"] += 1
            abusive["refused"] += not ok
    threads = [threading.Thread(target=abuser, args=(n,)) for n in range(abusers)]
    for t in threads:
        t.start()
    time.sleep(1)  # the abuser's requests fill the queue first
    loud, loud_failures = normal_users(stop_at)
    for t in threads:
        t.join(timeout=120)
    result = {"phase": "abused", "users": users, "abusive_sessions": abusers, "abusive_requests": abusive["sent"],
              "abusive_refused_or_failed": abusive["refused"], "failed": loud_failures, **percentiles(loud)}
    result["p95_vs_quiet"] = round(result["p95_ms"] / quiet_figures["p95_ms"], 2)
    print(json.dumps(result), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["idle", "abuse"])
    p.add_argument("--streams", type=int, default=900)
    p.add_argument("--events", type=int, default=30)
    p.add_argument("--users", type=int, default=4)
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--abusers", type=int, default=16)
    args = p.parse_args()
    with running_app("--no-presets") as app:
        if args.mode == "idle":
            idle(app.url, app.port, args.streams, args.events)
        else:
            abuse(app.url, args.users, args.seconds, args.abusers)


if __name__ == "__main__":
    main()
