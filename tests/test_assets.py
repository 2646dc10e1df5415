"""Gradio's page files from memory (demo/assets.py): compressed once, hashed names cached for
good, the guard's headers kept, and nothing cached past a login."""
import asyncio
import re
from types import SimpleNamespace

import httpx
import pytest

from demo import assets
from tests.helpers import running_app

pytestmark = pytest.mark.server  # see pyproject.toml's markers

GZIP = {"Accept-Encoding": "gzip"}


def hashed_script(html: str) -> str:
    """The page's main script, /assets/index-HASH.js, as its HTML names it."""
    return "/assets/" + re.search(r"assets/(index-[A-Za-z0-9_-]{8}\d*\.js)", html)[1]


def test_hashed_assets_are_cached_for_good_with_the_guards_headers(app):
    script = hashed_script(httpx.get(app.url, timeout=10).text)
    first = httpx.get(app.url.rstrip("/") + script, headers=GZIP, timeout=10)
    assert first.status_code == 200
    assert first.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert first.headers["content-encoding"] == "gzip" and first.headers["content-type"] == "application/javascript"
    assert "default-src 'self'" in first.headers["content-security-policy"]
    assert first.headers["x-content-type-options"] == "nosniff"
    again = httpx.get(app.url.rstrip("/") + script, headers=GZIP, timeout=10)
    assert again.headers["etag"] == first.headers["etag"] and again.content == first.content
    # An ETag the client holds: 304, no body, the guard's headers still there.
    held = httpx.get(app.url.rstrip("/") + script, headers={**GZIP, "If-None-Match": first.headers["etag"]}, timeout=10)
    assert held.status_code == 304 and held.content == b""
    assert "content-security-policy" in held.headers and held.headers["etag"] == first.headers["etag"]
    # A font's name is not hashed: it is revalidated, by its ETag.
    font = httpx.get(app.url + "static/fonts/IBMPlexMono/IBMPlexMono-Regular.woff2", timeout=10)
    assert font.status_code == 200 and font.headers["cache-control"] == "no-cache"
    assert "content-encoding" not in font.headers  # woff2 is compressed already
    assert httpx.get(app.url + "static/fonts/IBMPlexMono/IBMPlexMono-Regular.woff2",
                     headers={"If-None-Match": font.headers["etag"]}, timeout=10).status_code == 304
    # Not there, or outside the folder: Gradio answers, as before.
    assert httpx.get(app.url + "assets/no-such-file-AAAAAAAA.js", timeout=10).status_code == 404
    assert httpx.get(app.url + "assets/..%2f..%2frouting.py", timeout=10).status_code in (400, 403, 404)


def test_the_page_is_kept_briefly_and_sent_compressed(app):
    first = httpx.get(app.url, headers=GZIP, timeout=10)
    again = httpx.get(app.url, headers=GZIP, timeout=10)
    assert first.status_code == again.status_code == 200 and first.headers["content-encoding"] == "gzip"
    assert first.headers["etag"] == again.headers["etag"] and "content-security-policy" in again.headers
    assert "window.gradio_config" in again.text
    # The root URL inside the page follows the Host the client asked for: kept per host.
    other = httpx.get(app.url, headers={"Host": "example.org"}, timeout=10)
    assert '"root":"http://example.org"' in other.text and '"root":"http://example.org"' not in again.text
    theme = httpx.get(app.url + "theme.css", headers=GZIP, timeout=10)
    assert theme.status_code == 200 and theme.headers["cache-control"] == "no-cache"  # no ?v=HASH: revalidated


def asgi_get(middleware, path, headers=(), app=None) -> tuple[int, dict, bytes]:
    """One GET through `middleware` (in this process): status, headers, body."""
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)
    scope = {"type": "http", "method": "GET", "path": path, "query_string": b"", "root_path": "", "scheme": "http",
             "headers": [(k.encode(), v.encode()) for k, v in headers], "server": ("127.0.0.1", 80),
             "app": app or SimpleNamespace(auth=None, auth_dependency=None)}
    asyncio.run(middleware(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], dict(start["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


class Inner:
    """Gradio's place: counts the requests it answers, and greets by the login cookie."""

    def __init__(self):
        self.calls = 0

    async def __call__(self, scope, receive, send):
        self.calls += 1
        cookie = dict(scope["headers"]).get(b"cookie", b"nobody")
        body = b"<html>page for " + cookie + b"</html>" * 100
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
        await send({"type": "http.response.body", "body": body})


def test_a_file_is_compressed_once(monkeypatch):
    calls = []
    real_gzip = assets.gzip.compress
    monkeypatch.setattr(assets.gzip, "compress", lambda *a, **k: calls.append(1) or real_gzip(*a, **k))
    middleware = assets.Assets(Inner(), SimpleNamespace(theme_css=None))
    name = next(p.name for p in middleware.folders["/assets/"].glob("index-*.js"))
    answers = [asgi_get(middleware, f"/assets/{name}", [("accept-encoding", "gzip")]) for _ in range(3)]
    assert len(calls) == 1 and middleware.compressions == 1
    assert all(status == 200 and body == answers[0][2] for status, _, body in answers)
    assert answers[0][1][b"content-encoding"] == b"gzip" and middleware.app.calls == 0


def test_with_a_login_no_page_is_kept():
    inner = Inner()
    middleware = assets.Assets(inner, SimpleNamespace(theme_css=None))
    login = SimpleNamespace(auth=[("u", "p")], auth_dependency=None)
    asgi_get(middleware, "/", [("cookie", "access-token=secret")], app=login)
    _, _, body = asgi_get(middleware, "/", app=login)
    assert inner.calls == 2 and b"secret" not in body and not middleware.pages
    asgi_get(middleware, "/", app=SimpleNamespace(auth=None, auth_dependency=None))
    asgi_get(middleware, "/", app=SimpleNamespace(auth=None, auth_dependency=None))
    assert inner.calls == 3  # without a login, the second visitor gets the page kept


def test_with_auth_nothing_kept_passes_the_login():
    with running_app("--auth", "u:p", "--no-presets") as server:
        with httpx.Client(base_url=server.url, timeout=10) as student:
            assert student.post("login", data={"username": "u", "password": "p"}).status_code == 200
            page = student.get("")
            assert '"auth_required":true' not in page.text.replace(" ", "") and "canvas" in page.text
            assert student.get("config").status_code == 200
        for _ in range(2):  # a stranger, after the logged-in visit: the login page, never the app's
            stranger = httpx.get(server.url, timeout=10)
            assert stranger.status_code == 200 and '"auth_required":true' in stranger.text.replace(" ", "")
            assert "etag" not in stranger.headers  # Gradio's own answer, not one kept
            assert httpx.get(server.url + "config", timeout=10).status_code == 401
            assert httpx.get(server.url + "gradio_api/info", timeout=10).status_code == 401
        script = hashed_script(stranger.text)  # the login page needs Gradio's scripts: public, cached for good
        cached = httpx.get(server.url.rstrip("/") + script, timeout=10)
        assert cached.status_code == 200 and cached.headers["cache-control"].endswith("immutable")
        assert "content-security-policy" in cached.headers
