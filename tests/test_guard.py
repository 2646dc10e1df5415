"""A hostile afternoon, on loopback: memory, disk, routes, logins, the queue and logs.

Each test here failed on the app before demo.guard and demo.cache (issue #15); the
attacks are the ones measured there, scaled down to what a test can afford.
"""
import io
import json
import os
import platform
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from gradio_client import Client, handle_file

from demo import cache, guard
from model.preprocess import READ_SIDE, _read_image
from tests.helpers import draw_digit, running_app, save_png

pytestmark = pytest.mark.server  # see pyproject.toml's markers

MB = 2**20


def rss(pid) -> tuple[int, int]:
    """(current, peak) resident memory of a process, in bytes (Linux /proc)."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]) * 1024, int(fields["VmHWM"].split()[0]) * 1024


def reset_peak(pid):
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # the peak (VmHWM) restarts from the current RSS


@pytest.fixture(scope="module")
def server(app_without_presets):
    return app_without_presets


@pytest.fixture(scope="module")
def seven(tmp_path_factory):
    return save_png(tmp_path_factory.mktemp("drawings"), draw_digit("7"), "seven.png")


def white_png(folder, side=4096) -> str:
    """A blank side x side PNG: ~25 kB on disk, side*side*4 bytes once decoded."""
    return save_png(folder, np.full((side, side, 3), 255, np.uint8), f"white{side}.png")


# Memory: no single request raises the server's RSS by more than 200 MB ---------------------

def test_forty_layers_of_one_big_upload_are_refused_before_decoding(server, tmp_path, seven):
    client = Client(server.url, verbose=False)
    client.predict({"composite": handle_file(seven)}, api_name="/predict")  # warm up
    big = handle_file(white_png(tmp_path))
    reset_peak(server.pid)
    before, _ = rss(server.pid)
    with pytest.raises(Exception, match="40 layers; at most 4"):
        client.predict({"background": None, "layers": [big] * 40, "composite": None}, api_name="/predict")
    assert rss(server.pid)[1] - before < 200 * MB
    # Four layers at the size cap are read, shrunk as they are decoded.
    reset_peak(server.pid)
    before, _ = rss(server.pid)
    *_, status = client.predict({"background": big, "layers": [big] * 4, "composite": None}, api_name="/predict")
    assert "Draw a digit" in status  # all white: nothing drawn
    assert rss(server.pid)[1] - before < 200 * MB


def test_a_drawing_at_the_size_cap_is_read_shrunk(tmp_path):
    path = save_png(tmp_path, draw_digit("7", canvas=4000, pen=0.02), "big.png")
    assert max(_read_image(path).shape[:2]) <= READ_SIDE


def test_component_server_is_closed(server):
    """accept_blobs there grew a list to any index a client named (index 1e8: +763 MB)."""
    before, _ = rss(server.pid)
    config = httpx.get(server.url + "config", timeout=10).json()
    sketchpad = next(c["id"] for c in config["components"] if c["type"] in ("sketchpad", "imageeditor"))
    response = httpx.post(server.url + "gradio_api/component_server", timeout=30, data={
        "session_hash": "attacker", "component_id": str(sketchpad), "fn_name": "accept_blobs",
        "type": "layer", "index": "100000000", "id": "x"}, files={"files": ("blob", b"x")})
    assert response.status_code == 404
    assert rss(server.pid)[0] - before < 200 * MB


# Routes and headers ------------------------------------------------------------------------

def test_request_bodies_are_limited_on_every_route(server):
    body = b"{" + b" " * (guard.MAX_BODY + MB) + b"}"
    for route in ("gradio_api/queue/join", "gradio_api/upload", "gradio_api/run/predict", "login"):
        response = httpx.post(server.url + route, content=body, timeout=30,
                              headers={"content-type": "application/json"})
        assert response.status_code == 413, route
    # A streamed body has no Content-Length: it is counted as it arrives.
    chunks = (b" " * MB for _ in range(guard.MAX_BODY // MB + 2))
    response = httpx.post(server.url + "gradio_api/queue/join", content=chunks, timeout=30)
    assert response.status_code == 413
    assert httpx.get(server.url, timeout=10).status_code == 200  # still serving


def test_development_routes_are_closed(server):
    with httpx.stream("GET", server.url + "gradio_api/dev/reload", timeout=10) as response:
        assert response.status_code == 404


def test_every_response_has_nosniff_and_a_content_security_policy(server):
    for route in ("", "config", "gradio_api/info", "no-such-page"):
        headers = httpx.get(server.url + route, timeout=10).headers
        assert headers["x-content-type-options"] == "nosniff", route
        policy = headers["content-security-policy"]
        assert "script-src 'self'" in policy and "object-src 'none'" in policy
        assert "frame-ancestors 'self' https://huggingface.co https://*.hf.space" in policy


def test_the_page_loads_under_its_content_security_policy(server, chromium):
    """The page's own scripts run under the policy: the canvas is drawn in a real browser."""
    page = chromium.new_page()
    try:
        violations = []
        page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(server.url, timeout=60_000)
        page.locator("#canvas canvas").wait_for(timeout=60_000)
        assert not [v for v in violations if "script" in v], violations
    finally:
        page.close()


