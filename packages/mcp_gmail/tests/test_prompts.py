"""Gmail's prompts (slash commands in hosts): listed with their arguments, filled in, and not offered where the
tools they use are not."""

from __future__ import annotations

import json

import pytest
from mcp import Client

from aide_core.settings import AideSettings
from aide_gmail.server import spec
from aide_gmail.state import GmailSettings
from aide_google.accounts import INDEX
from aide_google.scopes import sign_in_scopes

pytestmark = pytest.mark.anyio


async def test_gmail_lists_triage_inbox_and_draft_reply_with_their_arguments(settings: AideSettings) -> None:
    async with Client(spec.build(settings)) as client:
        listed = [prompt.model_dump(exclude_none=True) for prompt in (await client.list_prompts()).prompts]
    assert listed == [
        {
            "name": "draft_reply",
            "title": "Draft a reply",
            "description": "Read a message and save a draft reply that says what I want; nothing is sent.",
            "arguments": [
                {
                    "name": "message_id",
                    "description": "The message to answer: its id, from search_emails or read_email.",
                    "required": True,
                },
                {
                    "name": "intent",
                    "description": "What the reply should say, e.g. 'accept, but ask to move it to 3 pm'.",
                    "required": False,
                },
            ],
        },
        {
            "name": "triage_inbox",
            "title": "Triage my inbox",
            "description": "Sort unread mail into what needs me today, what can wait, and what I can archive.",
            "arguments": [
                {
                    "name": "since",
                    "description": "How far back to look, e.g. 'the last 3 days' (default: the last 2 days).",
                    "required": False,
                }
            ],
        },
    ]


async def test_draft_reply_names_the_message_and_the_intent_and_never_sends(settings: AideSettings) -> None:
    async with Client(spec.build(settings)) as client:
        result = await client.get_prompt("draft_reply", {"message_id": "18c2f0", "intent": "yes, Tuesday works"})
    [message] = result.messages
    text = message.content.model_dump()["text"]
    assert message.role == "user"
    assert text.startswith("Draft a reply to the message with id 18c2f0.\n")
    assert "that says: yes, Tuesday works." in text and "Do not send it." in text


async def test_a_read_only_gmail_offers_triage_but_not_a_draft(settings: AideSettings) -> None:
    async with Client(spec.build(settings, config=GmailSettings(read_only=True))) as client:
        names = [prompt.name for prompt in (await client.list_prompts()).prompts]
    assert names == ["triage_inbox"]


async def test_an_account_signed_in_read_only_is_offered_triage_but_not_a_draft(settings: AideSettings) -> None:
    index = settings.home / INDEX
    index.parent.mkdir(parents=True)
    entry = {"type": "authorized_user", "level": "readonly", "scopes": list(sign_in_scopes("readonly"))}
    index.write_text(json.dumps({"work": entry}))
    async with Client(spec.build(settings)) as client:
        names = [prompt.name for prompt in (await client.list_prompts()).prompts]
        tools = [tool.name for tool in (await client.list_tools()).tools]
    assert (names, tools) == (["triage_inbox"], ["search_emails", "read_email", "read_thread"])
