"""Deploying it: the Hugging Face Space (front matter and the command it runs), the Dockerfile's
steps in a clean venv (no container engine runs here), and replicas behind HAProxy
(`make replicas`): session affinity, a killed replica, and stopping everything.
Every server binds 127.0.0.1 on a free port and is stopped by the test."""
import importlib.util
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from fnmatch import fnmatch
from pathlib import Path

import gradio
import pytest
from gradio_client import Client, handle_file

from demo.guard import MAX_QUEUED_PER_SESSION
from deploy.health import healthy
from deploy.replicas import routes_to, stop
from tests.helpers import (
    ROOT,
    draw_digit,
    draw_on_canvas,
    free_port,
    listening_addresses,
    missing,
    save_png,
)

slow = pytest.mark.slow
DIGITS = "71402"  # synthetic drawings the default model reads right (tests.helpers.STROKES)


# --- what the platform files say ---------------------------------------------------------

def front_matter() -> dict:
    """README.md's YAML front matter (Spaces reads it from the very first line)."""
    import yaml  # a dependency of gradio
    text = (ROOT / "README.md").read_text()
    assert text.startswith("---\n"), "README.md must start with the Space's front matter"
    return yaml.safe_load(text.split("---\n", 2)[1])


def pinned(package: str) -> str:
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if line.startswith(f"{package}=="):
            return line.split("==", 1)[1].strip()
    raise AssertionError(f"{package} is not pinned in requirements.txt")


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def test_readme_front_matter_names_the_space_file_and_the_pinned_gradio():
    meta = front_matter()
    assert meta["sdk"] == "gradio"
    assert str(meta["sdk_version"]) == pinned("gradio") == gradio.__version__
    assert (ROOT / meta["app_file"]).is_file()
    assert meta["title"] and meta["short_description"]
    # The Space's Python is the container's (FROM python:X.Y-slim) and this venv's.
    base = dict(dockerfile())["FROM"]
    assert base == f"python:{meta['python_version']}-slim"
    assert str(meta["python_version"]) == f"{sys.version_info.major}.{sys.version_info.minor}"
    # Spaces take files over 10 MB only through Git LFS: the committed weights need none.
    sizes = {p.name: p.stat().st_size for p in (ROOT / "weights").iterdir()}
    assert sizes and max(sizes.values()) < 10 * 2**20, sizes


def test_dockerfile_runs_the_app_as_a_user_with_a_health_check_on_all_interfaces():
    instructions = dockerfile()
    keywords = [k for k, _ in instructions]
    args = dict(instructions)
    assert keywords[0] == "FROM" and args["FROM"].endswith("-slim")
    user = args["USER"]
    assert user not in {"root", "0"}
    assert keywords.index("USER") > max(i for i, k in enumerate(keywords) if k == "RUN")  # installs ran as root, the app does not
    assert "deploy/health.py" in args["HEALTHCHECK"]
    assert shlex.split(args["CMD"].strip("[]").replace(",", " ")) == ["python", "-m", "demo", "--host", "0.0.0.0"]
    # The weights are baked in, and the build context leaves out what the image never needs.
    copied = " ".join(a for k, a in instructions if k == "COPY")
    assert "weights" in copied and "demo" in copied and "model" in copied
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", ".git", "tests"} <= set(ignored)


# --- running things ----------------------------------------------------------------------

