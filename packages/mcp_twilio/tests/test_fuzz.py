"""Every Twilio tool called with arguments generated from its schema (valid, junk and edge values) against the
sandbox: bad input is always an error the model can act on, never an internal error or a hang. Confirmation is by
token, so no generated call sends anything: the guard only previews. And every tool is accepted by the tool formats
models are given tools in."""

from __future__ import annotations

from typing import Any

import pytest

from aide_core.testing import call_as_strict_hosts_do, check_tool_schemas, fuzz_tools
from aide_sandbox.seed.twilio import HELEN, ZOE

pytestmark = pytest.mark.anyio


async def test_no_generated_arguments_crash_or_hang_any_twilio_tool(twilio_server: Any, twilio: Any) -> None:
    sids = [m.sid for m in twilio.messages.list(limit=3)]
    async with twilio_server(confirm="token") as server:
        page = await server.call("list_messages", number=HELEN)
        server.runtime.config.max_output_chars = 500
        cursor = (await server.call("list_messages", number=HELEN))["next_cursor"]
        server.runtime.config.max_output_chars = 12_000
        report = await fuzz_tools(
            server.client,
            known={
                "sid": sids,
                "sids": [sids[:2]],
                "number": [HELEN, ZOE, "+1 415 555 0199"],
                "to": [HELEN, ZOE],
                "cursor": [cursor],
                "since": ["2026-11-01"],
                "until": ["2026-11-30T12:00Z"],
            },
            bases={
                "send_sms": {"to": HELEN, "body": "Dinner at 7?"},
                "list_messages": {"number": HELEN},
                "get_message": {"sid": page["messages"][0]["sid"]},
                "lookup_number": {"number": HELEN},
                "mark_read": {"sids": sids[:1]},
            },
            valid_examples=15,
            junk_examples=5,
        )
    assert report.total_calls > 500
    report.assert_clean()


async def test_every_twilio_tool_is_accepted_by_the_openai_strict_and_anthropic_tool_formats(
    twilio_server: Any,
) -> None:
    async with twilio_server() as server:
        tools = (await server.client.list_tools()).tools
    assert sorted(tool.name for tool in tools) == [
        "get_message",
        "list_conversations",
        "list_messages",
        "list_unread",
        "lookup_number",
        "mark_read",
        "send_sms",
    ]
    assert check_tool_schemas(tools) == []


async def test_every_tool_declares_its_hints_and_an_output_schema(twilio_server: Any) -> None:
    async with twilio_server() as server:
        tools = {tool.name: tool for tool in (await server.client.list_tools()).tools}
    hints = {
        name: (t.annotations.read_only_hint, t.annotations.destructive_hint, t.annotations.open_world_hint)
        for name, t in tools.items()
        if t.annotations is not None
    }
    assert hints == {
        "send_sms": (False, True, True),
        "list_messages": (True, False, True),
        "list_conversations": (True, False, True),
        "get_message": (True, False, True),
        "lookup_number": (True, False, True),
        "list_unread": (True, False, False),
        "mark_read": (False, False, False),
    }
    assert all(tool.output_schema for tool in tools.values())


async def test_every_twilio_tool_takes_what_strict_hosts_send(twilio_server: Any, twilio: Any) -> None:
    sids = [m.sid for m in twilio.messages.list(limit=3)]
    calls = {
        "send_sms": {"to": HELEN, "body": "Dinner at 7?"},  # previews only: confirmation is by token
        "list_messages": {"number": HELEN},
        "list_conversations": {},
        "get_message": {"sid": sids[0]},
        "lookup_number": {"number": HELEN},
        "list_unread": {},
        "mark_read": {"sids": sids[:1]},
    }
    async with twilio_server(confirm="token") as server:
        problems = await call_as_strict_hosts_do(server.client, calls)
    assert problems == [], "\n".join(problems)
