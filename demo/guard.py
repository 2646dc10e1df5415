"""A guard in front of the Gradio server, for a link shared with strangers.

One ASGI middleware (`Guard`), installed by `python -m demo` through `launch(app_kwargs=...)`,
sits between the network and Gradio's routes and enforces what Gradio leaves open:

- a request-body limit on every route (Content-Length checked before anything is read,
  streamed bodies counted as they arrive): 413 beyond it;
- Gradio's development routes (/gradio_api/dev/..., a stream that polls every 50 ms) are
  closed unless Gradio runs in development (reload) mode: 404;
- /gradio_api/component_server is closed: 404. The page calls no server function, and the
  hidden API Sketchpad's `accept_blobs` there grows a list to any index a client names;
- with a login (`--auth`), every /gradio_api/ route but the few the login page itself
  needs requires it: Gradio leaves some open (heartbeat and stream routes, cancel, reset,
  run history): 401;
- failed logins are counted per client address: after `LOGIN_FAILURES` in a minute, 429;
- queued requests are counted per session and per client address (waiting or running, read
  from Gradio's own queue): beyond the limit a join is refused with 503 "Queue is full for
  this client", which Gradio's clients show as a full queue, so one client cannot fill the
  queue for everyone;
- the queue is served fairly (`fair_queue`): waiting requests are ordered round-robin by
  client address, so requests from an address that already has many waiting or running go
  behind everyone else's, and one client's burst delays others by about one request;
- every response gets `X-Content-Type-Options: nosniff` and a Content-Security-Policy that
  allows the page's own scripts and styles only, and framing only by itself and Hugging
  Face (where a Space embeds the app).

The client address is the one uvicorn reports: behind a proxy that uvicorn trusts
(FORWARDED_ALLOW_IPS, default 127.0.0.1), the X-Forwarded-For address.
"""
import contextlib
import io
import json
import re
import sys
import time
from collections import defaultdict, deque
from http.cookies import SimpleCookie

MAX_UPLOAD_BYTES = 10 * 2**20  # an uploaded file (launch's max_file_size)
MAX_BODY = MAX_UPLOAD_BYTES + 2**20  # bytes of any request: an upload at the limit plus its form framing
LOGIN_FAILURES = 5  # failed logins per client address and minute; more get 429
MAX_QUEUED_PER_SESSION = 2  # the page keeps a drawer to one at a time (always_last); API clients wait for answers
MAX_QUEUED_PER_CLIENT = 32  # one address: a class of 30 behind one NAT shares it (fair_queue keeps it from crowding others)
LOG_LINE = 400  # characters a log line keeps: user-supplied values in messages are cut there
# startup-events: launch() calls it itself; it runs the (login-free) load events once.
OPEN_BEFORE_LOGIN = {"/gradio_api/login_check", "/gradio_api/token", "/gradio_api/user", "/gradio_api/theme.css",
                     "/gradio_api/startup-events"}
CLOSED_PREFIXES = ("/gradio_api/component_server", "/gradio_api/dev/")
JOIN_PATHS = ("/gradio_api/queue/join", "/gradio_api/call/")
CSP = "; ".join([
    "default-src 'self'",
    # Gradio's page boots from an inline script, and gr.HTML runs its js_on_load as a function.
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "media-src 'self' data: blob:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'self' https://huggingface.co https://*.hf.space",
])
SECURITY_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"content-security-policy", CSP.encode())]


MALLOC_ARENAS = 2  # glibc's default is 8 per core: each worker thread's own heap, grown and rarely returned


