"""The console's web server (starlette on uvicorn): the page, the layout, the event stream, the controls.

Routes and messages are console/protocol.py's. Viewers may be many; each gets a snapshot, then every
batch (a viewer too slow to keep up is dropped and reconnects to a new snapshot). The layout, the
stream and the controls need the URL's token (``Authorization: Bearer TOKEN``, or ``?token=TOKEN`` on
the read routes, as an EventSource sends no headers): another page in the browser, or one that
rebinds a name to 127.0.0.1, can neither read the drill nor steer it.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from importlib.resources import files
from pathlib import Path
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from lalert_sim.console.live import ControlError
from lalert_sim.console.protocol import (
    AUTHORIZATION,
    BEARER,
    CONTROL,
    PAGE,
    SCENARIO,
    STATIC,
    STREAM,
    TOKEN_PARAMETER,
    Batch,
    Clock,
    Layout,
)

MAX_CONTROL_BYTES = 2 * 1024 * 1024
"""Largest control request (a CAP file travels in one)."""
VIEWER_BACKLOG = 100
"""Messages a viewer may fall behind (about ten seconds) before it is dropped."""
KEEPALIVE_S = 15.0
"""A comment line this often keeps idle streams open through proxies."""
STATIC_DIR = Path(str(files("lalert_sim.console") / "static"))


class Controller(Protocol):
    """What the server steers: a live run or a replay."""

    def control(self, body: Mapping[str, Any]) -> float:
        """Do one control request; its simulation time (ValueError: 400, ControlError: 422)."""

    def clock_state(self) -> Clock:
        """The clock as the stream reports it."""


def encode(batch: Batch) -> str:
    """One server-sent event holding ``batch``."""
    return f"data: {json.dumps(batch, separators=(',', ':'), allow_nan=False)}\n\n"


class Hub:
    """Hands every batch to every viewer; thread-safe (batches come from the engine's thread)."""

    def __init__(self, snapshot: Callable[[], Batch]) -> None:
        self._snapshot = snapshot
        self._lock = threading.Lock()
        self._viewers: dict[asyncio.Queue[str | None], asyncio.AbstractEventLoop] = {}

    def publish(self, batch: Batch) -> None:
        """Send ``batch`` to every viewer."""
        message = encode(batch)
        with self._lock:
            for queue, loop in list(self._viewers.items()):
                loop.call_soon_threadsafe(self._offer, queue, message)

    def emit(self, make: Callable[[], Batch]) -> None:
        """Make a batch and send it, with no viewer joining in between (so none misses or repeats it)."""
        with self._lock:
            message = encode(make())
            for queue, loop in list(self._viewers.items()):
                loop.call_soon_threadsafe(self._offer, queue, message)

    def join(self) -> tuple[str, asyncio.Queue[str | None]]:
        """A new viewer: its snapshot and the queue of what follows."""
        queue: asyncio.Queue[str | None] = asyncio.Queue(VIEWER_BACKLOG)
        with self._lock:
            first = encode(self._snapshot())
            self._viewers[queue] = asyncio.get_running_loop()
        return first, queue

    def leave(self, queue: asyncio.Queue[str | None]) -> None:
        """A viewer went away."""
        with self._lock:
            self._viewers.pop(queue, None)

    def close(self) -> None:
        """End every stream (the server is shutting down)."""
        with self._lock:
            for queue, loop in self._viewers.items():
                loop.call_soon_threadsafe(_end, queue)

    def _offer(self, queue: asyncio.Queue[str | None], message: str) -> None:
        try:
            queue.put_nowait(message)
        except asyncio.QueueFull:  # too slow: end its stream; it reconnects and starts from a snapshot
            self.leave(queue)
            _end(queue)

    @property
    def viewers(self) -> int:
        """How many viewers are connected."""
        with self._lock:
            return len(self._viewers)


def _end(queue: asyncio.Queue[str | None]) -> None:
    while True:
        try:
            queue.put_nowait(None)
            return
        except asyncio.QueueFull:
            queue.get_nowait()


def new_token() -> str:
    """A fresh access token for the printed URL."""
    return secrets.token_urlsafe(24)


def console_url(host: str, port: int, token: str) -> str:
    """The URL to open: the page with its access token."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/?{TOKEN_PARAMETER}={token}"


def console_app(layout: Layout, hub: Hub, controller: Controller, token: str) -> Starlette:
    """The ASGI application serving one console."""
    layout_body = json.dumps(layout, ensure_ascii=False, allow_nan=False).encode()

    async def page(_request: Request) -> Response:
        index = STATIC_DIR / "index.html"
        if not index.is_file():
            return PlainTextResponse("the console page is not installed (lalert_sim/console/static)", 404)
        return FileResponse(index, headers={"Cache-Control": "no-store"})

    async def static(request: Request) -> Response:
        root = STATIC_DIR.resolve()
        path = (root / request.path_params["name"]).resolve()
        if not path.is_relative_to(root) or not path.is_file():  # nothing outside the page's own folder
            return PlainTextResponse("not found", 404)
        return FileResponse(path, headers={"Cache-Control": "no-cache"})

    async def scenario(request: Request) -> Response:
        refused = _refusal(_presented(request), token)
        if refused is not None:
            return refused
        return Response(layout_body, media_type="application/json", headers={"Cache-Control": "no-store"})

    async def stream(request: Request) -> Response:
        refused = _refusal(_presented(request), token)
        if refused is not None:
            return refused
        first, queue = hub.join()

        async def events() -> AsyncIterator[str]:
            try:
                yield first
                while True:
                    try:
                        message = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
                    except TimeoutError:
                        if await request.is_disconnected():
                            return
                        yield ": keep-alive\n\n"
                        continue
                    if message is None:
                        return
                    yield message
            finally:
                hub.leave(queue)

        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        return StreamingResponse(events(), media_type="text/event-stream", headers=headers)

    async def control(request: Request) -> Response:
        refused = _refusal(request.headers.get(AUTHORIZATION), token)
        if refused is not None:
            return refused
        body = await request.body()
        if len(body) > MAX_CONTROL_BYTES:
            return _error(413, f"a control request may hold at most {MAX_CONTROL_BYTES:,} bytes")
        try:
            parsed = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            return _error(400, f"the body must be a JSON object: {exc}")
        if not isinstance(parsed, dict):
            return _error(400, "the body must be a JSON object with an action")
        try:
            sim_s = await asyncio.to_thread(controller.control, parsed)
        except ControlError as exc:
            return _error(422, str(exc))
        except ValueError as exc:
            return _error(400, str(exc))
        return JSONResponse({"ok": True, "sim_s": sim_s})

    routes = [
        Route(PAGE, page),
        Route(SCENARIO, scenario),
        Route(STREAM, stream),
        Route(CONTROL, control, methods=["POST"]),
        Route(STATIC + "/{name:path}", static),
    ]
    return Starlette(routes=routes)


def _presented(request: Request) -> str | None:
    """The token a read request presents, as an Authorization header: its own, or one made of ``?token=``."""
    header = request.headers.get(AUTHORIZATION)
    if header is None and TOKEN_PARAMETER in request.query_params:
        return BEARER + request.query_params[TOKEN_PARAMETER]
    return header


def _refusal(header: str | None, token: str) -> Response | None:
    """401 without a bearer token, 403 with a wrong one, None with the right one."""
    if not header or not header.startswith(BEARER):
        return JSONResponse(
            {"ok": False, "error": "this needs the URL's token: Authorization: Bearer TOKEN (or ?token=TOKEN to read)"},
            401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not secrets.compare_digest(header[len(BEARER) :].encode(), token.encode()):
        return JSONResponse({"ok": False, "error": "wrong access token"}, 403)
    return None


def _error(status: int, message: str) -> Response:
    return JSONResponse({"ok": False, "error": message}, status)


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound, listening TCP socket (``port`` 0: a free one); OSError if the address is taken or wrong."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


async def serve(app: Starlette, sock: socket.socket, hub: Hub, stop: asyncio.Event) -> None:
    """Serve ``app`` on ``sock`` until ``stop`` is set (the caller handles Ctrl-C and SIGTERM)."""
    import uvicorn

    class Server(uvicorn.Server):
        @contextmanager
        def capture_signals(self) -> Iterator[None]:  # the console's own handlers stay in place
            yield

    server = Server(uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1))
    serving = asyncio.ensure_future(server.serve(sockets=[sock]))
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait([serving, stopping], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        hub.close()
        server.should_exit = True
        with suppress(asyncio.CancelledError):
            await serving
