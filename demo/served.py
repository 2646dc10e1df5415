"""The page's engine and each served model's weights: content-named files, served from memory.

The network runs in the page (demo/engine/: preprocessing, cells, reading, the worker), so
the server's part in a drawing is to hand out two kinds of file once:

- the engine, demo/engine/*.js joined into one Web Worker script (`engine_script`), each file
  in its own function scope, in ENGINE_FILES' order;
- each served model exported by model.export ("row-weights-v1": config, float32 tensors,
  temperature, not-sure threshold, facts), checked there against its weights file's checksum.

Each is named after its content (`/engine/NAME.<first 12 hex of SHA-256>.EXT`), so a browser
keeps it for good (`Cache-Control: public, max-age=31536000, immutable`): a new version gets a
new name. Each is compressed once when added (demo.assets' pack: gzip, brotli) and answered
from memory by one ASGI middleware (`Served`) before Gradio sees the request; an unchanged
file asked for again with its ETag gets 304. Every other request passes through.
"""
import hashlib
import re
from pathlib import Path

from .assets import FOREVER, Body, pack, respond

PREFIX = "/engine/"
ENGINE = Path(__file__).parent / "engine"
ENGINE_FILES = ["preprocess.js", "cells.js", "reading.js", "attribution.js", "worker.js"]  # the worker's own file last


def engine_script() -> bytes:
    """demo/engine's files as one worker script; each file's top-level names stay its own, and
    what it shares it puts on `self` (self.preprocess, self.cells, self.reading)."""
    parts = [f"// ---- demo/engine/{name}\n(function () {{\n{(ENGINE / name).read_text()}\n}})();\n"
             for name in ENGINE_FILES]
    return "".join(parts).encode()


class ServedFiles:
    """The content-named files of one app, by URL path."""

    def __init__(self):
        self.files: dict[str, Body] = {}

    def add(self, name: str, suffix: str, body: bytes, content_type: str, compress: bool = True) -> str:
        """Serve `body` as /engine/NAME.HASH.SUFFIX (compressed where it pays, if `compress`);
        returns that path."""
        name = re.sub(r"[^A-Za-z0-9._-]", "_", name)  # a --weights file's stem may hold anything
        path = f"{PREFIX}{name}.{hashlib.sha256(body).hexdigest()[:12]}{suffix}"
        self.files[path] = pack(body, content_type, compress=compress)
        return path


class Served:
    """The ASGI middleware: GET or HEAD of a path in `files` is answered here."""

    def __init__(self, app, files: ServedFiles):
        self.app, self.files = app, files

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return await self.app(scope, receive, send)
        path, root = scope["path"], scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root):]
        body = self.files.files.get(path)
        if body is None:
            return await self.app(scope, receive, send)
        await respond(send, body, dict(scope["headers"]), FOREVER, head=scope["method"] == "HEAD")


def middleware(files: ServedFiles):
    """`Served` for `files`, as FastAPI's `middleware=[...]` takes it (launch's app_kwargs)."""
    from starlette.middleware import Middleware
    return Middleware(Served, files=files)