def tool_or_fail(name: str) -> str:
    """The path of a tool; in CI its absence fails the test, elsewhere it skips."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
    if not found:
        missing(f"{name} not found: `make balancer` installs it")
    return found


@contextmanager
def serving(command, port, env=None, cwd=ROOT, timeout=120):
    """Runs `command` (an app on 127.0.0.1:port) until it answers its health check; yields its
    URL, then stops it."""
    log = tempfile.TemporaryFile("w+")
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + timeout
        while not healthy(url, timeout=2):
            if process.poll() is not None or time.time() > deadline:
                log.seek(0)
                raise AssertionError(f"{command} did not serve {url} (exit {process.poll()}): {log.read()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        stop([process])
        log.close()


def drawings(folder) -> list:
    return [{"background": None, "layers": [], "composite": handle_file(save_png(folder, draw_digit(d), f"{d}.png"))}
            for d in DIGITS]


def read_all(client, values) -> list[str]:
    """Sends the drawings from one session, as many at once as the guard lets one session
    queue (more would be refused with 503); the labels, in the order sent."""
    results = []
    for start in range(0, len(values), MAX_QUEUED_PER_SESSION):
        jobs = [client.submit(value, api_name="/predict") for value in values[start:start + MAX_QUEUED_PER_SESSION]]
        results += [job.result(timeout=60) for job in jobs]
    for label, trace, status in results:  # complete: every output came back, the trace with the same answer
        assert trace["label"] == int(label["label"]) and len(trace["probs"]) == 10 and status
    return [result[0]["label"] for result in results]


@slow
def test_the_space_command_serves_the_app_where_the_platform_says(tmp_path):
    """Spaces runs `python <app_file>` and sets GRADIO_SERVER_NAME/PORT (to 0.0.0.0 and 7860
    there; to loopback and a free port here)."""
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port)}
    with serving([sys.executable, front_matter()["app_file"]], port, env=env) as url:
        assert listening_addresses(port) == {"0100007F"}
        client = Client(url, verbose=False)
        assert read_all(client, drawings(tmp_path)[:1]) == ["7"]


def docker_context(destination: Path):
    """The files a `docker build .` sends: the working tree (less what git ignores) minus .dockerignore."""
    patterns = [p.rstrip("/") for p in (ROOT / ".dockerignore").read_text().split() if not p.startswith("#")]
    tracked = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in tracked:
        if any(fnmatch(name, p) or fnmatch(name, p + "/*") or name.startswith(p + "/") for p in patterns):
            continue
        (destination / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, destination / name)


# torch, torchvision and what torch pulls in from PyPI (CUDA libraries, triton): 5.3 GB.
TORCH_PARTS = re.compile(r"(torch|functorch|triton|nvidia|cuda)[-_.]|(torch|functorch|torchgen|triton|nvidia|cuda)$")


def linked_torch(venv: Path):
    """torch and its CUDA libraries linked into a new venv from the test run's own, at the
    versions requirements.txt pins: unpacking their 5.3 GB again took 120 of this test's 140 s,
    and is pip's work, not the Dockerfile's. pip still runs every RUN line as written, finds
    torch installed at the pinned version and installs everything else."""
    ours = Path(importlib.util.find_spec("torch").origin).parent.parent
    [theirs] = list(venv.glob("lib/python*/site-packages"))
    for part in ours.iterdir():
        if TORCH_PARTS.match(part.name):
            (theirs / part.name).symlink_to(part)


@slow
def test_dockerfile_steps_in_a_clean_venv(tmp_path):
    """What `docker build` and `docker run` would do, without a container engine: the build
    context (minus .dockerignore) is COPYied as the Dockerfile says into an empty folder, its pip
    RUN steps install into a new venv (torch from pip's configured index: the PyTorch CPU index
    the Dockerfile names by default is not reachable here; torch itself is linked in, see
    linked_torch), then its CMD serves (on 127.0.0.1, not 0.0.0.0) and its HEALTHCHECK says healthy."""
    context, app, venv = tmp_path / "context", tmp_path / "app", tmp_path / "venv"
    context.mkdir()
    docker_context(context)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    linked_torch(venv)
    env = {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ['PATH']}", "VIRTUAL_ENV": str(venv),
           "TORCH_INDEX": "https://pypi.org/simple"}
    workdir = app
    for keyword, args in dockerfile():
        if keyword == "ARG":
            name, _, default = args.partition("=")
            env.setdefault(name, default)
        elif keyword == "ENV":
            name, _, value = args.partition("=")
            env[name] = value
        elif keyword == "WORKDIR":  # the empty folder `app` stands for it
            workdir.mkdir(parents=True, exist_ok=True)
        elif keyword == "COPY":  # a folder's contents into the target folder; a file into it
            *sources, target = [a for a in args.split() if not a.startswith("--")]
            for source in sources:
                src, dst = context / source, workdir / target
                if src.is_dir():
                    shutil.copytree(src, dst, dirs_exist_ok=True)
                else:
                    dst.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(src, dst / src.name)
        elif keyword == "RUN" and "useradd" in args:
            pass  # creating the image's user: root's business on a real machine
        elif keyword == "RUN":
            subprocess.run(["bash", "-c", args], cwd=workdir, env=env, check=True)
    assert (app / "weights" / "default.pt").is_file() and not (app / "tests").exists()
    cmd = shlex.split(dict(dockerfile())["CMD"].strip("[]").replace(",", " "))
    port = free_port()
    command = [str(venv / "bin" / "python"), *cmd[1:]]
    command[command.index("0.0.0.0")] = "127.0.0.1"
    healthcheck = dict(dockerfile())["HEALTHCHECK"].split("CMD", 1)[1].replace("7860", str(port)).split()
    with serving([*command, "--port", str(port)], port, env=env, cwd=workdir) as url:
        assert subprocess.run([str(venv / "bin" / "python"), *healthcheck[1:]], cwd=workdir).returncode == 0
        assert read_all(Client(url, verbose=False), drawings(tmp_path)[:1]) == ["7"]


class Farm:
    """deploy/replicas.py (or `make replicas`) running: its output lines as they come, and
    every process it started (`pid N` in its lines)."""
    def __init__(self, command, port):
        self.url = f"http://127.0.0.1:{port}/"
        self.lines: list[str] = []
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, start_new_session=True)
        threading.Thread(target=lambda: self.lines.extend(iter(self.process.stdout.readline, "")), daemon=True).start()

    def wait_for(self, pattern, timeout=120) -> re.Match:
        deadline = time.time() + timeout
        while time.time() < deadline:
            for line in list(self.lines):
                if match := re.search(pattern, line):
                    return match
            assert self.process.poll() is None, f"it exited: {''.join(self.lines)[-3000:]}"
            time.sleep(0.2)
        raise AssertionError(f"no line matching {pattern!r} within {timeout}s: {''.join(self.lines)[-3000:]}")

    def pids(self) -> dict[str, int]:
        """Each replica's latest pid by name (r1, r2, ...); the balancer's as 'balancer'."""
        found = {}
        for line in list(self.lines):
            if match := re.search(r"replica (r\d+) (?:restarted )?on \S+ \(pid (\d+)\)", line):
                found[match[1]] = int(match[2])
            elif match := re.search(r"balancer \(HAProxy\) on \S+ \(pid (\d+)\)", line):
                found["balancer"] = int(match[1])
        return found

    def every_pid(self) -> set[int]:
        return {int(pid) for pid in re.findall(r"\(pid (\d+)\)", "".join(self.lines))}


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@contextmanager
def farm_of(replicas: int, command=None):
    tool_or_fail("haproxy")
    port = free_port()
    farm = Farm(command(port) if command else
                [sys.executable, "-m", "deploy.replicas", "--replicas", str(replicas), "--port", str(port)], port)
    try:
        farm.wait_for(r"ready: ")
        yield farm
    finally:
        if farm.process.poll() is None:
            farm.process.send_signal(signal.SIGTERM)
            farm.process.wait(timeout=30)
        leftover = [pid for pid in farm.every_pid() if alive(pid)]
        for pid in leftover:
            os.kill(pid, signal.SIGKILL)
        assert not leftover, f"processes left behind: {leftover}"


def sessions_on_each_replica(url, replicas: int) -> dict[str, Client]:
    """gradio_client sessions through the balancer until one sits on each replica (the
    balancer's cookie, which the client keeps from its first request, says which)."""
    sessions = {}
    for _ in range(10 * replicas):
        client = Client(url, verbose=False)
        sessions.setdefault(client.cookies["replica"], client)
        if len(sessions) == replicas:
            return sessions
    raise AssertionError(f"new sessions all landed on {sorted(sessions)}")


@slow
def test_two_sessions_through_the_balancer_and_a_killed_replica(tmp_path):
    values = drawings(tmp_path)
    with farm_of(2) as farm:
        sessions = sessions_on_each_replica(farm.url, 2)
        # Each session sends all its drawings at once; every answer comes back, complete and in
        # the order sent, from the replica that holds the session's queue.
        for client in sessions.values():
            assert read_all(client, values) == list(DIGITS)

        victim = farm.pids()["r1"]
        os.kill(victim, signal.SIGKILL)
        # The other session goes on being served while r1 is down.
        assert read_all(sessions["r2"], values) == list(DIGITS)
        # r1's session: the balancer sends its requests to r2 and it keeps drawing; at most its
        # first attempt fails, with an HTTP error (502) rather than a hang.
        failures = []
        for _ in range(3):
            try:
                assert read_all(sessions["r1"], values) == list(DIGITS)
                break
            except Exception as exc:  # noqa: BLE001 - recorded and asserted below
                failures.append(exc)
        assert len(failures) <= 1, failures
        # A new session that still carries r1's cookie (a page reload) is served by r2 too.
        moved = Client(farm.url, verbose=False, httpx_kwargs={"cookies": {"replica": "r1"}})
        assert read_all(moved, values) == list(DIGITS)

        # The supervisor starts r1 again, and the balancer's health checks bring it back.
        farm.wait_for(r"replica r1 exited with -9")
        farm.wait_for(r"replica r1 restarted on")
        assert farm.pids()["r1"] != victim
        deadline = time.time() + 120
        while not routes_to(farm.url, "replica", "r1"):
            assert time.time() < deadline, "r1 did not come back"
            time.sleep(0.5)
        assert read_all(Client(farm.url, verbose=False, httpx_kwargs={"cookies": {"replica": "r1"}}), values) == list(DIGITS)


@slow
def test_a_page_whose_replica_is_killed_keeps_drawing_and_loads_models_from_the_other(chromium):
    """A student's page in Chromium, through the balancer: its replica is killed. The page
    reads drawings itself, so the next drawing is read at once; a model it has not loaded yet
    comes from the other replica (HAProxy redispatches the request)."""
    shows = lambda digit: f"document.querySelector('#views .status')?.innerText.includes('It reads a {digit}')"  # noqa: E731
    with farm_of(2) as farm:
        context = chromium.new_context(viewport={"width": 1400, "height": 1000})
        try:
            page = context.new_page()
            page.goto(farm.url)
            page.wait_for_selector("#canvas canvas")
            draw_on_canvas(page, digit="7")
            page.wait_for_function(shows("7"), timeout=15_000)
            replica = {c["name"]: c["value"] for c in context.cookies()}["replica"]
            os.kill(farm.pids()[replica], signal.SIGKILL)
            page.click("#canvas .clear")
            draw_on_canvas(page, digit="4")
            page.wait_for_function(shows("4"), timeout=8_000)
            page.select_option("#views .model", "gru128")  # its weights: from the replica still alive
            page.wait_for_function("document.querySelector('#views .about').innerText.includes('GRU') && "
                                   "window.__engineMs !== undefined", timeout=15_000)
            page.wait_for_function(shows("4"), timeout=15_000)
            assert page.is_hidden("#views .problem")  # the weights came: the replica alive served them
        finally:
            context.close()


@slow
@pytest.mark.parametrize("how", ["SIGTERM to make", "Ctrl-C"])
def test_make_replicas_stops_everything(how):
    make = shutil.which("make") or pytest.fail("make not found")
    command = lambda port: [make, "--no-print-directory", "replicas", "REPLICAS=2", f"PORT={port}"]  # noqa: E731
    with farm_of(2, command) as farm:
        started = farm.every_pid()
        assert {"r1", "r2", "balancer"} <= set(farm.pids()) and all(alive(pid) for pid in started)
        port = int(farm.url.rsplit(":", 1)[1].strip("/"))
        assert listening_addresses(port) == {"0100007F"}  # the balancer: loopback unless HOST says otherwise
        if how == "Ctrl-C":  # the terminal sends SIGINT to its foreground process group
            os.killpg(farm.process.pid, signal.SIGINT)
        else:  # to make alone, as `kill` does
            farm.process.send_signal(signal.SIGTERM)
        farm.process.wait(timeout=30)
        time.sleep(0.5)
        assert not [pid for pid in started if alive(pid)]
        assert not listening_addresses(port)


@slow
def test_a_front_balancer_over_two_machines(tmp_path):
    """Several machines: each runs replicas behind its balancer, and a front balancer
    (`--upstream`) spreads sessions over the machines, each level keeping its own cookie."""
    values = drawings(tmp_path)
    with farm_of(1) as machine_a, farm_of(1) as machine_b:
        upstream = [farm.url.removeprefix("http://").rstrip("/") for farm in (machine_a, machine_b)]
        front = lambda port: [sys.executable, "-m", "deploy.replicas", "--port", str(port), "--upstream", *upstream]  # noqa: E731
        with farm_of(0, front) as farm:
            placed = set()
            for _ in range(8):
                client = Client(farm.url, verbose=False)
                assert read_all(client, values[:2]) == list(DIGITS[:2])
                placed.add((client.cookies["machine"], client.cookies["replica"]))
            assert placed == {("m1", "r1"), ("m2", "r1")}
