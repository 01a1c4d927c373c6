"""Composition: one `mcp.Client` per server, started in parallel, and one table of tools the model can call.

A server that fails to start is reported (`Toolbox.failures`) and the others keep working. A server whose
connection drops (a stdio child that died, an HTTP server that went away) is restarted or reconnected, with backoff,
the next time one of its tools is called; the call that found it dead becomes a tool error the model reads, so the
model decides whether to try again (retrying a send by itself could send twice). A call that runs past the server's
timeout also becomes a tool error.
"""

from __future__ import annotations

import contextvars
import json
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any, cast

import anyio
from anyio.abc import TaskGroup
from mcp import Client
from mcp.client.session import ClientRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types import (
    CONNECTION_CLOSED,
    REQUEST_TIMEOUT,
    CallToolResult,
    ElicitRequestFormParams,
    ElicitRequestParams,
    ElicitResult,
    TextContent,
    Tool,
)

from aide_agent.messages import ToolSpec
from aide_agent.names import ToolTable
from aide_agent.servers import ServerConfig

log = logging.getLogger(__name__)

#: The exposed tool name being run by the current task, so a server's elicitation can say which call it is about.
current_call: contextvars.ContextVar[str | None] = contextvars.ContextVar("aide_agent_call", default=None)

Elicit = Callable[[str, ElicitRequestParams], Awaitable[ElicitResult]]
Notify = Callable[[str], None]
RESTART_DELAYS = (0.0, 0.5, 2.0)


@dataclass(frozen=True)
class ToolInfo:
    exposed: str
    server: str
    tool: Tool

    @property
    def spec(self) -> ToolSpec:
        return ToolSpec(name=self.exposed, description=self.tool.description or "", parameters=self.tool.input_schema)


@dataclass(frozen=True)
class ToolOutcome:
    """What one call returned, as the model will read it."""

    text: str
    is_error: bool
    server: str
    tool: str
    seconds: float
    structured: Any = None


class ConnectionLost(Exception):
    """The server's connection is gone; the caller restarts it."""


_LOST = (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream, OSError, ConnectionLost)


