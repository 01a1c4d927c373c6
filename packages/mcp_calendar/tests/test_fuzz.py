"""Every Calendar tool, both tiers, called with arguments generated from its schema (valid, junk and edge values)
against the sandbox: bad input is always an error the model can act on, never an internal error or a hang.
Confirmation is by token, so no generated call invites, changes or deletes anything: the guard only previews (an
event that reaches no one, and a task, are made without asking, as they would be for a user)."""

from __future__ import annotations

from typing import Any

import pytest

from aide_core.testing import call_as_strict_hosts_do, check_tool_schemas, fuzz_tools
from aide_sandbox.seed.calendar import SAM, TEAM

pytestmark = pytest.mark.anyio

KNOWN: dict[str, list[Any]] = {
    "id": ["seed001", "seed001_20261124T080000Z", "seed020", "seed011", "seed003", "alexTask02", "alexTask05"],
    "list": ["alex-home", "all"],
    "parent": ["alexTask02"],
    "destination": [TEAM],
    "calendar": [TEAM, "primary"],
    "calendars": [["all"], [TEAM]],
    "start": ["tomorrow 3pm", "2026-12-08", "next Friday"],
    "end": ["2026-12-20", "next week"],
    "timezone": ["America/New_York", "Asia/Tokyo"],
    "attendees": [[SAM]],
    "emails": [[SAM]],
    "recurrence": ["every weekday until June", "RRULE:FREQ=WEEKLY;BYDAY=TU"],
    "scope": ["this", "following", "all"],
}

BASES: dict[str, dict[str, Any]] = {
    "list_events": {"start": "2026-12-08", "end": "2026-12-10"},
    "create_event": {"summary": "Fuzz", "start": "tomorrow 3pm", "attendees": [SAM]},
    "update_event": {"id": "seed001_20261124T080000Z", "scope": "following", "changes": {"summary": "x"}},
    "delete_event": {"id": "seed001_20261124T080000Z", "scope": "this"},
    "respond_to_event": {"id": "seed011", "response": "accepted"},
    "free_busy": {"emails": [SAM], "start": "2026-12-08"},
    "find_free_slots": {"duration": 30, "start": "2026-12-08", "end": "2026-12-10", "attendees": [SAM]},
}


@pytest.mark.parametrize("tier", ["default", "extended"])
async def test_no_generated_arguments_crash_or_hang_any_calendar_tool(calendar_server: Any, tier: str) -> None:
    async with calendar_server(confirm="token", tier=tier) as server:
        report = await fuzz_tools(server.client, known=KNOWN, bases=BASES, valid_examples=10, junk_examples=4)
    assert report.total_calls > (2000 if tier == "default" else 3000)  # a sanity floor: the generator ran
    report.assert_clean()


async def test_every_calendar_tool_is_accepted_by_both_tool_formats_and_takes_what_strict_hosts_send(
    calendar_server: Any,
) -> None:
    reads = {
        "get_time": {},
        "list_calendars": {},
        "get_event": {"id": "seed001"},
        "list_tasks": {},
        "list_task_lists": {},
        "list_colors": {},
        "search_events": {"query": "standup"},
    }
    tasks = {
        "add_task": {"title": "Strict host"},
        "update_task": {"id": "alexTask02", "changes": {"notes": "x"}},
        "complete_task": {"id": "alexTask05"},
    }
    async with calendar_server(confirm="token", tier="extended") as server:
        tools = (await server.client.list_tools()).tools
        schemas = check_tool_schemas(tools)
        calls = {name: base for name, base in (BASES | reads | tasks).items() if any(t.name == name for t in tools)}
        problems = await call_as_strict_hosts_do(server.client, calls)
    assert schemas == []
    assert problems == [], "\n".join(problems)