def cap_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Let glibc's malloc keep at most `arenas` heaps for all threads (mallopt M_ARENA_MAX, as
    the MALLOC_ARENA_MAX variable does at start): the server answers on a pool of threads, and
    with a heap per thread the freed memory of each drawing stays spread over many heaps, so the
    process's memory creeps up under long use. Where malloc is not glibc's, nothing changes."""
    import ctypes
    import ctypes.util
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(-8, arenas))  # M_ARENA_MAX is -8 in glibc's malloc.h
    except (OSError, AttributeError):
        return False


class CutLines(io.TextIOBase):
    """A text stream (stdout, stderr) that cuts every line to `limit` characters: Gradio logs
    a bad value inside its error messages (a 1 MB model name: 1 MB per log line)."""

    def __init__(self, stream, limit: int = LOG_LINE):
        self.stream, self.limit, self.column = stream, limit, 0

    def write(self, text: str) -> int:
        out = []
        for piece in re.split(r"(\n)", text):
            if piece == "\n":
                if self.column > self.limit:
                    out.append(f"... (line cut, {self.column} characters)")
                out.append(piece)
                self.column = 0
            elif piece:
                out.append(piece[:max(0, self.limit - self.column)])
                self.column += len(piece)
        self.stream.write("".join(out))
        return len(text)

    def flush(self):
        self.stream.flush()

    def isatty(self):
        return self.stream.isatty()

    def fileno(self):
        return self.stream.fileno()

    @property
    def encoding(self):
        return self.stream.encoding


def cut_log_lines(limit: int = LOG_LINE) -> None:
    """Cut every line this process prints (stdout, stderr, and so the logs) to `limit` characters."""
    sys.stdout, sys.stderr = CutLines(sys.stdout, limit), CutLines(sys.stderr, limit)


class BodyTooLarge(Exception):
    pass


class Guard:
    """The ASGI middleware; `blocks` is the Gradio app whose queue is counted."""

    def __init__(self, app, blocks, max_body: int = MAX_BODY, login_failures: int = LOGIN_FAILURES,
                 queued_per_session: int = MAX_QUEUED_PER_SESSION, queued_per_client: int = MAX_QUEUED_PER_CLIENT):
        self.app, self.blocks, self.max_body = app, blocks, max_body
        self.login_failures, self.failed_logins = login_failures, defaultdict(deque)  # address -> failure times
        self.queued_per_session, self.queued_per_client = queued_per_session, queued_per_client

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path, address = scope["path"], (scope.get("client") or ("?",))[0]

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        if path.startswith(CLOSED_PREFIXES) and not (path.startswith("/gradio_api/dev/") and self.blocks.dev_mode):
            return await refuse(send_with_headers, 404, "Not Found")
        if self.needs_login(scope, path):
            return await refuse(send_with_headers, 401, "Not authenticated")
        too_large = f"The request body is over the limit of {self.max_body} bytes."
        length = dict(scope["headers"]).get(b"content-length", b"0")
        if not length.isdigit() or int(length) > self.max_body:
            return await refuse(send_with_headers, 413, too_large)
        is_login = scope["method"] == "POST" and path.rstrip("/").endswith("/login")
        if is_login and self.recent_failures(address) >= self.login_failures:
            return await refuse(send_with_headers, 429, "Too many failed logins: wait a minute before trying again.")
        status = {}  # "code": the status sent; "too_large": the body went over the limit

        async def send_guarded(message):
            if status.get("too_large"):  # whatever the app answers to a cut-off body: 413 instead
                if "code" not in status:
                    status["code"] = 413
                    await refuse(send_with_headers, 413, too_large)
                return
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send_with_headers(message)

        if is_login:  # counted as a failure until it succeeds, so parallel guesses count too
            attempt = time.monotonic()
            self.failed_logins[address].append(attempt)
        receive = self.limited(receive, status)
        try:
            if scope["method"] == "POST" and path.startswith(JOIN_PATHS):
                body = await read_body(receive)
                why = self.queue_refusal(path, address, body)
                if why:
                    return await refuse(send_with_headers, 503, why)
                receive = replay(body, receive)
            await self.app(scope, receive, send_guarded)
        except BodyTooLarge:
            await send_guarded({"type": "http.response.start"})
        finally:
            if is_login and status.get("code") == 200 and attempt in self.failed_logins.get(address, ()):
                self.failed_logins[address].remove(attempt)

    @staticmethod
    def needs_login(scope, path) -> bool:
        """A /gradio_api/ route asked for without the login cookie, when the app has a login."""
        app = scope.get("app")  # Starlette puts the application here before any middleware runs
        if getattr(app, "auth", None) is None or not path.startswith("/gradio_api/") or path.rstrip("/") in OPEN_BEFORE_LOGIN:
            return False
        cookies = SimpleCookie()
        with contextlib.suppress(Exception):  # a malformed cookie header is no login
            cookies.load(dict(scope["headers"]).get(b"cookie", b"").decode("latin-1"))
        tokens = [cookies[name].value for name in (f"access-token-{app.cookie_id}",
                                                   f"access-token-unsecure-{app.cookie_id}") if name in cookies]
        return not any(token in app.tokens for token in tokens)

    def limited(self, receive, status: dict):
        """`receive`, raising BodyTooLarge (and marking `status`) once the body grows over the
        limit: a streamed body has no Content-Length to check up front."""
        received = 0

        async def receive_limited():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body:
                status["too_large"] = True
                raise BodyTooLarge
            return message
        return receive_limited

    def recent_failures(self, address) -> int:
        failures, minute_ago = self.failed_logins[address], time.monotonic() - 60
        while failures and failures[0] < minute_ago:
            failures.popleft()
        if not failures:
            del self.failed_logins[address]  # the table keeps only addresses that failed recently
            return 0
        return len(failures)

    def queue_refusal(self, path, client_address, body: bytes) -> str | None:
        """Why this join must be refused (None: let it in), from the requests of the same
        session and the same address that wait or run in Gradio's queue now."""
        try:
            session = json.loads(body).get("session_hash") if path.startswith("/gradio_api/queue/join") else None
        except (ValueError, AttributeError):
            session = None  # Gradio itself answers a malformed body
        same_session = same_address = 0
        for event in queued_events(self.blocks):
            same_session += session is not None and event.session_hash == session
            same_address += address_of(event) == client_address
        if same_session >= self.queued_per_session:
            return (f"Queue is full for this client: at most {self.queued_per_session} requests of one session "
                    f"may wait at once; wait for an answer before sending more.")
        if same_address >= self.queued_per_client:
            return (f"Queue is full for this client: at most {self.queued_per_client} requests from one address "
                    f"may wait at once; wait for an answer before sending more.")
        return None


