"""Gradio's own page files, served from memory: compressed once, hashed names cached for good.

A class opening the page at once costs the server what each page load asks of it: about 50
requests (the HTML, Gradio's scripts, styles and fonts, the theme). Gradio answers each one
from disk and compresses every script and style again (brotli) on every request. One ASGI
middleware (`Assets`), inside the guard (so its headers and login checks come first), answers
those requests from memory instead:

- /assets/* (Gradio's build, every name content-hashed: `Index-Akn07EZk2.js`) and /static/*
  (fonts, scripts): each file read and compressed once (gzip, and brotli when the `brotli`
  package is installed, as Gradio's own compression needs it), in a worker thread, on its first
  request; hashed names get `Cache-Control: public, max-age=31536000, immutable`, the rest
  `no-cache` (a browser asks again, and an unchanged file gets 304 for its ETag);
- the theme (/theme.css): compressed once per theme; immutable when asked for with its hash
  (`?v=...`, as the page does);
- the HTML page, /config and /gradio_api/info: the same for every visitor when the app has no
  login, so each is kept HTML_TTL_S seconds (per URL and the headers Gradio builds its root URL
  from) and compressed once. With a login (`--auth`) they are never cached: Gradio builds them
  per user, behind its login.

Anything else (another method, a Range request, a file not found, a response that sets a
cookie or is not 200) passes through to Gradio unchanged.
"""
import asyncio
import gzip
import hashlib
import mimetypes
import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

try:
    import brotli
except ImportError:  # Gradio needs it, but the middleware does without
    brotli = None

FOREVER = b"public, max-age=31536000, immutable"
REVALIDATE = b"no-cache"
HASHED = re.compile(r"-[A-Za-z0-9_-]{8}\d*\.[A-Za-z0-9]+$")  # Vite's NAME-HASH[dedupe number].EXT
COMPRESSIBLE = {".js", ".mjs", ".css", ".html", ".json", ".svg", ".txt", ".map", ".ttf", ".otf"}
MAX_FILE = 4 * 2**20  # bytes: a larger file is left to Gradio
MEMORY_BUDGET = 64 * 2**20  # bytes of files (and their compressed copies) kept at most
HTML_TTL_S = 10.0  # seconds a page, /config or /gradio_api/info is kept
HTML_KEYS = 32  # pages kept at most (per URL and root headers; a stranger's variants evict the oldest)
PAGES = ("/", "/config", "/config/", "/gradio_api/info", "/gradio_api/info/")
THEMES = ("/theme.css", "/gradio_api/theme.css")
# What Gradio builds a page's root URL from (route_utils.get_request_origin), besides the scheme.
ROOT_HEADERS = (b"host", b"x-forwarded-host", b"x-gradio-server", b"x-forwarded-proto")


@dataclass(frozen=True)
class Body:
    raw: bytes
    gzip: bytes | None  # None where compressing does not pay
    br: bytes | None
    content_type: bytes
    etag: bytes

    @property
    def size(self) -> int:
        return len(self.raw) + len(self.gzip or b"") + len(self.br or b"")


def pack(raw: bytes, content_type: str, compress: bool, br_quality: int = 11) -> Body:
    """`raw` with its compressed copies (kept where they save 10% or more) and an ETag."""
    def worth(smaller):
        return smaller if smaller is not None and len(smaller) < 0.9 * len(raw) else None
    gzipped = br = None
    if compress:
        gzipped = worth(gzip.compress(raw, compresslevel=9, mtime=0))
        if brotli is not None:
            br = worth(brotli.compress(raw, quality=br_quality, mode=brotli.MODE_TEXT))
    digest = hashlib.sha256(raw).hexdigest()[:20]
    return Body(raw, gzipped, br, content_type.encode(), f'"{digest}"'.encode())


def content_type_of(path: str) -> str:
    kind = "application/javascript" if path.endswith((".js", ".mjs")) else mimetypes.guess_type(path)[0]
    kind = kind or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith("text/") else kind


def etag_matches(if_none_match: bytes | None, etag: bytes) -> bool:
    if not if_none_match:
        return False
    tags = [tag.strip().removeprefix(b"W/") for tag in if_none_match.split(b",")]
    return b"*" in tags or etag in tags


async def respond(send, body: Body, request: dict, cache_control: bytes, head: bool = False):
    """Send `body` (304 if the client holds it; compressed as the client accepts)."""
    headers = [(b"cache-control", cache_control), (b"etag", body.etag)]
    if body.gzip or body.br:
        headers.append((b"vary", b"accept-encoding"))
    if etag_matches(request.get(b"if-none-match"), body.etag):
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        return await send({"type": "http.response.body", "body": b""})
    accepted = {part.split(b";")[0].strip() for part in request.get(b"accept-encoding", b"").lower().split(b",")}
    data = body.raw
    for encoding, encoded in ((b"br", body.br), (b"gzip", body.gzip)):
        if encoded is not None and encoding in accepted:
            data = encoded
            headers.append((b"content-encoding", encoding))
            break
    headers += [(b"content-type", body.content_type), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else data})


