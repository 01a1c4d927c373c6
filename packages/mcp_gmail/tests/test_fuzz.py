"""Every Gmail tool, both tiers, called with arguments generated from its schema (valid, junk and edge values)
against the sandbox: bad input is always an error the model can act on, never an internal error or a hang.

Confirmation is by token, so no generated call ever sends, trashes or deletes: the guard only previews (and must not
crash either). The mailbox holds, besides the seed, a message whose attachments have the names a hostile sender can
give them (a NUL, 300 characters), so that reading and saving them is fuzzed too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aide_core.testing import call_as_strict_hosts_do, check_tool_schemas, fuzz_tools
from aide_sandbox.testing import PDF, SAM, mail, raw

pytestmark = pytest.mark.anyio

HOSTILE_NAMES = ("report.pdf", "re\x00port.pdf", "a" * 300 + ".pdf")


def hostile_message(gmail: Any) -> str:
    message = mail("Odd attachments", "See attached.", sender=SAM, attachments=[])
    for name in HOSTILE_NAMES:
        message.add_attachment(PDF, maintype="application", subtype="pdf", filename=name)
    body = {"raw": raw(message), "labelIds": ["INBOX", "UNREAD"]}
    return gmail.users().messages().insert(userId="me", body=body).execute()["id"]


def known_values(gmail: Any, hostile_id: str, attachment_ids: list[str]) -> dict[str, list[Any]]:
    """Ids that exist in the mailbox, so that generated calls also get past "not found"."""
    messages = gmail.users().messages().list(userId="me", maxResults=5).execute()["messages"]
    drafts = gmail.users().drafts().list(userId="me").execute().get("drafts") or []
    message_ids = [hostile_id, *(m["id"] for m in messages)]
    return {
        "id": message_ids,
        "ids": [message_ids[:2]],
        "message_id": [hostile_id],
        "attachment_id": attachment_ids,
        "attachments": [[f"{hostile_id}/{a}"] for a in attachment_ids],
        "thread_id": [m["threadId"] for m in messages],
        "draft_id": [draft["id"] for draft in drafts] or ["r-none"],
        "to": [[SAM]],
        "add": [["STARRED"]],
        "remove": [["UNREAD"]],
    }


def bases(hostile_id: str, attachment_id: str, draft_id: str) -> dict[str, dict[str, Any]]:
    """For each tool, a call that gets far into it: edge values replace one argument at a time."""
    letter = {"to": [SAM], "subject": "Lunch", "body": "Shall we meet at noon?"}
    return {
        "draft_email": letter,
        "send_email": letter,
        "update_draft": {"draft_id": draft_id, **letter},
        "reply": {"id": hostile_id, "body": "Thanks!"},
        "read_email": {"id": hostile_id},
        "get_attachment": {"message_id": hostile_id, "attachment_id": attachment_id, "save": True},
        "label_emails": {"ids": [hostile_id], "add": ["STARRED"]},
        "search_emails": {"query": "attachments"},
        "manage_label": {"name": "Receipts", "create": True},
        "manage_filter": {"query": "from:sam", "add": ["STARRED"]},
    }


@pytest.mark.parametrize("tier", ["default", "extended"])
async def test_no_generated_arguments_crash_or_hang_any_gmail_tool(
    gmail_server: Any, gmail: Any, tier: str, tmp_path: Path
) -> None:
    hostile_id = hostile_message(gmail)
    async with gmail_server(confirm="token", tier=tier, downloads_dir=str(tmp_path / "downloads")) as server:
        attachments = [a["id"] for a in (await server.call("read_email", id=hostile_id))["attachments"]]
        draft = await server.call("draft_email", to=[SAM], subject="Draft", body="Draft body")
        report = await fuzz_tools(
            server.client,
            known=known_values(gmail, hostile_id, attachments),
            bases=bases(hostile_id, attachments[0], draft["draft_id"]),
            valid_examples=15,
            junk_examples=5,
        )
    assert report.total_calls > (1500 if tier == "default" else 2000)  # a sanity floor: the generator ran
    report.assert_clean()


async def test_every_gmail_tool_is_accepted_by_the_openai_strict_and_anthropic_tool_formats(gmail_server: Any) -> None:
    async with gmail_server(tier="extended") as server:
        tools = (await server.client.list_tools()).tools
    assert len(tools) == 18  # both tiers
    assert check_tool_schemas(tools) == []


async def test_every_gmail_tool_works_when_a_strict_host_sends_every_optional_argument(
    gmail_server: Any, gmail: Any, tmp_path: Path
) -> None:
    hostile_id = hostile_message(gmail)
    async with gmail_server(confirm="token", tier="extended", downloads_dir=str(tmp_path / "downloads")) as server:
        attachments = [a["id"] for a in (await server.call("read_email", id=hostile_id))["attachments"]]
        draft = await server.call("draft_email", to=[SAM], subject="Draft", body="Draft body")
        thread_id = gmail.users().messages().get(userId="me", id=hostile_id).execute()["threadId"]
        history_id = gmail.users().getProfile(userId="me").execute()["historyId"]
        calls = bases(hostile_id, attachments[0], draft["draft_id"]) | {
            "read_thread": {"thread_id": thread_id},
            "trash_emails": {"ids": [hostile_id]},  # previews only: confirmation is by token
            "untrash_emails": {"ids": [hostile_id]},
            "history_since": {"history_id": str(history_id)},
            "send_draft": {"draft_id": draft["draft_id"]},
            "delete_draft": {"draft_id": draft["draft_id"]},
        }
        tools = (await server.client.list_tools()).tools
        everything = {tool.name: calls.get(tool.name, {}) for tool in tools}
        problems = await call_as_strict_hosts_do(server.client, everything)
    assert problems == [], "\n".join(problems)
