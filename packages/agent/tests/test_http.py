"""Servers reached over HTTP (streamable HTTP and SSE) with a bearer token, and brought back after going away."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import pytest
from anyio.abc import TaskGroup
from mcp.server import MCPServer

from aide_agent import Assistant, ScriptedModel, call, url
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
