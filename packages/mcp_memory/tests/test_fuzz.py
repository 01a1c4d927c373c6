"""Every memory tool, called with arguments generated from its schema (valid, junk and edge values): bad input is
always an error the model can act on, never an internal error or a hang."""

from __future__ import annotations

from typing import Any

import pytest

from aide_core.testing import call_as_strict_hosts_do, check_tool_schemas, fuzz_tools

pytestmark = pytest.mark.anyio


async def test_no_generated_arguments_crash_or_hang_any_memory_tool(memory_server) -> None:
    async with memory_server(confirm="token") as memory:
        ids = await memory.remember("Likes jazz", "Anna lives in Lyon", category="person")
        page = await memory.call("list_memories", limit=1)
        report = await fuzz_tools(memory.client, known={"id": ids, "ids": [ids], "cursor": [page["next_cursor"]]})
    assert report.total_calls > 1000
    report.assert_clean()


async def test_bad_input_found_by_fuzzing_is_refused_with_a_message_the_model_can_act_on(memory_server) -> None:
    from aide_core.paging import encode_cursor

    binds = {"category": None, "tag": None, "include_superseded": False}
    forged = encode_cursor("list_memories", {"u": "now", "r": 1}, binds)
    async with memory_server(confirm="token") as memory:
        (memory_id,) = await memory.remember("Likes jazz")
        category = await memory.error("update_memory", id=memory_id, category="Work Stuff")
        newline = await memory.error("update_memory", id=memory_id, category="work\n")
        cursor = await memory.error("list_memories", cursor=forged)
        poison = await memory.error("remember", items=[{"content": "x", "about_time": "0001-01-01T00:00:00+14:00"}])
        missing = await memory.error("forget_memories", ids=["m-nope", "m-gone"])
        listed = await memory.call("list_memories")
    assert category == (
        "Error executing tool update_memory: Category 'Work Stuff' is not a lowercase word of at most 32 letters, "
        "digits, '-' or '_'. Use preference, fact, habit, person, event, task, note, or another lowercase word."
    )
    assert cursor == (
        "Error executing tool list_memories: The cursor is damaged (pass it back exactly as it was returned). "
        "Call list_memories again without a cursor to start from the beginning."
    )
    assert "'work\\n' is not a lowercase word" in newline
    assert "the time is out of range once converted to UTC" in poison
    assert missing == (
        "Error executing tool forget_memories: No current memory matches the ids 'm-nope', 'm-gone'. "
        "Check the ids with get_memories or list_memories."
    )
    assert [m["id"] for m in listed["memories"]] == [memory_id]


async def test_every_memory_tool_is_accepted_by_the_openai_strict_and_anthropic_tool_formats(memory_server) -> None:
    async with memory_server(tier="extended") as memory:
        tools = (await memory.client.list_tools()).tools
    # metadata is the caller's own keys (a chat id, a source's fields): an open object by design
    own_keys = "metadata has the caller's own keys"
    open_objects = {"remember": own_keys, "update_memory": own_keys}
    assert check_tool_schemas(tools, open_objects=open_objects) == []


async def test_every_memory_tool_works_when_a_strict_host_sends_every_optional_argument(memory_server) -> None:
    async with memory_server(confirm="token", tier="extended") as memory:
        ids = await memory.remember("Likes jazz", "Anna lives in Lyon", category="person")
        tools = [tool.name for tool in (await memory.client.list_tools()).tools]
        corrected = iter(range(100))

        async def fresh_correction() -> dict[str, Any]:  # a memory corrected once cannot be corrected again
            (memory_id,) = await memory.remember(f"Likes jazz, take {next(corrected)}")
            return {"id": memory_id, "content": "Likes modal jazz"}

        calls: dict[str, Any] = {
            "remember": {"items": [{"content": "Prefers tea"}]},
            "recall": {"query": "jazz"},
            "get_memories": {"ids": ids},
            "update_memory": fresh_correction,
            "forget_memories": {"ids": [ids[1]]},  # previews only: confirmation is by token
        }
        problems = await call_as_strict_hosts_do(memory.client, {name: calls.get(name, {}) for name in tools})
    assert problems == [], "\n".join(problems)
