"""The app's file cache: its own folder, swept by age, by a sweeper that cannot die.

Gradio writes uploads and drawn pictures under GRADIO_TEMP_DIR (by default /tmp/gradio,
shared by every Gradio app on the machine). `python -m demo` points it at a folder of this
app's own (`FOLDER`, set before Gradio is imported). Gradio's own clean-up (delete_cache)
walks a set that requests keep adding to, and dies on "Set changed size during iteration"
under load; it also only knows the files this process made. The sweeper here walks the
folder on disk instead, so it also removes what a killed earlier instance, an aborted upload
or an upload under an odd form field left behind, and folders left empty. Each sweep and
each file is guarded: an error is logged (once per kind) and the next sweep runs anyway.
"""
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

FOLDER = Path(tempfile.gettempdir()) / "row-lstm-demo"  # not /tmp/gradio: no other app's files


def use_own_folder() -> Path:
    """Point Gradio's cache at this app's folder (unless GRADIO_TEMP_DIR says otherwise);
    call before `import gradio`, which reads it once."""
    folder = Path(os.environ.setdefault("GRADIO_TEMP_DIR", str(FOLDER)))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sweep(folder, keep_s: float, now: float | None = None, keep: frozenset = frozenset()) -> list[str]:
    """Delete the files under `folder` last changed more than `keep_s` seconds ago (but the
    paths in `keep`), then the folders that are empty and as old; returns the deleted files."""
    now = time.time() if now is None else now
    deleted, emptied = [], set()  # emptied: folders whose mtime this sweep refreshed
    for root, _dirs, files in os.walk(folder, topdown=False):
        for name in files:
            path = os.path.join(root, name)
            with contextlib.suppress(OSError):  # gone meanwhile, or not ours to delete: next one
                if path not in keep and now - os.lstat(path).st_mtime > keep_s:
                    os.unlink(path)
                    deleted.append(path)
                    emptied.add(root)
        if root != str(folder):
            with contextlib.suppress(OSError):  # not empty (a request wrote into it): kept
                if root in emptied or now - os.lstat(root).st_mtime > keep_s:
                    os.rmdir(root)
                    emptied.add(os.path.dirname(root))
    return deleted


def forget(blocks, deleted: list[str]) -> None:
    """Drop deleted files from Gradio's in-memory sets of temporary files, which otherwise
    grow with every request. difference_update is one C call: safe while requests add."""
    deleted = {path for path in deleted if not os.path.exists(path)}  # not made again meanwhile
    for temp_set in list(getattr(blocks, "temp_file_sets", [])):
        temp_set.difference_update(deleted)


def sweeper(blocks, keep_s: float, folder=None, every_s: float | None = None):
    """A FastAPI lifespan (launch's app_kwargs) that sweeps `folder` (default: Gradio's
    cache) every `every_s` seconds (default: a quarter of `keep_s`, so no file outlives
    1.25 x keep_s by much) while the server runs, and once at start (an earlier instance's files)."""
    every_s = every_s or max(1.0, keep_s / 4)

    def sweep_once(errors: set):
        try:
            target = folder or os.environ.get("GRADIO_TEMP_DIR") or FOLDER
            keep = frozenset(path for block in blocks.blocks.values()
                             for path in getattr(block, "keep_in_cache", ()))
            forget(blocks, sweep(target, keep_s, keep=keep))
        except Exception as exc:  # noqa: BLE001 -- logged once per kind; the sweeper must keep running
            if type(exc) not in errors:
                errors.add(type(exc))
                print(f"warning: cache clean-up failed ({type(exc).__name__}: {exc}); retrying every "
                      f"{every_s:g} s", file=sys.stderr, flush=True)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        async def run():
            errors = set()
            while True:
                await asyncio.to_thread(sweep_once, errors)
                await asyncio.sleep(every_s)
        task = asyncio.create_task(run())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    return lifespan
