"""Soak: a public app for many minutes, its memory and its disk.

Starts `python -m demo --keep-files K` on 127.0.0.1 with a cache folder of its own, then
USERS gradio_client users each send drawings one after another, every drawing a new one
(random digit, size, place and pen: nothing repeats, as with real users), for MINUTES.
Every 10 s it samples the server's RSS and its cache folder (files, bytes, oldest file).
Prints one JSON line per sample and a summary. Targets (issue #15): 0 errors; RSS growth
after the first minute <= 100 MB; no file in the cache older than 2 x keep-files.

    .venv/bin/python -m benchmarks.soak [--minutes 10] [--users 8] [--keep-files 60]
"""
import argparse
import json
import os
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from gradio_client import Client, handle_file

from benchmarks.load import cpu_seconds
from demo import cache
from tests.helpers import random_digit, running_app, save_png

MB = 2**20


def rss_mb(pid) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cache_state(folder: Path) -> dict:
    """Files, megabytes and the oldest file's age in `folder` (os.walk: the sweeper may delete
    a folder while we walk it)."""
    files, size, oldest, now = 0, 0, 0.0, time.time()
    for root, _, names in os.walk(folder):
        for name in names:
            try:
                stat = os.lstat(os.path.join(root, name))
            except OSError:
                continue  # deleted while we looked
            files, size, oldest = files + 1, size + stat.st_size, max(oldest, now - stat.st_mtime)
    return {"files": files, "mb": round(size / MB, 1), "oldest_s": round(oldest)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--minutes", type=float, default=10)
    p.add_argument("--users", type=int, default=8)
    p.add_argument("--keep-files", type=int, default=60)
    args = p.parse_args()
    stop_at = time.time() + 60 * args.minutes
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work) / "cache"
        os.environ["GRADIO_TEMP_DIR"] = str(folder)  # the app's cache, watched here (the app inherits it)
        drawings, downloads = Path(work) / "drawings", Path(work) / "downloads"
        drawings.mkdir()
        with running_app("--keep-files", str(args.keep_files)) as app:
            latencies, errors, lock = [], [], threading.Lock()

            def user(n):
                rng = np.random.default_rng(n)
                # Users fetch the pictures, as the page does, into a folder of this benchmark's.
                client = Client(app.url, verbose=False, ssl_verify=False, download_files=str(downloads / str(n)))
                i = 0
                while time.time() < stop_at:
                    image = random_digit(rng, canvas=(280, 500))
                    path = save_png(drawings, image, f"u{n}-{i % 4}.png")  # a few per user on disk at a time
                    start = time.perf_counter()
                    try:
                        client.predict({"composite": handle_file(path)}, api_name="/predict")
                        with lock:
                            latencies.append(time.perf_counter() - start)
                    except Exception as exc:  # noqa: BLE001 -- counted, and the user goes on
                        with lock:
                            errors.append(f"{type(exc).__name__}: {str(exc)[:120]}")
                    i += 1

            threads = [threading.Thread(target=user, args=(n,), daemon=True) for n in range(args.users)]
            began, cpu_before = time.time(), cpu_seconds(app.pid)
            for t in threads:
                t.start()
            samples = []
            while time.time() < stop_at and Path(f"/proc/{app.pid}").exists():
                time.sleep(min(10, max(0.1, stop_at - time.time())))
                # The users' copies (only the server's disk is measured): what is a few seconds old.
                cache.sweep(downloads, keep_s=5)
                try:
                    sample = {"t_s": round(time.time() - began), "requests": len(latencies), "errors": len(errors),
                              "rss_mb": round(rss_mb(app.pid)), **cache_state(folder)}
                except FileNotFoundError:  # the server is gone: said below
                    break
                samples.append(sample)
                print(json.dumps(sample), flush=True)
            if not Path(f"/proc/{app.pid}").exists():
                print(f"the server exited during the soak; its log ends:\n{app.output()[-3000:]}", flush=True)
                os._exit(1)  # the users' clients wait on a server that is gone: do not wait for them
            for t in threads:
                t.join(timeout=60)
            elapsed = time.time() - began
            server_cpu = cpu_seconds(app.pid) - cpu_before
            after_first_minute = [s["rss_mb"] for s in samples if s["t_s"] >= 60]
            ms = np.asarray(latencies) * 1000
            print(json.dumps({
                "minutes": args.minutes, "users": args.users, "keep_files_s": args.keep_files,
                "requests": len(ms), "errors": len(errors), "first_errors": sorted(set(errors))[:3],
                "requests_per_s": round(len(ms) / elapsed, 1),
                "p50_ms": round(float(np.percentile(ms, 50)), 1), "p95_ms": round(float(np.percentile(ms, 95)), 1),
                "server_cpu_share": round(server_cpu / elapsed, 2),
                "rss_mb_at_1_min": after_first_minute[0] if after_first_minute else None,
                "rss_mb_max_after_1_min": max(after_first_minute, default=None),
                "rss_growth_after_1_min_mb": (max(after_first_minute) - after_first_minute[0]) if after_first_minute else None,
                "cache_files_max": max(s["files"] for s in samples), "cache_mb_max": max(s["mb"] for s in samples),
                "cache_oldest_file_s_max": max(s["oldest_s"] for s in samples),
                "files_older_than_2x_keep_at_any_sample": any(s["oldest_s"] > 2 * args.keep_files for s in samples),
                "load_average_1min_at_end": round(os.getloadavg()[0], 2),
            }), flush=True)


if __name__ == "__main__":
    main()
