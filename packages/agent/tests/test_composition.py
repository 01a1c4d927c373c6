"""Composition: names, routing, start-up failures, timeouts, restarts, allow and deny lists, mcpServers files."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import anyio
import pytest
from agent_stand_ins import READ, notes_server
from mcp import StdioServerParameters
from mcp.server import MCPServer

from aide_agent import Assistant, Notice, ScriptedModel, ServerConfig, aide_server, call, load_mcp_servers, stdio
from aide_agent.events import Event
from aide_agent.names import MAX_LENGTH, ToolTable, exposed_name
from aide_agent.toolbox import Toolbox
from aide_core.settings import AideSettings

pytestmark = pytest.mark.anyio
SCRIPT = Path(__file__).parent / "script_server.py"


def test_a_plain_name_is_server_double_underscore_tool() -> None:
    assert exposed_name("gmail", "search_emails") == "gmail__search_emails"


def test_a_long_or_dotted_name_is_cleaned_cut_to_64_and_given_a_stable_hash() -> None:
    long = exposed_name("a-very-long-server-name", "tool." + "x" * 100)
    assert len(long) == MAX_LENGTH
    assert re.fullmatch(r"[A-Za-z0-9_-]+_[0-9a-f]{8}", long)
    assert long == exposed_name("a-very-long-server-name", "tool." + "x" * 100)
    assert long != exposed_name("a-very-long-server-name", "tool." + "x" * 99 + "y")


def test_names_that_clean_to_the_same_text_still_route_to_their_own_tools() -> None:
    table = ToolTable()
    names = [table.add("a.b", "c"), table.add("a_b", "c"), table.add("a", "b__c")]
    assert len(set(names)) == 3
    assert [table.route(name) for name in names] == [("a.b", "c"), ("a_b", "c"), ("a", "b__c")]


async def test_two_servers_with_a_tool_of_the_same_name_both_work() -> None:
    first, first_calls = notes_server("work", prefix="work ")
    second, second_calls = notes_server("home", prefix="home ")
    model = ScriptedModel(
        [
            [call("work__search", query="a"), call("home__search", query="b")],
            lambda m, _: m[-2].text + " | " + m[-1].text,
        ]
    )
    async with Assistant([first, second], model) as assistant:
        result = await assistant.run("search both")
    assert (first_calls.calls, second_calls.calls) == (["search:a"], ["search:b"])
    assert result.text == "work found a | home found b"


async def test_a_server_that_fails_to_start_is_reported_and_the_others_keep_working() -> None:
    broken = stdio("broken", sys.executable, "-c", "raise SystemExit(3)")
    server, counter = notes_server()
    events: list[Event] = []
    model = ScriptedModel([[call("notes__search", query="x")], "done"])
    async with Assistant([broken, server], model, on_event=events.append) as assistant:
        assert set(assistant.toolbox.failures) == {"broken"}
        assert not any(spec.name.startswith("broken__") for spec in assistant.toolbox.specs())
        result = await assistant.run("go")
    assert result.text == "done" and counter.calls == ["search:x"]
    assert any(isinstance(e, Notice) and "broken failed to start" in e.text for e in events)


async def test_a_call_past_the_servers_timeout_becomes_a_tool_error_the_model_reads() -> None:
    server = MCPServer("slow")
    never = anyio.Event()

    @server.tool(annotations=READ)
    async def wait() -> str:
        """Wait forever."""
        await never.wait()
        return "never"

    model = ScriptedModel([[call("slow__wait")], lambda m, _: m[-1].text])
    async with Assistant([ServerConfig("slow", server, timeout=0.2)], model) as assistant:
        with anyio.fail_after(10):
            result = await assistant.run("wait")
    assert result.messages[-2].is_error
    assert result.text == "wait timed out after 0.2 s."


async def test_allow_and_deny_lists_decide_which_tools_the_model_sees() -> None:
    server, _ = notes_server()
    other, _ = notes_server("other")
    configs = [ServerConfig("notes", server, deny=["delete"]), ServerConfig("other", other, allow=["del*"])]
    async with Toolbox(configs) as box:
        assert [spec.name for spec in box.specs()] == ["notes__search", "other__delete"]


async def test_a_stdio_server_killed_mid_run_is_reported_and_restarted() -> None:
    events: list[Event] = []
    model = ScriptedModel([[call("script__pid")], [call("script__crash")], [call("script__pid")], lambda m, _: "done"])
    config = stdio("script", sys.executable, str(SCRIPT))
    async with Assistant([config], model, on_event=events.append) as assistant:
        with anyio.fail_after(30):
            result = await assistant.run("crash it")
        restarts = assistant.toolbox.connections["script"].restarts
    tool_results = [m for m in result.messages if m.role == "tool"]
    first_pid, crashed, second_pid = tool_results
    assert crashed.is_error and "stopped while running crash and was restarted" in crashed.text
    assert int(first_pid.text) != int(second_pid.text)
    assert restarts == 1
    assert any(isinstance(e, Notice) and "script restarted" in e.text for e in events)


def test_a_claude_desktop_file_gives_stdio_and_url_servers(tmp_path: Path) -> None:
    path = tmp_path / "claude_desktop_config.json"
    path.write_text(
        json.dumps(
            {
                "mcpServers": {
                    "memory": {"command": "python", "args": ["-m", "aide_core.launch", "memory"], "env": {"A": "1"}},
                    "remote": {"url": "http://127.0.0.1:9/mcp", "headers": {"X-Key": "k"}, "trusted": True},
                    "legacy": {"url": "http://127.0.0.1:9/sse", "type": "sse"},
                }
            }
        )
    )
    memory, remote, legacy = load_mcp_servers(path)
    assert memory.kind == "stdio" and memory.target.args == ["-m", "aide_core.launch", "memory"]  # type: ignore[union-attr]
    assert (remote.kind, remote.transport, dict(remote.headers), remote.trusted) == (
        "http",
        "streamable-http",
        {"X-Key": "k"},
        True,
    )
    assert legacy.transport == "sse"


def test_an_aide_server_takes_its_trust_from_settings_and_its_tier_to_the_child(settings: AideSettings) -> None:
    trusted = settings.with_tables(memory={"trusted": True})
    assert aide_server("memory", settings=trusted).trusted
    assert not aide_server("memory", settings=settings).trusted
    spawned = aide_server("memory", over_stdio=True, settings=settings, tier="extended")
    assert isinstance(spawned.target, StdioServerParameters)
    assert spawned.target.args == ["-m", "aide_core.launch", "memory"]
    assert spawned.target.env is not None and spawned.target.env["AIDE_MEMORY__TIER"] == "extended"
    assert spawned.target.env["AIDE_HOME"] == str(settings.home)


async def test_a_server_that_never_answers_is_given_up_after_the_start_timeout() -> None:
    silent = stdio("silent", sys.executable, "-c", "import time; time.sleep(60)")
    server, _ = notes_server()
    box = Toolbox([silent, ServerConfig("notes", server)], start_timeout=0.5)
    with anyio.fail_after(15):
        async with box:
            assert box.failures == {"silent": "no answer within 0.5 s"}
            assert [spec.name for spec in box.specs()] == ["notes__search", "notes__delete"]
