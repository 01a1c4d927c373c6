"""uvicorn on a background thread, on a socket bound before the thread starts.

Binding first means the port is known at once (port 0 picks a free one) and a client that connects before the
server loop runs waits in the listen backlog instead of being refused: nothing has to wait for "ready".

The HTTP protocol is uvicorn's h11 one with two additions, because ASGI itself has no way to touch a connection:
each request's scope carries a callable that aborts its connection (`faults.ABORT_KEY`), which is how an injected
fault drops a connection without answering (before acting, or in place of the answer: `faults.answer_or_drop`),
and one that closes the server's idle keep-alive connections (`faults.CLOSE_IDLE_KEY`, for the admin API; tests
call `ServerThread.close_idle`). Idle connections also close by themselves after `keep_alive` seconds, as a real
server's do.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import threading
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from aide_core.errors import AideError
from aide_sandbox.faults import ABORT_KEY, CLOSE_IDLE_KEY, answer_or_drop

logger = logging.getLogger("aide.sandbox")

#: Seconds an idle keep-alive connection stays open (uvicorn's and Apache's default; nginx's is 75).
KEEP_ALIVE = 5


class _AbortableH11(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self.lost = asyncio.Event()
        super().connection_made(transport)
        sock: socket.socket | None = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            # uvicorn writes the head and the body of a response separately: without this, Nagle holds the body
            # until the client's delayed ACK, 40 ms per request.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        inner: Any = self.app

        connections: set[Any] = self.connections

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            scope[ABORT_KEY] = transport.abort
            scope[CLOSE_IDLE_KEY] = lambda: close_idle(connections)
            await inner(scope, receive, answer_or_drop(scope, receive, send))

        self.app = app  # pyright: ignore[reportAttributeAccessIssue]

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self.lost.set()

    def close_if_idle(self) -> bool:
        """Close the connection if no request is in progress on it (True), as the keep-alive timeout would."""
        if self.transport.is_closing() or (self.cycle is not None and not self.cycle.response_complete):
            return False
        self.timeout_keep_alive_handler()
        return True


async def close_idle(connections: set[Any]) -> int:
    """Close every idle keep-alive connection among `connections` (a server's), and wait until they are closed,
    so that a client's next write to one of them finds it gone. Returns how many were closed."""
    closing = [c for c in list(connections) if isinstance(c, _AbortableH11) and c.close_if_idle()]
    if closing:
        await asyncio.wait_for(asyncio.gather(*(c.lost.wait() for c in closing)), timeout=10)
    return len(closing)


def bind(host: str, port: int) -> socket.socket:
    """A socket listening on `host`:`port`. One that cannot be had is an `AideError` saying what to do, in the words
    of core's `aide serve` (`aide_core.http.bind_socket`): the port is taken, or the address is not this machine's."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:
            hint = "Give an address of this machine with --host, such as 127.0.0.1."
        else:
            hint = "Stop what uses it, or choose another port with --port (0 picks a free one)."
        raise AideError(f"cannot listen on {host}:{port} ({exc.strerror or exc})", hint=hint) from None
    sock.listen(128)
    return sock


class ServerThread:
    """Serves `app` on `sock` until `stop()`."""

    def __init__(
        self, app: ASGIApp, sock: socket.socket, *, log_level: str = "warning", keep_alive: int = KEEP_ALIVE
    ) -> None:
        self.sock = sock
        config = uvicorn.Config(
            app,
            http=_AbortableH11,
            lifespan="off",
            log_config=None,
            log_level=log_level,
            access_log=False,
            timeout_keep_alive=keep_alive,
        )
        self.server = uvicorn.Server(config)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread = threading.Thread(target=self._run, name="aide-sandbox", daemon=True)

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        finally:
            self.sock.close()

    async def _serve(self) -> None:
        self.loop = asyncio.get_running_loop()
        await self.server.serve(sockets=[self.sock])

    def close_idle(self) -> int:
        """Close the idle keep-alive connections now, from any thread but the server's; returns how many."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return 0  # not serving yet: no connection was accepted
        connections: set[Any] = self.server.server_state.connections
        return asyncio.run_coroutine_threadsafe(close_idle(connections), loop).result(timeout=15)

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(timeout=3)
        if self.thread.is_alive():
            # A request still open (a client that never finished sending) holds uvicorn's graceful stop up for as
            # long as the client likes. The thread is a daemon: leave it, and the process ends without it. (Forcing
            # uvicorn's exit instead cancels the request, which it logs as a traceback.)
            logger.warning("sandbox: a request was still open after 3 s; stopped without waiting for it")
