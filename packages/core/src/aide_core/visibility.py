"""Which of a server's tools are listed right now, and telling clients when that changes.

A server may list tools by what its configuration allows (Gmail: the signed-in accounts' scopes). That changes while
the server runs (a sign-in in another terminal), so the set is not fixed at build: `ToolVisibility` re-evaluates it
when the server's declared `changes(runtime)` stamp moves (a cheap `stat` of the account index), or at every
request when the server declares no stamp. The set is the caller's own: the checks run in the request's context,
so a server whose tools follow each person's accounts lists each person what their accounts allow.

`ListChanged`, a middleware on the SDK's public `middleware=` seam, checks before each request and, when the
caller's set changed, tells clients the SDK's way for their protocol era: an event on the server's subscription bus
(2026-07-28 `subscriptions/listen`; a listener of another user lists again and gets their own, unchanged set) and,
for a 2025-era session, a `notifications/tools/list_changed` on that session. The client then lists again.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable, Sequence
from typing import Any, NamedTuple

import anyio.to_thread
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.subscriptions import SubscriptionBus
from mcp.shared.subscriptions import PromptsListChanged, ToolsListChanged
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

logger = logging.getLogger("aide.server")


class View(NamedTuple):
    """What one caller is shown: the tools listed, and the optional arguments left out of every listed schema
    (Google's `account` when the caller has one account: it can only name that one)."""

    listed: frozenset[str]
    hidden_arguments: frozenset[str] = frozenset()


class ToolVisibility:
    """The listed subset of `names` for the caller `who()` names: `visible(name)` for each, evaluated in the
    caller's context and re-evaluated when `changes()` returns a new stamp (always, when `changes` is None).

    Each caller has their own set (one user may have signed in an account that another has not), kept for the
    `MAX_CALLERS` most recent callers."""

    MAX_CALLERS = 1024

    def __init__(
        self,
        names: Sequence[str],
        visible: Callable[[str], bool],
        changes: Callable[[], Hashable] | None = None,
        who: Callable[[], Hashable] = lambda: None,
        hidden: Callable[[], Collection[str]] | None = None,
    ) -> None:
        self._names = tuple(names)
        self._visible = visible
        self._changes = changes
        self._who = who
        self._hidden = hidden
        self._lock = threading.Lock()
        self._known: OrderedDict[Hashable, tuple[Hashable, View]] = OrderedDict()

    def current(self) -> frozenset[str]:
        return self.refresh()[0].listed

    def view(self) -> View:
        """The tools listed for this caller and the optional arguments left out of their schemas."""
        return self.refresh()[0]

    def refresh(self) -> tuple[View, bool]:
        """What this caller is listed, and whether it differs from what this caller was last given."""
        stamp = self._stamp_now()
        caller = self._who()
        with self._lock:
            known = self._known.get(caller)
            if known is not None and self._changes is not None and stamp == known[0]:
                self._known.move_to_end(caller)
                return known[1], False
        listed = View(frozenset(name for name in self._names if self._visible(name)), self._hidden_now())
        with self._lock:
            changed = known is not None and listed != known[1]
            self._known[caller] = (stamp, listed)
            self._known.move_to_end(caller)
            while len(self._known) > self.MAX_CALLERS:
                self._known.popitem(last=False)
        return listed, changed

    def _hidden_now(self) -> frozenset[str]:
        if self._hidden is None:
            return frozenset()
        try:
            return frozenset(self._hidden())
        except Exception:
            logger.warning("the hidden-arguments check failed; showing every argument", exc_info=True)
            return frozenset()

    def _stamp_now(self) -> Hashable:
        if self._changes is None:
            return None
        try:
            return self._changes()
        except Exception:
            logger.warning("the tool visibility stamp failed; re-evaluating", exc_info=True)
            return object()  # never equal: evaluate again


class ListChanged:
    """Before each request: when the listed tools changed, tell the clients (see the module docstring). With
    `prompts`, the server lists prompts by the tools they use (`aide_core.prompts`), so their list may have changed
    too and clients are told that as well."""

    def __init__(self, visibility: ToolVisibility, bus: SubscriptionBus, *, prompts: bool = False) -> None:
        self._visibility = visibility
        self._bus = bus
        self._prompts = prompts

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.request_id is not None and ctx.method != "initialize":
            _, changed = await anyio.to_thread.run_sync(self._visibility.refresh)  # checks may read files
            if changed:
                await self._bus.publish(ToolsListChanged())
                if self._prompts:
                    await self._bus.publish(PromptsListChanged())
                if ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS:
                    await ctx.session.send_tool_list_changed()
                    if self._prompts:
                        await ctx.session.send_prompt_list_changed()
        return await call_next(ctx)
