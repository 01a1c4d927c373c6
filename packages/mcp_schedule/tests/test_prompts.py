"""The schedule server's prompt: listed with its arguments, filled in, and hidden where its tools are not."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.anyio


async def test_set_up_morning_digest_is_listed_and_fills_in_the_time_and_delivery(schedule_server: Any) -> None:
    async with schedule_server() as schedule:
        listed = [prompt.model_dump(exclude_none=True) for prompt in (await schedule.client.list_prompts()).prompts]
        default = await schedule.client.get_prompt("set_up_morning_digest", {})
        early = await schedule.client.get_prompt(
            "set_up_morning_digest", {"time": "weekdays at 7:30", "deliver": "mail"}
        )
    assert listed == [
        {
            "name": "set_up_morning_digest",
            "title": "Set up my morning digest",
            "description": "A few lines every morning (important unread mail, today's events, tasks due), by SMS or "
            "mail to me.",
            "arguments": [
                {
                    "name": "time",
                    "description": "When it should arrive, e.g. '07:30' or 'weekdays at 8'.",
                    "required": False,
                },
                {"name": "deliver", "description": "How: 'sms', 'mail' or both ('sms, mail').", "required": False},
            ],
        }
    ]
    texts = [result.messages[0].content.model_dump()["text"] for result in (default, early)]
    assert [text.splitlines()[0] for text in texts] == [
        "Help me set up a morning digest that arrives every day at 08:00, delivered by sms.",
        "Help me set up a morning digest that arrives weekdays at 7:30, delivered by mail.",
    ]
    assert "list_jobs" in texts[0] and "[[schedule.jobs]]" in texts[0]


async def test_a_read_only_schedule_server_does_not_offer_it(schedule_server: Any) -> None:
    async with schedule_server(read_only=True) as schedule:
        listed = (await schedule.client.list_prompts()).prompts
        tools = {tool.name for tool in (await schedule.client.list_tools()).tools}
    assert "run_job" not in tools and listed == []
