"""Every schedule tool called with arguments generated from its schema (valid, junk and edge values): bad input is
always an error the model can act on, never an internal error or a hang; and every tool is accepted by the tool
formats models are given tools in, and takes what strict hosts send."""

from __future__ import annotations

from typing import Any

import pytest

from aide_core.testing import call_as_strict_hosts_do, check_tool_schemas, fuzz_tools

pytestmark = pytest.mark.anyio

DIGEST = {"name": "morning-digest", "when": "every day at 08:00", "what": "morning-digest"}
FINISH = {"key": "job:morning-digest", "scheduled_for": "2026-11-21T07:00:00Z", "runner": "a", "outcome": "done"}
TOOLS = [
    "cancel_reminder", "claim_run", "due_work", "finish_run", "list_jobs", "list_reminders", "remind_me", "run_job"
]  # fmt: skip


async def test_no_generated_arguments_crash_or_hang_any_schedule_tool(schedule_server: Any) -> None:
    async with schedule_server(runner=True, jobs=[DIGEST], confirm="token") as schedule:
        reminder = await schedule.call("remind_me", text="Call the plumber", at="tomorrow 9am")
        report = await fuzz_tools(
            schedule.client,
            known={
                "id": [reminder["id"]],
                "name": ["morning-digest"],
                "at": ["tomorrow 9am", "2026-11-21T07:00:00Z"],
                "every": ["every Monday at 8", "RRULE:FREQ=DAILY;BYHOUR=8"],
                "key": ["job:morning-digest"],
                "scheduled_for": ["2026-11-21T07:00:00Z"],
            },
            bases={
                "remind_me": {"text": "Water the plants", "at": "tomorrow 9am"},
                "cancel_reminder": {"id": reminder["id"]},
                "run_job": {"name": "morning-digest"},
                "due_work": {"at": "2026-11-21T07:00:00Z"},
                "claim_run": {"key": "job:morning-digest", "scheduled_for": "2026-11-21T07:00:00Z", "runner": "a"},
                "finish_run": FINISH,
            },
            valid_examples=12,
            junk_examples=5,
        )
    assert report.total_calls > 300
    report.assert_clean()


async def test_every_schedule_tool_is_accepted_by_the_openai_strict_and_anthropic_tool_formats(
    schedule_server: Any,
) -> None:
    async with schedule_server(runner=True) as schedule:
        tools = (await schedule.client.list_tools()).tools
    assert sorted(tool.name for tool in tools) == TOOLS
    assert check_tool_schemas(tools) == []
    assert all(tool.output_schema and tool.annotations for tool in tools)
    hints = {tool.name: (tool.annotations.read_only_hint, tool.annotations.destructive_hint) for tool in tools
             if tool.annotations}  # fmt: skip
    assert hints["cancel_reminder"] == (False, True)
    assert hints["list_reminders"] == hints["list_jobs"] == hints["due_work"] == (True, False)
    assert hints["remind_me"] == hints["run_job"] == hints["claim_run"] == (False, False)


async def test_every_schedule_tool_takes_what_strict_hosts_send(schedule_server: Any) -> None:
    async with schedule_server(runner=True, jobs=[DIGEST]) as schedule:

        async def a_reminder() -> dict[str, Any]:
            made = await schedule.call("remind_me", text="Water the plants", at="tomorrow 9am")
            return {"id": made["id"]}

        problems = await call_as_strict_hosts_do(
            schedule.client,
            {
                "remind_me": {"text": "Water the plants", "at": "tomorrow 9am"},
                "list_reminders": {},
                "cancel_reminder": a_reminder,
                "list_jobs": {},
                "run_job": {"name": "morning-digest"},
                "due_work": {"at": "2026-11-21T07:00:00Z"},
                "claim_run": {"key": "job:morning-digest", "scheduled_for": "2026-11-21T07:00:00Z", "runner": "a"},
                "finish_run": FINISH,
            },
        )
    assert problems == [], "\n".join(problems)
