"""N replicas of the app behind HAProxy, in the foreground (`make replicas REPLICAS=2 PORT=7860`).

    python -m deploy.replicas [--replicas 2] [--port 7860] [--host 127.0.0.1] [-- APP ARGS]
    python -m deploy.replicas --upstream 10.0.0.2:7860 10.0.0.3:7860 [--port 7860] [--host ...]

Starts N `python -m demo` on free loopback ports, then HAProxy on HOST:PORT with
deploy/haproxy.cfg plus one `server` line per replica. A replica that exits (crashed, killed)
is started again on its port; HAProxy's health checks take it out meanwhile and put it back.
SIGTERM or Ctrl-C stops the balancer, then every replica, and returns: nothing is left behind.
If HAProxy itself exits, everything stops (a balancer that is gone serves nobody).

--upstream runs the balancer alone in front of other balancers (one per machine, each started
with this script): several machines, with the same session affinity one level up.
"""
import argparse
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from deploy.health import HEALTH_PATH

ROOT = Path(__file__).resolve().parent.parent
CONFIG = Path(__file__).with_name("haproxy.cfg")
RESTART_DELAY_S = 1.0  # between a replica's exit and its restart: no busy loop if it cannot start


def say(message: str):
    print(f"[replicas] {message}", flush=True)


def loopback_ports(count: int) -> list[int]:
    """`count` distinct free ports on 127.0.0.1 (all held open until all are chosen)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def die_with_parent():
    """In the child, before exec: the kernel sends it SIGTERM if this supervisor dies, even by
    SIGKILL, so no replica outlives it (Linux prctl PR_SET_PDEATHSIG)."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


def start(command: list[str], **kwargs) -> subprocess.Popen:
    # Its own session: a Ctrl-C in the terminal reaches only this supervisor, which stops the
    # children in order (balancer first).
    return subprocess.Popen(command, cwd=ROOT, start_new_session=True, preexec_fn=die_with_parent, **kwargs)


class Replica:
    def __init__(self, number: int, port: int, app_args: list[str]):
        self.name, self.port = f"r{number}", port
        self.command = [sys.executable, "-m", "demo", "--host", "127.0.0.1", "--port", str(port), *app_args]
        self.process = start(self.command)
        self.exited_at = None
        say(f"replica {self.name} on 127.0.0.1:{port} (pid {self.process.pid})")

    def watch(self):
        """Start it again once it has exited (after RESTART_DELAY_S)."""
        code = self.process.poll()
        if code is None:
            return
        if self.exited_at is None:
            self.exited_at = time.monotonic()
            say(f"replica {self.name} exited with {code}; restarting it")
        elif time.monotonic() - self.exited_at >= RESTART_DELAY_S:
            self.process, self.exited_at = start(self.command), None
            say(f"replica {self.name} restarted on 127.0.0.1:{self.port} (pid {self.process.pid})")


def haproxy_binary() -> str:
    # Debian installs it in /usr/sbin, which a non-root PATH may not hold.
    found = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin")
    if not found:
        sys.exit("error: haproxy not found: install it (`make balancer`, or apt-get install haproxy)")
    return found


def balancer_config(servers: list[tuple[str, str]]) -> Path:
    """deploy/haproxy.cfg plus one `server NAME ADDRESS` line per upstream, in a temp file."""
    lines = [f"    server {name} {address} cookie {name}" for name, address in servers]
    handle, path = tempfile.mkstemp(prefix="haproxy-", suffix=".cfg")
    with os.fdopen(handle, "w") as out:
        out.write(CONFIG.read_text() + "\n".join(lines) + "\n")
    return Path(path)


def routes_to(balancer_url: str, cookie: str, server: str) -> bool:
    """Does the balancer send a request carrying `cookie`=`server` to that server? It does
    once its health checks have found it up; otherwise it picks another and sets a new cookie."""
    request = urllib.request.Request(balancer_url.rstrip("/") + HEALTH_PATH, headers={"Cookie": f"{cookie}={server}"})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            cookies_set = response.headers.get_all("Set-Cookie") or []
            return response.status == 200 and not any(c.startswith(f"{cookie}=") for c in cookies_set)
    except OSError:
        return False


def stop(processes: list[subprocess.Popen]):
    """SIGTERM to each, in order, then wait; SIGKILL any still running after 10 s."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m deploy.replicas", description=__doc__.split("\n\n")[0])
    p.add_argument("--replicas", type=int, default=2, help="app processes on this machine")
    p.add_argument("--port", type=int, default=7860, help="the balancer's port")
    p.add_argument("--host", default="127.0.0.1", help="the balancer's address (0.0.0.0 exposes it to your network)")
    p.add_argument("--upstream", nargs="+", metavar="HOST:PORT", default=None,
                   help="balance these (other machines' balancers) instead of starting replicas here")
    p.add_argument("app_args", nargs="*", help="after --: passed to every `python -m demo`")
    args = p.parse_args(argv)
    if args.replicas < 1 and not args.upstream:
        sys.exit("error: --replicas must be at least 1")

    stopping = []
    def on_signal(signum, frame):  # noqa: E306 - the flag is the main loop's to read
        stopping.append(signum)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    binary = haproxy_binary()
    replicas = [] if args.upstream else [Replica(n + 1, port, args.app_args)
                                         for n, port in enumerate(loopback_ports(args.replicas))]
    servers = ([(f"m{n + 1}", address) for n, address in enumerate(args.upstream)] if args.upstream
               else [(r.name, f"127.0.0.1:{r.port}") for r in replicas])
    config = balancer_config(servers)
    # A front balancer uses its own cookie name, so that it and the machines' balancers each
    # keep their own.
    cookie = "machine" if args.upstream else "replica"
    env = {**os.environ, "BALANCER_BIND": f"{args.host}:{args.port}", "HEALTH_PATH": HEALTH_PATH,
           "AFFINITY_COOKIE": cookie}
    balancer = start([binary, "-db", "-f", str(config)], env=env)
    url = f"http://{args.host}:{args.port}/"
    say(f"balancer (HAProxy) on {url} (pid {balancer.pid})")
    local_url = f"http://{'127.0.0.1' if args.host in ('0.0.0.0', '') else args.host}:{args.port}/"
    ready = False
    try:
        while not stopping and balancer.poll() is None:
            for replica in replicas:
                replica.watch()
            # Ready once the balancer routes to every server (its health checks found them up).
            if not ready and all(routes_to(local_url, cookie, name) for name, _ in servers):
                ready = True
                say(f"ready: {url} balances {', '.join(address for _, address in servers)}")
            time.sleep(0.2)
        if balancer.poll() is not None:
            say(f"the balancer exited with {balancer.returncode}; stopping the replicas")
    finally:
        stop([balancer] + [r.process for r in replicas])
        config.unlink(missing_ok=True)
        say("stopped")
    return 0 if stopping else 1


if __name__ == "__main__":
    sys.exit(main())
