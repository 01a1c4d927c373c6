"""The loop with aide's memory and activity servers: retrieval, learning, approval and the guard's confirmation."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest
from mcp import Client

from aide_agent import ApprovalRequest, Assistant, ScriptedModel, aide_server, call
from aide_agent.messages import Message, ToolSpec
from aide_core.settings import AideSettings

pytestmark = pytest.mark.anyio

LEARNED = json.dumps([{"content": "Prefers meetings in the afternoon", "category": "preference", "confidence": 0.9}])


def book(messages: list[Message], _: list[ToolSpec]) -> str:
    """A model that books in the afternoon only when memory told it the user prefers that."""
    context = " ".join(m.text for m in messages if m.role == "system")
    return "Booked 3 PM" if "Prefers meetings in the afternoon" in context else "Booked 9 AM"


async def test_a_preference_learned_in_one_conversation_changes_what_it_does_in_the_next(
    settings: AideSettings, conversations: Path
) -> None:
    model = ScriptedModel(["Noted.", LEARNED, book, "[]"])
    async with Assistant([aide_server("memory", settings=settings)], model, store=conversations) as assistant:
        first = await assistant.run("I prefer meetings in the afternoon.")
    async with Assistant([aide_server("memory", settings=settings)], model, store=conversations) as assistant:
        second = await assistant.run("Book a meeting with Sam tomorrow.")
    assert first.learned == [
        {
            "content": "Prefers meetings in the afternoon",
            "category": "preference",
            "confidence": 0.9,
            "source": "conversation",
            "source_ref": assistant.store.list()[-1].id if assistant.store else None,
        }
    ]
    assert second.text == "Booked 3 PM"
    assert model.remaining == 0


async def test_without_memory_the_same_request_gets_the_default_behaviour(settings: AideSettings) -> None:
    async with Assistant([aide_server("memory", settings=settings)], ScriptedModel([book, "[]"])) as assistant:
        assert (await assistant.run("Book a meeting with Sam tomorrow.")).text == "Booked 9 AM"


async def test_the_model_calls_memory_tools_then_answers_with_what_they_returned(settings: AideSettings) -> None:
    def answer(messages: list[Message], _: list[ToolSpec]) -> str:
        hits = json.loads(messages[-1].text)["results"]
        return "You like " + hits[0]["content"]

    approvals: list[ApprovalRequest] = []
    model = ScriptedModel(
        [
            [call("memory__remember", items=[{"content": "green tea", "category": "preference"}])],
            "Saved.",
            [call("memory__recall", query="green tea")],
            answer,
        ]
    )
    memory = aide_server("memory", settings=settings)
    async with Assistant([memory], model, approve=lambda r: approvals.append(r) or True, learn=None) as assistant:
        await assistant.run("Remember that I like green tea")
        result = await assistant.run("What do I like?")
    assert result.text == "You like green tea"
    assert [(r.kind, r.tool) for r in approvals] == [("tool", "remember")]  # recall is read-only: not asked


async def test_memory_over_stdio_is_retrieved_and_written(settings: AideSettings) -> None:
    model = ScriptedModel(["Noted.", LEARNED, book, "[]"])
    with anyio.fail_after(30):
        async with Assistant([aide_server("memory", over_stdio=True, settings=settings)], model) as assistant:
            assert assistant.toolbox.failures == {}
            await assistant.run("I prefer meetings in the afternoon.")
            assistant.new_conversation()
            second = await assistant.run("Book a meeting with Sam tomorrow.")
    assert second.text == "Booked 3 PM"


async def audit(settings: AideSettings) -> list[tuple[str, str]]:
    from aide_core.activity import spec

    async with Client(spec.build(settings)) as client:
        result = await client.call_tool("list_activity", {})
    assert result.structured_content is not None
    return [(a["tool"], a["outcome"]) for a in result.structured_content["actions"]]


async def remembered(assistant: Assistant) -> str:
    outcome = await assistant.toolbox.call_server("memory", "remember", {"items": [{"content": "likes jazz"}]})
    return json.loads(outcome.text)["ids"][0]


async def test_a_declined_forget_never_reaches_the_server(settings: AideSettings) -> None:
    model = ScriptedModel([lambda m, _: [call("memory__forget_memories", ids=[memory_id])], "Kept."])
    async with Assistant([aide_server("memory", settings=settings)], model, approve=lambda _: False, learn=None) as a:
        memory_id = await remembered(a)
        await a.run("forget that I like jazz")
        stats = await a.toolbox.call_server("memory", "memory_stats", {})
    assert json.loads(stats.text)["forgotten"] == 0
    assert await audit(settings) == []


async def test_an_approved_forget_is_not_confirmed_twice_and_is_audited(settings: AideSettings) -> None:
    asked: list[str] = []
    model = ScriptedModel([lambda m, _: [call("memory__forget_memories", ids=[memory_id])], "Forgotten."])
    approve = lambda r: asked.append(r.kind) or True  # noqa: E731
    async with Assistant([aide_server("memory", settings=settings)], model, approve=approve, learn=None) as a:
        memory_id = await remembered(a)
        result = await a.run("forget that I like jazz")
    assert asked == ["tool"]
    assert json.loads(result.messages[-2].text)["status"] == "done"
    assert await audit(settings) == [("forget_memories", "done"), ("forget_memories", "started")]


async def test_a_servers_confirmation_reaches_the_same_callback_when_asked_to_confirm_twice(
    settings: AideSettings,
) -> None:
    asked: list[ApprovalRequest] = []

    def approve(request: ApprovalRequest) -> bool:
        asked.append(request)
        return request.kind == "tool"  # yes to the call, no to the server's own confirmation

    model = ScriptedModel([lambda m, _: [call("memory__forget_memories", ids=[memory_id])], "Not forgotten."])
    memory = aide_server("memory", settings=settings)
    async with Assistant([memory], model, approve=approve, learn=None, confirm_twice=True) as a:
        memory_id = await remembered(a)
        result = await a.run("forget that I like jazz")
    assert [(r.kind, r.server, r.tool) for r in asked] == [
        ("tool", "memory", "forget_memories"),
        ("elicitation", "memory", "forget_memories"),
    ]
    assert "likes jazz" in asked[1].message
    assert json.loads(result.messages[-2].text)["status"] == "declined"
    assert await audit(settings) == [("forget_memories", "declined")]


async def test_with_no_callback_a_servers_confirmation_is_declined(settings: AideSettings) -> None:
    model = ScriptedModel([lambda m, _: [call("memory__forget_memories", ids=[memory_id])], "Not forgotten."])
    memory = aide_server("memory", settings=settings, trusted=True)  # trusted: no approval asked before the call
    async with Assistant([memory], model, learn=None) as a:
        memory_id = await remembered(a)
        result = await a.run("forget that I like jazz")
    assert json.loads(result.messages[-2].text)["status"] == "declined"
    assert await audit(settings) == [("forget_memories", "declined")]