# Logins ------------------------------------------------------------------------------------

def login(url, password, source="127.0.0.1"):
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(transport=transport, timeout=10) as http:
        return http.post(url + "login", data={"username": "teacher", "password": password}).status_code


def test_failed_logins_are_limited_per_client_address():
    with running_app("--no-presets", "--auth", "teacher:s3cret") as app:
        codes = [login(app.url, f"guess{i}") for i in range(guard.LOGIN_FAILURES + 3)]
        assert codes[:guard.LOGIN_FAILURES] == [400] * guard.LOGIN_FAILURES
        assert set(codes[guard.LOGIN_FAILURES:]) == {429}
        assert login(app.url, "s3cret") == 429  # locked for a minute, even with the password
        assert login(app.url, "s3cret", source="127.0.0.2") == 200  # another address is not
        # Every API route stays behind the login, including those Gradio leaves open.
        for route in ("gradio_api/info", "gradio_api/heartbeat/someone",
                      "gradio_api/run-history/buckets", "gradio_api/app_id"):
            assert httpx.get(app.url + route, timeout=10).status_code == 401, route
        assert httpx.post(app.url + "gradio_api/cancel", json={"session_hash": "x", "fn_index": 0, "event_id": "y"},
                          timeout=10).status_code == 401
        with httpx.Client(base_url=app.url, timeout=10, transport=httpx.HTTPTransport(local_address="127.0.0.3")) as http:
            assert http.post("login", data={"username": "teacher", "password": "s3cret"}).status_code == 200
            assert http.get("gradio_api/app_id").status_code == 200  # logged in: open


# The queue: one client cannot fill it -----------------------------------------------------

class FakeRequest:
    def __init__(self, host):
        self.client = type("Address", (), {"host": host})()


class FakeEvent:
    def __init__(self, session, host):
        self.session_hash, self.request = session, FakeRequest(host)


def fake_blocks(waiting, running=()):
    queue = type("Queue", (), {})()
    queue.event_queue_per_concurrency_id = {"draw": type("EventQueue", (), {"queue": list(waiting)})()}
    queue.active_jobs = [list(running), None]
    blocks = type("Blocks", (), {"dev_mode": False})()
    blocks._queue = queue
    return blocks


def test_queue_limits_count_waiting_and_running_requests_per_session_and_address():
    join = "/gradio_api/queue/join"
    body = lambda session: json.dumps({"session_hash": session}).encode()  # noqa: E731
    g = guard.Guard(None, fake_blocks([FakeEvent("a", "10.0.0.1")], [FakeEvent("a", "10.0.0.1")]))
    assert "2 requests of one session" in g.queue_refusal(join, "10.0.0.1", body("a"))
    assert g.queue_refusal(join, "10.0.0.1", body("b")) is None
    crowd = [FakeEvent(f"s{i}", "10.0.0.9") for i in range(guard.MAX_QUEUED_PER_CLIENT)]
    g = guard.Guard(None, fake_blocks(crowd))
    assert "from one address" in g.queue_refusal(join, "10.0.0.9", body("new"))
    assert "from one address" in g.queue_refusal("/gradio_api/call/predict", "10.0.0.9", b"{}")
    assert g.queue_refusal(join, "10.0.0.8", body("new")) is None  # others still get in


def test_the_queue_is_served_round_robin_by_client_address():
    abuser = [FakeEvent(f"a{i}", "10.0.0.66") for i in range(6)]
    running = [FakeEvent("a-run", "10.0.0.66")]
    user, other = FakeEvent("u", "10.0.0.1"), FakeEvent("o", "10.0.0.2")
    order = guard.fair_order([*abuser, user, other], running)
    assert order[:2] == [user, other]  # they wait behind no one: the abuser already runs one
    assert order[2:] == abuser  # one address keeps its own order
    classroom = [FakeEvent(f"s{i}", "10.0.0.7") for i in range(5)]
    assert guard.fair_order(classroom, []) == classroom


# Messages and logs -------------------------------------------------------------------------

@pytest.mark.parametrize("value", [{"composite": "/etc/passwd"}, {"layers": [3]}, "a string"])
def test_a_value_of_the_wrong_shape_gets_a_message(server, value):
    with pytest.raises(Exception, match="Could not read the drawing: expected"):
        Client(server.url, verbose=False).predict(value, api_name="/predict")


