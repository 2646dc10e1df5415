"""A class arrives: N students open the page within a few seconds (../shared/tools/class_arrives.py).

Starts `python -m demo` (or, with --replicas N, N of them behind HAProxy, as `make replicas`),
records the page's requests once in headless Chromium and replays them for --students students
from their own loopback addresses, spread over --spread seconds (all of it class_arrives.py's
own code), then prints one JSON line: requests and KB per page, load time p50/p95/max, errors,
the server's CPU per student (app processes and balancer; also less what the idle server burns
over the same time, sampled just before), the replaying client's own CPU per student (on a small
machine the client, not the server, can set the load time) and the load average before and
after. Targets (issue #20): 0 errors, p95 <= 2 s and <= 40 ms of server CPU per student on one
process; p95 <= 1.5 s through two replicas.

    .venv/bin/python -m benchmarks.page_load [--students 100] [--spread 10] [--replicas 2]
    .venv/bin/python -m benchmarks.page_load --url URL --server-pid PID [PID ...]
"""
import argparse
import asyncio
import contextlib
import importlib.util
import json
import multiprocessing
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from deploy.replicas import stop
from tests.helpers import ROOT, free_port, running_app

TOOL = ROOT.parent / "shared" / "tools" / "class_arrives.py"
IDLE_S = 5.0  # seconds the idle server's CPU is sampled before the class arrives


def class_arrives():
    spec = importlib.util.spec_from_file_location("class_arrives", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def replicas(count: int, timeout: float = 180):
    """`python -m deploy.replicas --replicas COUNT` on a free port; yields (url, pids of the
    replicas and the balancer) once it says it is ready."""
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="replicas-", suffix=".log")[1])
    with open(log, "w") as out:  # a file, not a pipe: the replicas write to it too, and nobody reads a pipe later
        proc = subprocess.Popen([sys.executable, "-m", "deploy.replicas", "--replicas", str(count), "--port", str(port)],
                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + timeout
        while "ready:" not in log.read_text():
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"the replicas did not get ready: {log.read_text()}")
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/", [int(pid) for pid in re.findall(r"\(pid (\d+)\)", log.read_text())]
    finally:
        stop([proc])
        log.unlink(missing_ok=True)


@contextlib.contextmanager
def one_app():
    with running_app() as app:
        yield app.url, [app.pid]


def replay_share(urls: list[str], students: int, spread: float, processes: int, share: int) -> list:
    """Students share, share + processes, ... of the class, each exactly as class_arrives.py's
    `run` replays it (its own address and arrival time), in this process."""
    tool, out = class_arrives(), []

    async def some():
        await asyncio.gather(*(tool.student(k, urls, spread, out) for k in range(share, students, processes)))
    asyncio.run(some())
    return out


def replay(urls: list[str], students: int, spread: float, processes: int) -> tuple[list, float]:
    """(each student's (ms, errors, bytes), the replaying client's CPU seconds): the class split
    over `processes` client processes, so that on a small machine one Python process's CPU
    (about 140 ms per student here) is not what the load time measures."""
    start = resource.getrusage(resource.RUSAGE_CHILDREN)
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        shares = pool.starmap(replay_share, [(urls, students, spread, processes, share) for share in range(processes)])
    end = resource.getrusage(resource.RUSAGE_CHILDREN)
    return [r for share in shares for r in share], (end.ru_utime + end.ru_stime) - (start.ru_utime + start.ru_stime)


def measure(url: str, pids: list[int], students: int, spread: float, processes: int = 1) -> dict:
    tool = class_arrives()
    seen = tool.page_requests(url)
    urls = [url] + [u for u in seen if u.rstrip("/") + "/" != url]
    idle_from = tool.cpu_seconds(pids)
    time.sleep(IDLE_S)  # what the server burns with nobody there (Gradio's queue polls every 1 ms)
    idle_cpu_per_s = (tool.cpu_seconds(pids) - idle_from) / IDLE_S
    load_before = float(open("/proc/loadavg").read().split()[0])
    cpu_before, start = tool.cpu_seconds(pids), time.perf_counter()
    results, client_cpu = replay(urls, students, spread, processes)
    server_cpu = tool.cpu_seconds(pids) - cpu_before
    idle_share = idle_cpu_per_s * (time.perf_counter() - start)
    ms = sorted(r[0] for r in results)
    pick = lambda q: round(ms[min(len(ms) - 1, int(q * len(ms)))])  # noqa: E731 - class_arrives.py's percentile
    return {"students": students, "spread_s": spread, "requests_per_page": len(urls),
            "kb_per_page": round(sum(seen.values()) / 1024),
            "load_ms_p50": pick(0.5), "load_ms_p95": pick(0.95), "load_ms_max": pick(1.0),
            "errors": sum(r[1] for r in results), "server_cpu_ms_per_student": round(1000 * server_cpu / students, 1),
            "server_idle_cpu_ms_per_s": round(1000 * idle_cpu_per_s, 1),
            "server_cpu_ms_per_student_less_idle": round(1000 * (server_cpu - idle_share) / students, 1),
            "client_processes": processes, "client_cpu_ms_per_student": round(1000 * client_cpu / students, 1),
            "loadavg_before": load_before, "loadavg_after": float(open("/proc/loadavg").read().split()[0])}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--students", type=int, default=100)
    p.add_argument("--spread", type=float, default=10.0, help="seconds over which the students arrive")
    p.add_argument("--replicas", type=int, default=0, help="N app processes behind HAProxy (deploy/replicas.py)")
    p.add_argument("--url", default=None, help="an app already running")
    p.add_argument("--server-pid", type=int, nargs="*", default=[], help="with --url: its processes, for their CPU")
    p.add_argument("--client-processes", type=int, default=1,
                   help="processes replaying the class (each student's requests stay in one)")
    args = p.parse_args()
    if args.url:
        running = contextlib.nullcontext((args.url.rstrip("/") + "/", args.server_pid))
    elif args.replicas:
        running = replicas(args.replicas)
    else:
        running = one_app()
    with running as (url, pids):
        print(json.dumps(measure(url, pids, args.students, args.spread, args.client_processes)), flush=True)


if __name__ == "__main__":
    main()