def address_of(event) -> str | None:
    client = getattr(getattr(event, "request", None), "client", None)
    return client.host if client is not None else None


def fair_order(waiting: list, running: list) -> list:
    """`waiting`, reordered round-robin by client address: each address's k-th waiting
    request (counting its running ones first) goes behind every address's (k-1)-th. Stable:
    one address alone (a classroom behind one NAT) keeps its order."""
    seen = {}
    for event in running:
        seen[address_of(event)] = seen.get(address_of(event), 0) + 1
    ranks = []
    for event in waiting:
        key = address_of(event)
        ranks.append(seen.get(key, 0))
        seen[key] = seen.get(key, 0) + 1
    return [event for _, event in sorted(zip(ranks, waiting), key=lambda pair: pair[0])]


def fair_queue(blocks) -> None:
    """Make Gradio's queue (FIFO) fair: after each push, every waiting list is put in
    fair_order. Runs in the event loop, as Gradio's own queue code does: nothing interleaves."""
    queue = blocks._queue
    push = queue.push

    async def push_fairly(*args, **kwargs):
        result = await push(*args, **kwargs)
        running = running_events(queue)
        for event_queue in queue.event_queue_per_concurrency_id.values():
            event_queue.queue[:] = fair_order(event_queue.queue, running)
        return result
    queue.push = push_fairly


def running_events(queue) -> list:
    """The events Gradio's queue is running now (copied: the queue changes as we read)."""
    return [event for job in list(queue.active_jobs) if job for event in list(job)]


def queued_events(blocks) -> list:
    """The events waiting in Gradio's queue or running now (copied: the queue changes as we read)."""
    queue = blocks._queue
    waiting = [event for event_queue in list(queue.event_queue_per_concurrency_id.values())
               for event in list(event_queue.queue)]
    return waiting + running_events(queue)


async def read_body(receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def replay(body: bytes, receive):
    """A `receive` that hands the app the body already read, then the rest of the connection."""
    sent = False

    async def receive_again():
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}
    return receive_again


async def refuse(send, status: int, detail: str):
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def middleware(blocks, **limits):
    """The Guard for `blocks` (whose queue it also makes fair), as FastAPI's
    `middleware=[...]` takes it (launch's app_kwargs). Call after `blocks.queue(...)`."""
    from starlette.middleware import Middleware
    fair_queue(blocks)
    return Middleware(Guard, blocks=blocks, **limits)
