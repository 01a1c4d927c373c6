"""The loop end to end, with in-process servers and a scripted model."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from agent_stand_ins import READ, notes_server
from mcp.server import MCPServer

from aide_agent import (
    ApprovalRequest,
    Assistant,
    ConversationStore,
    Limits,
    Message,
    ScriptedModel,
    ServerConfig,
    TextChunk,
    ToolCall,
    ToolSpec,
    UsageLimitExceeded,
    call,
)
from aide_agent.events import Event

pytestmark = pytest.mark.anyio


async def test_a_tool_call_runs_and_its_result_reaches_the_model_before_it_answers() -> None:
    server, counter = notes_server()
    model = ScriptedModel([[call("notes__search", query="rent")], lambda messages, _: f"saw: {messages[-1].text}"])
    async with Assistant([server], model) as assistant:
        result = await assistant.run("find rent")
    assert counter.calls == ["search:rent"]
    assert result.text == "saw: found rent"


async def test_a_declined_approval_means_the_destructive_tool_never_runs() -> None:
    server, counter = notes_server()
    asked: list[ApprovalRequest] = []

    def deny(request: ApprovalRequest) -> bool:
        asked.append(request)
        return False

    model = ScriptedModel([[call("notes__delete", note_id="n1")], lambda messages, _: messages[-1].text])
    async with Assistant([server], model, approve=deny) as assistant:
        result = await assistant.run("delete n1")
    assert counter.calls == []
    assert [(r.kind, r.server, r.tool, r.arguments) for r in asked] == [("tool", "notes", "delete", {"note_id": "n1"})]
    assert "declined" in result.text


async def test_parallel_tool_calls_run_concurrently() -> None:
    server = MCPServer("pair")
    other_started = anyio.Event()

    @server.tool(annotations=READ)
    async def first() -> str:
        """Waits for second."""
        await other_started.wait()
        return "first saw second"

    @server.tool(annotations=READ)
    async def second() -> str:
        """Lets first finish."""
        other_started.set()
        return "second"

    model = ScriptedModel([[call("pair__first"), call("pair__second")], "both"])
    async with Assistant([server], model) as assistant:
        with anyio.fail_after(5):  # run one after the other, first would wait for ever
            result = await assistant.run("go")
    assert [m.text for m in result.messages if m.role == "tool"] == ["first saw second", "second"]


async def test_with_no_approval_callback_the_answer_is_no() -> None:
    server, counter = notes_server()
    model = ScriptedModel([[call("notes__delete", note_id="n1")], "ok"])
    async with Assistant([server], model) as assistant:
        result = await assistant.run("delete n1")
    assert counter.calls == []
    assert result.messages[-2].is_error


async def test_a_trusted_server_runs_its_write_tools_without_asking() -> None:
    server, counter = notes_server()
    model = ScriptedModel([[call("notes__delete", note_id="n1")], "ok"])
    async with Assistant([ServerConfig("notes", server, trusted=True)], model) as assistant:
        await assistant.run("delete n1")
    assert counter.calls == ["delete:n1"]


async def test_a_made_up_tool_name_or_bad_arguments_come_back_as_errors_the_model_reads() -> None:
    server, counter = notes_server()
    bad = ToolCall(id="c2", name="notes__search", invalid_arguments="{oops")
    model = ScriptedModel([[call("notes__nope"), bad], lambda m, _: " / ".join(x.text for x in m[-2:])])
    async with Assistant([server], model) as assistant:
        result = await assistant.run("go")
    assert counter.calls == []
    assert result.text == "No tool named 'notes__nope'. / The arguments were not a JSON object: {oops"


async def test_the_step_limit_stops_a_model_that_never_stops_calling_tools() -> None:
    server, counter = notes_server()
    model = ScriptedModel(lambda m, _: [call("notes__search", query="again")])
    async with Assistant([server], model, limits=Limits(max_steps=3)) as assistant:
        with pytest.raises(UsageLimitExceeded, match="max_steps"):
            await assistant.run("loop")
        assert assistant.messages[-1].role == "tool"  # the conversation stays valid to continue
    assert len(counter.calls) == 3


async def test_the_cost_limit_uses_the_price_table_which_users_can_override() -> None:
    model = ScriptedModel(lambda m, _: [call("notes__search", query="x" * 400)])
    server, _ = notes_server()
    prices = {"scripted": (1_000_000.0, 1_000_000.0)}  # a dollar a token
    async with Assistant([server], model, prices=prices, limits=Limits(max_cost=500)) as assistant:
        with pytest.raises(UsageLimitExceeded, match="max_cost"):
            await assistant.run("spend")
        assert assistant.usage.cost > 500


async def test_usage_is_counted_per_run_and_per_server() -> None:
    first, _ = notes_server("work")
    second, _ = notes_server("home")
    model = ScriptedModel(
        [[call("work__search", query="a"), call("work__search", query="b"), call("home__search", query="c")], "done"]
    )
    async with Assistant([first, second], model, prices={"scripted": (1.0, 2.0)}) as assistant:
        result = await assistant.run("go")
    assert result.usage.steps == 2
    assert result.usage.model.requests == 2 and result.usage.model.input_tokens > 0
    assert {name: s.calls for name, s in result.usage.servers.items()} == {"work": 2, "home": 1}
    expected = (result.usage.model.input_tokens * 1.0 + result.usage.model.output_tokens * 2.0) / 1_000_000
    assert result.usage.cost == pytest.approx(expected)


async def test_streamed_text_and_tool_activity_are_reported_as_events() -> None:
    server, _ = notes_server()
    events: list[Event] = []
    model = ScriptedModel([[call("notes__search", query="x")], "the answer"])
    async with Assistant([server], model, on_event=events.append, stream=True) as assistant:
        await assistant.run("go")
    assert [type(e).__name__ for e in events] == ["ToolStarted", "ToolFinished", "TextChunk"]
    assert isinstance(events[-1], TextChunk) and events[-1].text == "the answer"


async def test_a_conversation_is_saved_listed_resumed_and_deleted(conversations: Path) -> None:
    model = ScriptedModel(["one", "two", lambda m, _: f"{len([x for x in m if x.role == 'user'])} user messages"])
    async with Assistant([], model, store=conversations) as assistant:
        await assistant.run("first")
        await assistant.run("second")
        saved = assistant.conversation_id
    store = ConversationStore(conversations)
    (info,) = store.list()
    assert (info.id, info.title, info.messages) == (saved, "first", 5)
    async with Assistant([], model, store=store, conversation_id=saved) as resumed:
        assert (await resumed.run("third")).text == "3 user messages"
    assert store.delete(saved) and store.list() == [] and not store.delete(saved)


async def test_older_turns_are_dropped_to_fit_the_budget_but_not_the_system_prompt_or_the_newest_turn() -> None:
    seen: list[list[Message]] = []

    def record(messages: list[Message], _: list[ToolSpec]) -> str:
        seen.append(messages)
        return "ok " + "y" * 400

    async with Assistant([], ScriptedModel(record), context_budget=400, system_prompt="SYSTEM") as assistant:
        for n in range(4):
            await assistant.run(f"message {n} " + "x" * 400)
    last = seen[-1]
    assert last[0].text == "SYSTEM"
    assert last[-1].text.startswith("message 3")
    assert not any(m.text.startswith("message 0") for m in last)
    assert any("left out to fit the context" in m.text for m in last)


async def test_older_turns_can_be_summarised_by_the_model_instead() -> None:
    seen: list[list[Message]] = []

    def record(messages: list[Message], _: list[ToolSpec]) -> str:
        seen.append(messages)
        return "SUMMARY" if messages[0].text.startswith("Summarise") else "ok " + "y" * 400

    async with Assistant([], ScriptedModel(record), context_budget=400, summarise=True) as assistant:
        for n in range(3):
            await assistant.run(f"message {n} " + "x" * 400)
    assert any(m.text == "Summary of the earlier conversation: SUMMARY" for m in seen[-1])


async def test_a_tool_result_past_the_limit_is_cut_with_a_note_before_the_model_reads_it() -> None:
    server = MCPServer("big")

    @server.tool(annotations=READ)
    def dump() -> str:
        """A lot of text."""
        return "z" * 5000

    model = ScriptedModel([[call("big__dump")], lambda m, _: m[-1].text])
    async with Assistant([server], model, max_result_chars=1000) as assistant:
        result = await assistant.run("dump")
    assert result.text == "z" * 1000 + "\n[… 4000 more characters cut: ask for less]"
