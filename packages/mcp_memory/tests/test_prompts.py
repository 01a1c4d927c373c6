"""Memory's prompt (a slash command in hosts): listed with its argument and filled in."""

from __future__ import annotations

import pytest
from mcp import Client

from aide_core.settings import AideSettings
from aide_memory.server import spec

pytestmark = pytest.mark.anyio


async def test_memory_lists_what_you_know_about_me_and_fills_in_the_topic(settings: AideSettings) -> None:
    async with Client(spec.build(settings)) as client:
        listed = [prompt.model_dump(exclude_none=True) for prompt in (await client.list_prompts()).prompts]
        everything = await client.get_prompt("what_you_know_about_me", {})
        work = await client.get_prompt("what_you_know_about_me", {"topic": "work"})
    assert listed == [
        {
            "name": "what_you_know_about_me",
            "title": "What you know about me",
            "description": "What memory holds about me (preferences, facts, people, plans), and where each came from.",
            "arguments": [
                {
                    "name": "topic",
                    "description": "Only about this, e.g. 'work' or 'travel' (default: everything).",
                    "required": False,
                }
            ],
        }
    ]
    texts = [result.messages[0].content.model_dump()["text"] for result in (everything, work)]
    assert [text.splitlines()[0] for text in texts] == [
        "Tell me what you know about me, about: everything.",
        "Tell me what you know about me, about: work.",
    ]
    assert "memory_profile" in texts[0] and "recall" in texts[0]
