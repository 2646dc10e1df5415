"""Many users at once: N concurrent gradio_client clients send real drawings to the app.

Starts `python -m demo` on 127.0.0.1 (traffic stays on this machine), then for each N runs N
client threads, each sending drawings one after another for a fixed time, and prints, per N,
requests/s, latency p50/p95/p99 (submit to result) and errors. Targets: 0 errors at every N;
p95 <= 300 ms at N = 16 on this 2-core CPU.

    .venv/bin/python -m benchmarks.load [--users 1 4 16 64] [--seconds 20] [--url URL]

--url drives an app that is already running (e.g. under a profiler) instead of starting one;
--fixed-answer starts the app with its prediction replaced by a fixed answer, which measures
what Gradio's request path costs by itself; --no-download leaves any files in the answers
undownloaded (since issue #11 the answer is JSON and has none).
"""
import argparse
import contextlib
import json
import os
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from gradio_client import Client, handle_file

from tests.helpers import random_digit, running_app, save_png


def drawings(folder: Path) -> list:
    """Sketchpad values of real drawings: several digits, sizes, places and brushes."""
    rng = np.random.default_rng(0)
    values = []
    for i, digit in enumerate("7041271024"):
        drawing = random_digit(rng, digit, canvas=(280, 600))
        values.append({"background": None, "layers": [], "composite": handle_file(save_png(folder, drawing, f"d{i}.png"))})
    return values


def cpu_seconds(pid) -> float | None:
    """User + system CPU time of a process so far (Linux /proc), None when unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def run(url: str, users: int, seconds: float, values: list, server_pid=None, download=True) -> dict:
    latencies, errors, lock = [], [], threading.Lock()
    # ssl_verify=False: the app is plain http on loopback, and with verification on, the client
    # builds a TLS context for every request (~80 ms of CPU), which would load this 2-core
    # machine more than the server does.
    clients = [Client(url, verbose=False, ssl_verify=False, download_files=download) for _ in range(users)]
    stop = time.time() + seconds

    def user(client, offset):
        i = offset
        while time.time() < stop:
            start = time.perf_counter()
            try:
                client.predict(values[i % len(values)], api_name="/predict")
                with lock:
                    latencies.append(time.perf_counter() - start)
            except Exception as exc:  # counted, and the user goes on
                with lock:
                    errors.append(f"{type(exc).__name__}: {str(exc)[:100]}")
            i += 1

    began, cpu_before = time.time(), (cpu_seconds(server_pid), cpu_seconds(os.getpid()))
    threads = [threading.Thread(target=user, args=(c, n)) for n, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - began
    server_cpu, client_cpu = (cpu_seconds(pid) - before if before is not None else None
                              for pid, before in zip((server_pid, os.getpid()), cpu_before))
    ms = np.asarray(latencies) * 1000
    per_request = lambda cpu: round(1000 * cpu / max(1, len(ms)), 1) if cpu is not None else None  # noqa: E731
    return {"users": users, "requests": len(ms), "errors": len(errors), "requests_per_s": round(len(ms) / elapsed, 1),
            "p50_ms": round(float(np.percentile(ms, 50)), 1), "p95_ms": round(float(np.percentile(ms, 95)), 1),
            "p99_ms": round(float(np.percentile(ms, 99)), 1), "first_errors": sorted(set(errors))[:3],
            "server_cpu_ms_per_request": per_request(server_cpu), "client_cpu_ms_per_request": per_request(client_cpu)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--users", type=int, nargs="+", default=[1, 4, 16, 64])
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--download", action=argparse.BooleanOptionalAction, default=True,
                   help="clients download any files in the answers (--no-download: URLs only)")
    p.add_argument("--fixed-answer", action="store_true",
                   help="serve the same app with the prediction replaced by a fixed answer: the request path's own cost")
    p.add_argument("--url", default=None, help="an app already running (default: start one on a free port)")
    args = p.parse_args()
    module = "benchmarks.fixed_answer_app" if args.fixed_answer else "demo"
    app = contextlib.nullcontext(argparse.Namespace(url=args.url, pid=None)) if args.url else running_app(module=module)
    with tempfile.TemporaryDirectory() as folder, app as app:
        values = drawings(Path(folder))
        Client(app.url, verbose=False, ssl_verify=False).predict(values[0], api_name="/predict")  # warm up
        for users in args.users:
            print(json.dumps(run(app.url, users, args.seconds, values, app.pid, args.download)), flush=True)


if __name__ == "__main__":
    main()