class Connection:
    """One server's client, kept open by its own task (anyio requires a context to be left in the task that
    entered it), so a restart is: stop that task, start another."""

    def __init__(self, config: ServerConfig, elicit: Elicit | None) -> None:
        self.config = config
        self._elicit = elicit
        self.client: Client | None = None
        self.tools: list[Tool] = []
        self.error: str | None = None
        self.restarts = 0
        self._stop = anyio.Event()
        self._scope = anyio.CancelScope()
        self._lock = anyio.Lock()
        self.generation = 0

    def _make_client(self, stack: AsyncExitStack) -> Client:
        target: Any = self.config.target
        headers = dict(self.config.headers)
        if self.config.token:
            headers["Authorization"] = f"Bearer {self.config.token}"
        if isinstance(target, str) and self.config.transport == "sse":
            from mcp.client.sse import sse_client

            target = sse_client(target, headers=headers or None)
        elif isinstance(target, str) and headers:
            import httpx2
            from mcp.client.streamable_http import streamable_http_client

            http = httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=300))
            stack.push_async_callback(http.aclose)
            target = streamable_http_client(target, http_client=http)
        mode = "legacy" if self.config.transport == "sse" and isinstance(self.config.target, str) else "auto"
        return Client(target, mode=mode, elicitation_callback=self._on_elicit, read_timeout_seconds=self.config.timeout)

    async def _on_elicit(self, context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        if self._elicit is None:
            return ElicitResult(action="decline")
        return await self._elicit(self.config.name, params)

    async def serve(self, ready: anyio.Event) -> None:
        """Open the client, list the tools, and hold the connection until stopped."""
        self._stop = anyio.Event()
        self._scope = anyio.CancelScope()
        with self._scope:
            try:
                async with AsyncExitStack() as stack:
                    client = await stack.enter_async_context(self._make_client(stack))
                    tools: list[Tool] = []
                    cursor: str | None = None
                    while True:
                        page = await client.list_tools(cursor=cursor)
                        tools.extend(page.tools)
                        cursor = page.next_cursor
                        if cursor is None:
                            break
                    self.client, self.tools, self.error = client, tools, None
                    ready.set()
                    await self._stop.wait()
            except Exception as exc:
                self.error = _describe(exc)
                log.warning("server %s: %s", self.config.name, self.error)
            finally:
                self.client = None
                ready.set()

    def abort(self) -> None:
        """Give up on a start that hangs: cancel the task (a stdio child is terminated by the SDK's cleanup)."""
        self._stop.set()
        self._scope.cancel()

    def stop(self) -> None:
        self._stop.set()


def _describe(exc: BaseException) -> str:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if str(exc) else text


def result_text(result: CallToolResult) -> str:
    """A tool result as the model reads it: structured content as compact JSON, else the text blocks."""
    structured = result.structured_content
    if structured is not None and not result.is_error:
        if isinstance(structured, dict) and list(cast(dict[str, Any], structured)) == ["result"]:
            structured = cast(dict[str, Any], structured)["result"]  # the SDK's wrapper around a scalar return
            if isinstance(structured, str):
                return structured
        return json.dumps(structured, separators=(",", ":"), ensure_ascii=False, default=str)
    parts = [block.text if isinstance(block, TextContent) else f"[{block.type}]" for block in result.content]
    return "\n".join(parts)


@dataclass
class Toolbox:
    """Every composed server's tools behind one table. Use as `async with Toolbox(configs) as box:`."""

    configs: list[ServerConfig]
    elicit: Elicit | None = None
    notify: Notify | None = None
    start_timeout: float = 30.0
    #: Waits before each attempt to bring a dead server back (the first is at once).
    restart_delays: tuple[float, ...] = RESTART_DELAYS
    #: A server that failed to start is tried again before a run at most this often (seconds).
    retry_interval: float = 30.0
    connections: dict[str, Connection] = field(default_factory=dict[str, Connection])
    failures: dict[str, str] = field(default_factory=dict[str, str])
    table: ToolTable = field(default_factory=ToolTable)
    _tools: dict[str, ToolInfo] = field(default_factory=dict[str, ToolInfo])
    _last_try: dict[str, float] = field(default_factory=dict[str, float])
    _stack: AsyncExitStack | None = None
    _group: TaskGroup | None = None

    async def __aenter__(self) -> Toolbox:
        self._stack = AsyncExitStack()
        self._group = await self._stack.enter_async_context(anyio.create_task_group())
        self.connections = {c.name: Connection(c, self.elicit) for c in self.configs}
        async with anyio.create_task_group() as starting:
            for connection in self.connections.values():
                starting.start_soon(self._start, connection)
        for connection in self.connections.values():  # in configuration order, so names are stable
            self._index(connection)
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        for connection in self.connections.values():
            connection.stop()
        assert self._stack is not None
        try:
            await self._stack.__aexit__(*exc_info)
        finally:
            for config in self.configs:
                if config.close is not None:
                    config.close()

    def _say(self, text: str) -> None:
        log.info("%s", text)
        if self.notify is not None:
            self.notify(text)

    async def _start(self, connection: Connection) -> bool:
        assert self._group is not None
        ready = anyio.Event()
        self._group.start_soon(connection.serve, ready)
        with anyio.move_on_after(self.start_timeout):
            await ready.wait()
        self._last_try[connection.config.name] = time.monotonic()
        if connection.client is None:
            connection.abort()
            reason = connection.error or f"no answer within {self.start_timeout:g} s"
            self.failures[connection.config.name] = reason
            self._say(f"server {connection.config.name} failed to start: {reason}")
            return False
        self.failures.pop(connection.config.name, None)
        return True

    async def retry_failed(self) -> None:
        """Try again, concurrently, the servers that failed to start (at most every `retry_interval` seconds), so a
        server that comes up later is picked up by the next run."""
        now = time.monotonic()
        due = [
            self.connections[name]
            for name in self.failures
            if now - self._last_try.get(name, 0.0) >= self.retry_interval and self.connections[name].client is None
        ]
        if not due:
            return

        async def again(connection: Connection) -> None:
            if await self._start(connection):
                self._index(connection)
                self._say(f"server {connection.config.name} is available now")

        async with anyio.create_task_group() as group:
            for connection in due:
                group.start_soon(again, connection)

    def _index(self, connection: Connection) -> None:
        name = connection.config.name
        for exposed in [e for e, info in self._tools.items() if info.server == name]:
            del self._tools[exposed]
        for tool in connection.tools:
            if connection.config.allows(tool.name):
                exposed = self.table.add(name, tool.name)
                self._tools[exposed] = ToolInfo(exposed, name, tool)

    # -- reading -------------------------------------------------------------------------------------------------

    @property
    def tools(self) -> list[ToolInfo]:
        return list(self._tools.values())

    def specs(self) -> list[ToolSpec]:
        return [info.spec for info in self._tools.values()]

    def info(self, exposed: str) -> ToolInfo | None:
        return self._tools.get(exposed)

    def has(self, server: str) -> bool:
        connection = self.connections.get(server)
        return connection is not None and connection.client is not None

    # -- calling -------------------------------------------------------------------------------------------------

    async def call(self, exposed: str, arguments: dict[str, Any]) -> ToolOutcome:
        """Run one tool by its exposed name. Every failure comes back as an error outcome, never an exception."""
        route = self.table.route(exposed)
        info = self._tools.get(exposed)
        if route is None or info is None:
            return ToolOutcome(f"No tool named {exposed!r}; use one of the tools listed.", True, "", exposed, 0.0)
        server, tool = route
        token = current_call.set(exposed)
        try:
            return await self.call_server(server, tool, arguments)
        finally:
            current_call.reset(token)

    async def call_server(self, server: str, tool: str, arguments: dict[str, Any]) -> ToolOutcome:
        """Run `tool` of `server` by its own name (the loop's retrieve and learn steps use this)."""
        connection = self.connections[server]
        started = time.perf_counter()

        def outcome(text: str, is_error: bool, structured: Any = None) -> ToolOutcome:
            return ToolOutcome(text, is_error, server, tool, time.perf_counter() - started, structured)

        client = connection.client
        generation = connection.generation
        if client is None:
            if not await self.restart(server, generation):
                return outcome(f"The {server} server is not running ({self.failures.get(server)}).", True)
            client = connection.client
            assert client is not None
        try:
            result = await client.call_tool(tool, arguments, read_timeout_seconds=connection.config.timeout)
        except MCPError as exc:
            if exc.code == REQUEST_TIMEOUT:
                return outcome(f"{tool} timed out after {connection.config.timeout:g} s.", True)
            if exc.code != CONNECTION_CLOSED:
                return outcome(f"{tool} failed: {exc.error.message}", True)
            return await self._lost(server, tool, generation, outcome)
        except TimeoutError:
            return outcome(f"{tool} timed out after {connection.config.timeout:g} s.", True)
        except _LOST:
            return await self._lost(server, tool, generation, outcome)
        return outcome(result_text(result), bool(result.is_error), result.structured_content)

    async def _lost(
        self, server: str, tool: str, generation: int, outcome: Callable[[str, bool], ToolOutcome]
    ) -> ToolOutcome:
        self._say(f"server {server} stopped during {tool}; restarting it")
        restarted = await self.restart(server, generation)
        state = "was restarted" if restarted else f"could not be restarted ({self.failures.get(server)})"
        return outcome(
            f"The {server} server stopped while running {tool} and {state}; the call may not have run.", True
        )

    async def restart(self, server: str, generation: int | None = None) -> bool:
        """Start `server` again, with backoff. Concurrent callers that saw the same failure restart it once."""
        connection = self.connections[server]
        async with connection._lock:  # pyright: ignore[reportPrivateUsage]
            if generation is not None and connection.generation != generation and connection.client is not None:
                return True
            connection.stop()
            for delay in self.restart_delays:
                if delay:
                    await anyio.sleep(delay)
                if await self._start(connection):
                    connection.generation += 1
                    connection.restarts += 1
                    self._index(connection)
                    self._say(f"server {server} restarted")
                    return True
            return False

    async def read_resource(self, server: str, uri: str) -> str | None:
        """A resource's text, or None when the server cannot give it."""
        connection = self.connections.get(server)
        if connection is None or connection.client is None:
            return None
        try:
            result = await connection.client.read_resource(uri)
        except (MCPError, *_LOST):
            return None
        return "\n".join(getattr(item, "text", "") for item in result.contents)

    def elicitation_form(self, params: ElicitRequestParams) -> dict[str, Any] | None:
        if isinstance(params, ElicitRequestFormParams):
            return dict(params.requested_schema)
        return None