class Assets:
    """The ASGI middleware; `blocks` is the Gradio app (for its theme)."""

    def __init__(self, app, blocks, html_ttl_s: float = HTML_TTL_S, memory_budget: int = MEMORY_BUDGET):
        from gradio.route_utils import BUILD_PATH_LIB, STATIC_PATH_LIB
        self.app, self.blocks, self.html_ttl_s, self.memory_budget = app, blocks, html_ttl_s, memory_budget
        self.folders = {"/assets/": Path(BUILD_PATH_LIB).resolve(), "/static/": Path(STATIC_PATH_LIB).resolve()}
        self.files: dict[str, asyncio.Future] = {}  # path -> the task loading its Body (None: not one to keep)
        self.held = 0  # bytes of the files kept
        self.theme: tuple[str, Body] | None = None
        self.pages: OrderedDict = OrderedDict()  # key -> (expires, Body)
        self.compressions = 0  # files and pages compressed (the tests count them)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return await self.app(scope, receive, send)
        path, root = scope["path"], scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root):] or "/"
        request = dict(scope["headers"])
        head = scope["method"] == "HEAD"
        if b"range" in request:
            return await self.app(scope, receive, send)
        prefix = path[:8]
        if prefix in self.folders:
            body = await self.file(prefix, path[8:])
            if body is None:
                return await self.app(scope, receive, send)
            forever = prefix == "/assets/" and HASHED.search(path)
            return await respond(send, body, request, FOREVER if forever else REVALIDATE, head)
        if path in THEMES and getattr(self.blocks, "theme_css", None) is not None:
            body = self.theme_body(self.blocks.theme_css)
            query = scope.get("query_string", b"").decode("latin-1")
            forever = f"v={getattr(self.blocks, 'theme_hash', None)}" in query.split("&")
            return await respond(send, body, request, FOREVER if forever else REVALIDATE, head)
        if path in PAGES and not self.has_login(scope):
            return await self.page(scope, receive, send, path, request, head)
        return await self.app(scope, receive, send)

    async def file(self, prefix: str, name: str) -> Body | None:
        """The Body of FOLDER/name, read and compressed once (in a worker thread); None for a
        name outside the folder, a file not there or too large, or beyond the memory budget."""
        parts = name.split("/")
        if not name or "\\" in name or "\x00" in name or any(p in ("", ".", "..") for p in parts):
            return None
        key = prefix + name
        task = self.files.get(key)
        if task is None:
            if self.held >= self.memory_budget:
                return None
            # A task of its own: a client that goes away mid-load leaves it to finish for the others.
            task = self.files[key] = asyncio.ensure_future(asyncio.to_thread(self.load, self.folders[prefix], name))
            task.add_done_callback(lambda done: self.loaded(key, done))
        return await asyncio.shield(task)

    def loaded(self, key: str, task: asyncio.Future):
        body = None if task.cancelled() or task.exception() else task.result()
        if body is None:
            self.files.pop(key, None)  # nothing kept for a miss: a stranger's names cost no memory
        else:
            self.held += body.size

    def load(self, folder: Path, name: str) -> Body | None:
        try:
            path = (folder / name).resolve()
            if not path.is_relative_to(folder) or not path.is_file() or path.stat().st_size > MAX_FILE:
                return None
            raw = path.read_bytes()
        except (OSError, ValueError):
            return None  # Gradio answers it
        self.compressions += 1
        return pack(raw, content_type_of(path.name), path.suffix.lower() in COMPRESSIBLE)

    def theme_body(self, css: str) -> Body:
        if self.theme is None or self.theme[0] is not css:
            self.compressions += 1
            self.theme = (css, pack(css.encode(), "text/css; charset=utf-8", True, br_quality=5))
        return self.theme[1]

    @staticmethod
    def has_login(scope) -> bool:
        app = scope.get("app")  # Starlette puts the application here before any middleware runs
        blocks = app.get_blocks() if hasattr(app, "get_blocks") else None
        return (app is None or getattr(app, "auth", None) is not None or getattr(app, "auth_dependency", None) is not None
                or bool(getattr(blocks, "expects_oauth", False)))

    async def page(self, scope, receive, send, path, request, head):
        """A page, /config or /gradio_api/info: from the short cache, else from Gradio (then kept)."""
        key = (path, scope.get("query_string", b""), scope.get("scheme"), scope.get("root_path", ""),
               tuple(scope.get("server") or ()), *(request.get(name) for name in ROOT_HEADERS))
        now = time.monotonic()
        kept = self.pages.get(key)
        if kept is not None and kept[0] > now:
            return await respond(send, kept[1], request, REVALIDATE, head)
        if head:
            return await self.app(scope, receive, send)
        start, chunks, passed = {}, [], []

        async def capture(message):
            if passed:
                return await send(message)
            if message["type"] == "http.response.start":
                start.update(message)
                names = {name.lower() for name, _ in message.get("headers", [])}
                if message["status"] != 200 or b"set-cookie" in names or b"content-encoding" in names:
                    passed.append(True)  # not one to keep: sent as Gradio answers it
                    await send(message)
                return
            chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        if passed or not start:
            return
        raw = b"".join(chunks)
        content_type = dict(start.get("headers", [])).get(b"content-type", b"text/html; charset=utf-8").decode("latin-1")
        self.compressions += 1
        body = pack(raw, content_type, True, br_quality=5)
        self.pages[key] = (now + self.html_ttl_s, body)
        self.pages.move_to_end(key)
        while len(self.pages) > HTML_KEYS:
            self.pages.popitem(last=False)
        await respond(send, body, request, REVALIDATE, head)


def middleware(blocks, **options):
    """`Assets` for `blocks`, as FastAPI's `middleware=[...]` takes it (launch's app_kwargs):
    after the guard, so the guard's checks and headers come first."""
    from starlette.middleware import Middleware
    return Middleware(Assets, blocks=blocks, **options)
