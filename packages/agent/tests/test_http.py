"""Servers reached over HTTP (streamable HTTP and SSE) with a bearer token, and brought back after going away."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import pytest
from anyio.abc import TaskGroup
from mcp.server import MCPServer

from aide_agent import Assistant, Message, Notice, ScriptedModel, ToolSpec, call, url
from aide_agent.events import Event
from aide_agent.providers.scripted import Turn
from aide_core.http import bind_socket, build_app, serve
from aide_core.settings import AideSettings

pytestmark = pytest.mark.anyio
TOKEN = "agent-test-token"


@asynccontextmanager
async def serving(settings: AideSettings, servers: dict[str, MCPServer], port: int = 0) -> AsyncIterator[int]:
    sock = bind_socket("127.0.0.1", port)
    async with anyio.create_task_group() as group:
        group.start_soon(serve, build_app(servers, settings.http, TOKEN), sock)
        try:
            yield sock.getsockname()[1]
        finally:
            group.cancel_scope.cancel()


def activity(settings: AideSettings) -> dict[str, MCPServer]:
    from aide_core.activity import spec

    return {"activity": spec.build(settings)}


@pytest.mark.parametrize("transport", ["streamable-http", "sse"])
async def test_a_server_over_http_with_a_token_is_composed(settings: AideSettings, transport: str) -> None:
    model = ScriptedModel([[call("remote__list_activity")], lambda m, _: m[-1].text])
    async with serving(settings, activity(settings)) as port:
        path = "mcp" if transport == "streamable-http" else "sse"
        config = url("remote", f"http://127.0.0.1:{port}/activity/{path}", transport=transport, token=TOKEN)  # type: ignore[arg-type]
        with anyio.fail_after(20):
            async with Assistant([config], model) as assistant:
                result = await assistant.run("what happened?")
    assert json.loads(result.text)["actions"] == []


async def test_a_wrong_token_is_a_start_failure_not_a_crash(settings: AideSettings) -> None:
    async with serving(settings, activity(settings)) as port:
        config = url("remote", f"http://127.0.0.1:{port}/activity/mcp", token="wrong")
        with anyio.fail_after(20):
            async with Assistant([config], ScriptedModel([])) as assistant:
                assert "remote" in assistant.toolbox.failures
                assert assistant.toolbox.specs() == []


async def start(group: TaskGroup, settings: AideSettings, port: int = 0) -> tuple[int, anyio.CancelScope, anyio.Event]:
    """Serve the activity server until the returned scope is cancelled; the event is set once it has stopped."""
    sock = bind_socket("127.0.0.1", port)
    scope, stopped = anyio.CancelScope(), anyio.Event()

    async def run() -> None:
        with scope:
            await serve(build_app(activity(settings), settings.http, TOKEN), sock)
        sock.close()
        stopped.set()

    group.start_soon(run)
    return sock.getsockname()[1], scope, stopped


async def test_an_http_server_that_was_down_at_start_is_picked_up_once_it_is_up(settings: AideSettings) -> None:
    probe = bind_socket("127.0.0.1", 0)
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    model = ScriptedModel(["nothing to call", [call("remote__list_activity")], "up"])
    up = None
    with anyio.fail_after(30):
        async with anyio.create_task_group() as group:
            config = url("remote", f"http://127.0.0.1:{port}/activity/mcp", token=TOKEN)
            async with Assistant([config], model) as assistant:
                assert "remote" in assistant.toolbox.failures
                await assistant.run("first")
                assistant.toolbox.retry_interval = 0
                _, scope, _ = await start(group, settings, port)
                up = await assistant.run("second")
                assert assistant.toolbox.failures == {}
                scope.cancel()
    assert up is not None and not up.messages[-2].is_error and json.loads(up.messages[-2].text)["actions"] == []


class Stoppable:
    """The activity server under uvicorn on a fixed port, shut down the way a server process goes away: uvicorn's
    own shutdown, which closes the open keep-alive connections (cancelling the serving task would leave them
    answering)."""

    def __init__(self, settings: AideSettings, port: int = 0) -> None:
        import uvicorn

        self.sock = bind_socket("127.0.0.1", port)
        self.port: int = self.sock.getsockname()[1]
        config = uvicorn.Config(build_app(activity(settings), settings.http, TOKEN), log_config=None, lifespan="on")
        self.server = uvicorn.Server(config)
        self.stopped = anyio.Event()

    async def run(self) -> None:
        try:
            await self.server.serve(sockets=[self.sock])
        finally:
            self.sock.close()
            self.stopped.set()

    async def stop(self) -> None:
        self.server.should_exit = True
        await self.stopped.wait()


def call_until_it_runs(messages: list[Message], _: list[ToolSpec]) -> Turn:
    """A model that calls again after a failed call (the toolbox never retries by itself: a send could repeat)."""
    return [call("remote__list_activity")] if messages[-1].is_error else "answered"


async def test_an_http_server_that_goes_away_mid_session_is_reconnected_with_backoff_once_it_is_back(
    settings: AideSettings,
) -> None:
    notices: list[str] = []
    refused = anyio.Event()

    def on_event(event: Event) -> None:
        if isinstance(event, Notice):
            notices.append(event.text)
            if "failed to start" in event.text:
                refused.set()

    again = call_until_it_runs
    model = ScriptedModel([[call("remote__list_activity")], "one", [call("remote__list_activity")], again, again])
    second: list[Message] = []
    with anyio.fail_after(30):
        async with anyio.create_task_group() as group:
            server = Stoppable(settings)
            group.start_soon(server.run)
            config = url("remote", f"http://127.0.0.1:{server.port}/activity/mcp", token=TOKEN)
            async with Assistant([config], model, on_event=on_event, retrieve=None, learn=None) as assistant:
                assistant.toolbox.restart_delays = (0.0, 0.05, 5.0)
                await assistant.run("first")
                await server.stop()  # gone: its connections closed, its port refusing
                async with anyio.create_task_group() as during:
                    during.start_soon(assistant.run, "second")
                    await refused.wait()  # the first attempt to reconnect was refused; the next waits its backoff
                    server = Stoppable(settings, server.port)  # back, on the same port
                    group.start_soon(server.run)
                connection = assistant.toolbox.connections["remote"]
                assert (connection.restarts, assistant.toolbox.failures) == (1, {})
                second = assistant.messages[-5:]
                await server.stop()
    lost, retried = second[1], second[3]
    assert lost.is_error and "stopped while running list_activity and was restarted" in lost.text
    assert not retried.is_error and json.loads(retried.text)["actions"] == []
    assert second[-1].text == "answered"
    refusals = ["server remote failed to start: ConnectError: All connection attempts failed"] * (len(notices) - 2)
    assert refusals  # at least the first attempt was refused: the reconnect came after a backoff wait
    assert notices == [
        "server remote stopped during list_activity; restarting it",
        *refusals,
        "server remote restarted",
    ]
