"""A server's lifespan (`ServerSpec(lifespan=...)`), entered once however many times the SDK enters it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

import anyio

if TYPE_CHECKING:
    from aide_core.server import Runtime


class SharedLifespan:
    """The spec's lifespan, entered once for a server however many times the SDK enters the server's lifespan.

    The SDK enters it once per run of the streamable-HTTP session manager (`aide serve`), once per stdio run, and
    once per connection on the paths that run a connection on their own (an SSE client, an in-process `Client`).
    Clients, connections and pools are for the whole server: the first entry enters the spec's lifespan, later
    ones share what it yielded, and the last one out exits it. What it yields is the request context's
    `lifespan_context` (a tool's `ctx: Context`) and `runtime.lifespan_state`."""

    def __init__(self, factory: Callable[[Runtime[Any]], AbstractAsyncContextManager[Any]], runtime: Runtime[Any]):
        self._factory = factory
        self._runtime = runtime
        self._entered: AbstractAsyncContextManager[Any] | None = None
        self._users = 0
        self._lock = anyio.Lock()

    @contextlib.asynccontextmanager
    async def __call__(self, _server: Any) -> AsyncGenerator[Any]:
        async with self._lock:
            if self._users == 0:
                entered = self._factory(self._runtime)
                self._runtime.lifespan_state = await entered.__aenter__()
                self._entered = entered
            self._users += 1
        try:
            yield self._runtime.lifespan_state
        finally:
            with anyio.CancelScope(shield=True):
                async with self._lock:
                    self._users -= 1
                    if self._users == 0 and self._entered is not None:
                        entered, self._entered = self._entered, None
                        self._runtime.lifespan_state = None
                        await entered.__aexit__(None, None, None)
