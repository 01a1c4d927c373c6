"""uvicorn on a background thread, on a socket bound before the thread starts.

Binding first means the port is known at once (port 0 picks a free one) and a client that connects before the
server loop runs waits in the listen backlog instead of being refused: nothing has to wait for "ready".

The HTTP protocol is uvicorn's h11 one with one addition: each request's scope carries a callable that aborts its
connection (`faults.ABORT_KEY`), which is how an injected fault drops a connection without answering; ASGI itself
has no way to do that.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from aide_sandbox.faults import ABORT_KEY


class _AbortableH11(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        sock: socket.socket | None = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            # uvicorn writes the head and the body of a response separately: without this, Nagle holds the body
            # until the client's delayed ACK, 40 ms per request.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        inner: Any = self.app

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            scope[ABORT_KEY] = transport.abort
            await inner(scope, receive, send)

        self.app = app  # pyright: ignore[reportAttributeAccessIssue]


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    return sock


class ServerThread:
    """Serves `app` on `sock` until `stop()`."""

    def __init__(self, app: ASGIApp, sock: socket.socket, *, log_level: str = "warning") -> None:
        self.sock = sock
        config = uvicorn.Config(
            app, http=_AbortableH11, lifespan="off", log_config=None, log_level=log_level, access_log=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, name="aide-sandbox", daemon=True)

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        try:
            asyncio.run(self.server.serve(sockets=[self.sock]))
        finally:
            self.sock.close()

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(timeout=10)
