"""Which of a server's tools are listed right now, and telling clients when that changes.

A server may list tools by what its configuration allows (Gmail: the signed-in accounts' scopes). That changes while
the server runs (a sign-in in another terminal), so the set is not fixed at build: `ToolVisibility` re-evaluates it
when the server's declared `changes(runtime)` stamp moves (a cheap `stat` of the account index), or at every
request when the server declares no stamp. `ListChanged`, a middleware on the SDK's public `middleware=` seam,
checks before each request and, when the set changed, tells clients the SDK's way for their protocol era: an event
on the server's subscription bus (2026-07-28 `subscriptions/listen`) and, for a 2025-era session, a
`notifications/tools/list_changed` on that session. The client then lists again and gets the new set.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import anyio.to_thread
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.subscriptions import SubscriptionBus
from mcp.shared.subscriptions import ToolsListChanged
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

logger = logging.getLogger("aide.server")


class ToolVisibility:
    """The listed subset of `names`: `visible(name)` for each, re-evaluated when `changes()` returns a new stamp
    (always, when `changes` is None)."""

    def __init__(
        self,
        names: Sequence[str],
        visible: Callable[[str], bool],
        changes: Callable[[], Hashable] | None = None,
    ) -> None:
        self._names = tuple(names)
        self._visible = visible
        self._changes = changes
        self._lock = threading.Lock()
        self._stamp: Hashable = None
        self._current: frozenset[str] | None = None

    def current(self) -> frozenset[str]:
        return self.refresh()[0]

    def refresh(self) -> tuple[frozenset[str], bool]:
        """The listed names, and whether they differ from what the previous call returned."""
        stamp = self._stamp_now()
        with self._lock:
            if self._current is not None and self._changes is not None and stamp == self._stamp:
                return self._current, False
        listed = frozenset(name for name in self._names if self._visible(name))
        with self._lock:
            changed = self._current is not None and listed != self._current
            self._current, self._stamp = listed, stamp
        return listed, changed

    def _stamp_now(self) -> Hashable:
        if self._changes is None:
            return None
        try:
            return self._changes()
        except Exception:
            logger.warning("the tool visibility stamp failed; re-evaluating", exc_info=True)
            return object()  # never equal: evaluate again


class ListChanged:
    """Before each request: when the listed tools changed, tell the clients (see the module docstring)."""

    def __init__(self, visibility: ToolVisibility, bus: SubscriptionBus) -> None:
        self._visibility = visibility
        self._bus = bus

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.request_id is not None and ctx.method != "initialize":
            _, changed = await anyio.to_thread.run_sync(self._visibility.refresh)  # checks may read files
            if changed:
                await self._bus.publish(ToolsListChanged())
                if ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS:
                    await ctx.session.send_tool_list_changed()
        return await call_next(ctx)