def test_a_huge_value_is_not_copied_into_the_log(seven):
    with running_app("--no-presets") as app:
        with pytest.raises(Exception):  # noqa: B017 -- refused, in whatever form the client reports it
            Client(app.url, verbose=False).predict({"composite": handle_file(seven)}, "x" * MB, api_name="/predict")
        time.sleep(1)
        log = app.output()
        assert "xxxx" in log and len(log) < 50_000
        assert max(len(line) for line in log.splitlines()) <= guard.LOG_LINE + 60


def test_cut_lines_cuts_across_writes():
    out = io.StringIO()
    stream = guard.CutLines(out, limit=10)
    stream.write("abc")
    stream.write("d" * 20 + "\nshort\n")
    assert out.getvalue() == "abc" + "d" * 7 + "... (line cut, 23 characters)\nshort\n"


# Disk: the cache is the app's own, and swept whatever happens ------------------------------

def aged(path: Path, seconds: float) -> Path:
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def leftovers(folder: Path) -> list[Path]:
    """What a killed instance, an aborted upload and an odd form field leave: old files in
    hash folders, a half-written temp file, a folder left empty."""
    made = []
    for relative in ("0123abcd/view.png", "upload_tmp/.partial-upload.tmp", "oddfield/weird name.bin"):
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 1000)
        made.append(aged(path, 3600))
        aged(path.parent, 3600)
    (folder / "empty").mkdir()
    return made + [aged(folder / "empty", 3600)]


def test_sweep_removes_old_files_and_empty_folders_and_keeps_new_ones(tmp_path):
    old = leftovers(tmp_path)
    fresh = tmp_path / "fresh" / "view.png"
    fresh.parent.mkdir()
    fresh.write_bytes(b"new")
    kept = tmp_path / "kept.png"
    kept.write_bytes(b"keep")
    aged(kept, 3600)
    deleted = cache.sweep(tmp_path, keep_s=60, keep=frozenset({str(kept)}))
    assert sorted(deleted) == sorted(str(p) for p in old[:3])
    assert not any(p.exists() for p in old)
    assert fresh.exists() and kept.exists()


def test_the_app_sweeps_its_own_folder_under_concurrent_requests(tmp_path, monkeypatch):
    """Gradio's own clean-up died on 'Set changed size during iteration' under load and
    never knew what an earlier instance left; the sweeper walks the folder and keeps going."""
    folder = tmp_path / "cache"
    folder.mkdir()
    old = leftovers(folder)
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(folder))
    keep_s = 2
    drawings = [save_png(tmp_path, draw_digit(d, canvas=280 + i, size=0.5 + i / 100), f"d{d}{i}.png")
                for i, d in enumerate("70412" * 4)]
    with running_app("--no-presets", "--keep-files", str(keep_s)) as app:
        errors, stop = [], time.time() + 8

        def user(offset):
            client = Client(app.url, verbose=False)
            i = offset
            while time.time() < stop:
                try:
                    client.predict({"composite": handle_file(drawings[i % len(drawings)])}, api_name="/predict")
                except Exception as exc:  # noqa: BLE001 -- counted
                    errors.append(repr(exc))
                i += 1
        threads = [threading.Thread(target=user, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not errors, errors[:3]
        assert not any(p.exists() for p in old), "an earlier instance's files stay"
        time.sleep(keep_s * 1.25 + 1.5)  # one more sweep after the last request
        now = time.time()
        ages = [now - p.stat().st_mtime for p in folder.rglob("*") if p.is_file()]
        assert max(ages, default=0) <= 2 * keep_s, sorted(ages)[-5:]
        assert "clean-up failed" not in app.output()


def test_the_app_uses_a_cache_folder_of_its_own(server, tmp_path):
    """Not /tmp/gradio, shared with every other Gradio app on the machine: the upload lands in
    the app's own folder."""
    name = f"unique-{time.time_ns()}.png"
    Client(server.url, verbose=False, download_files=False).predict(
        {"composite": handle_file(save_png(tmp_path, draw_digit("7"), name))}, api_name="/predict")
    folder = Path(os.environ.get("GRADIO_TEMP_DIR", cache.FOLDER))
    assert folder.name != "gradio" and list(folder.rglob(name)), f"{name} not under {folder}"
    assert not list(Path(tempfile.gettempdir(), "gradio").rglob(name))


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_malloc_arenas_are_capped_on_glibc():
    """glibc accepts the cap (mallopt returns 0 for an option it does not know or a bad value)."""
    assert guard.cap_malloc_arenas() is True
