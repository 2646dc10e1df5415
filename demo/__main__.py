"""python -m demo [--weights PATH] [--host 127.0.0.1] [--port N] [--share] [--auth user:pass] ..."""
import argparse
import os
import sys

import torch

from model import WeightsError

from . import assets, cache, guard, served

cache.use_own_folder()  # before Gradio is imported (by .app): it reads GRADIO_TEMP_DIR once
from .app import build_app, load_models  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m demo", description="The row-LSTM digit explainer.")
    p.add_argument("--weights", default=None, help="weights file (default: the committed weights/default.pt)")
    p.add_argument("--presets", action=argparse.BooleanOptionalAction, default=True,
                   help="offer the classic tutorial models (weights/<preset>.pt) beside it")
    # Defaults from the variables a platform sets (Hugging Face Spaces: 0.0.0.0 and 7860), else loopback.
    p.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                   help="address to bind (0.0.0.0 exposes it to your network; default $GRADIO_SERVER_NAME or 127.0.0.1)")
    p.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", 7860)))
    p.add_argument("--share", action="store_true", help="ask Gradio for a public link")
    p.add_argument("--auth", default=os.environ.get("DEMO_AUTH"),
                   help="require a login, as user:password (or set DEMO_AUTH)")
    p.add_argument("--queue-size", type=int, default=256,
                   help="requests that may wait; beyond it a client is told the queue is full")
    p.add_argument("--keep-files", type=int, default=600, metavar="SECONDS",
                   help="delete uploads and drawn pictures older than this (checked every quarter of it)")
    p.add_argument("--concurrency", type=int, default=os.cpu_count() or 1,
                   help="predictions run at once (default: one per core, each on one torch thread)")
    args = p.parse_args(argv)
    guard.cut_log_lines()  # a stranger's 1 MB value must not become 1 MB of log
    guard.cap_malloc_arenas()  # memory stays flat over hours of drawings (benchmarks/soak.py)

    try:
        models = load_models(args.weights, args.presets)  # a --weights file keeps its name over a preset's
    except WeightsError as exc:
        sys.exit(f"error: {exc}")
    auth = None
    if args.auth:
        user, sep, password = args.auth.partition(":")
        if not (sep and user and password):
            sys.exit("error: --auth must look like user:password")
        auth = (user, password)

    torch.set_num_threads(1)  # a one-image LSTM is fastest on one thread; requests run side by side
    # Gradio redoes a pandas summary of every past event after each one, for a monitoring
    # page this app does not open: a few ms of CPU per request. Recompute it rarely.
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "100000")
    # Waiting clients learn their place in the queue once a second, not after every finished
    # request (with "auto", each request sends a message to every waiting client).
    app = build_app(models, args.keep_files).queue(status_update_rate=1.0, max_size=args.queue_size,
                                  default_concurrency_limit=args.concurrency)
    # An idle queue looks for work every 1 ms (and for progress every 10 ms): ~90 ms of CPU a second
    # for nothing, now that only API calls use it (the page reads drawings itself). 5 ms and 50 ms
    # add at most 5 ms to a call (this app reports no progress).
    app._queue.sleep_when_free, app._queue.progress_update_sleep_when_free = 0.005, 0.05
    # The guard (body limit, closed routes, login and queue limits, headers) first, then the page's
    # engine and weights and Gradio's own page files from memory (compressed once, content-named
    # files cached for good), and the cache sweeper.
    middleware = [guard.middleware(app), served.middleware(app.served_files), assets.middleware(app)]
    app_kwargs = {"middleware": middleware, "lifespan": cache.sweeper(app, args.keep_files)}
    app.launch(server_name=args.host, server_port=args.port, share=args.share, auth=auth,
               max_file_size=guard.MAX_UPLOAD_BYTES, show_error=False, prevent_thread_lock=True, app_kwargs=app_kwargs)
    if args.share and not app.share_url:
        # Offline (or blocked), Gradio cannot open its tunnel: say so plainly and keep serving.
        print(f"warning: --share could not create a public link (no internet access?); "
              f"the app is serving locally only, at {app.local_url}", file=sys.stderr, flush=True)
    app.block_thread()


if __name__ == "__main__":
    main()
