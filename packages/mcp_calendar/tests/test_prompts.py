"""Calendar's prompts (slash commands in hosts): listed with their arguments, filled in, and not offered where the
tools they use are not."""

from __future__ import annotations

import pytest
from mcp import Client

from aide_calendar.server import spec
from aide_calendar.state import CalendarSettings
from aide_core.settings import AideSettings

pytestmark = pytest.mark.anyio


async def test_calendar_lists_plan_my_day_and_schedule_meeting_with_their_arguments(settings: AideSettings) -> None:
    async with Client(spec.build(settings)) as client:
        listed = [prompt.model_dump(exclude_none=True) for prompt in (await client.list_prompts()).prompts]
    assert listed == [
        {
            "name": "plan_my_day",
            "title": "Plan my day",
            "description": "Today's events, tasks due and free time, in one short plan.",
            "arguments": [
                {
                    "name": "day",
                    "description": "Which day to plan, e.g. 'tomorrow' or '2026-12-08' (default: today).",
                    "required": False,
                }
            ],
        },
        {
            "name": "schedule_meeting",
            "title": "Schedule a meeting",
            "description": "Find a time when everyone is free and, once I agree, create the event and invite them.",
            "arguments": [
                {"name": "with", "description": "Who to meet: email addresses, separated by commas.", "required": True},
                {
                    "name": "duration",
                    "description": "How long, e.g. '45 minutes' (default: 30 minutes).",
                    "required": False,
                },
                {
                    "name": "when",
                    "description": "When roughly, e.g. 'next week, mornings' (default: the next 5 working days).",
                    "required": False,
                },
            ],
        },
    ]


async def test_schedule_meeting_is_filled_in_with_defaults_for_what_is_not_given(settings: AideSettings) -> None:
    async with Client(spec.build(settings)) as client:
        result = await client.get_prompt("schedule_meeting", {"with": "ann@example.com"})
    [message] = result.messages
    text = message.content.model_dump()["text"]
    assert text.startswith("Schedule a meeting of 30 minutes with ann@example.com, the next 5 working days.\n")


async def test_a_read_only_calendar_offers_a_plan_but_no_meeting_to_create(settings: AideSettings) -> None:
    async with Client(spec.build(settings, config=CalendarSettings(read_only=True))) as client:
        names = [prompt.name for prompt in (await client.list_prompts()).prompts]
    assert names == ["plan_my_day"]
