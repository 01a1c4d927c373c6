"""Labels, trash, and the extended tier."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import anyio
import pytest

import aide_gmail.tools
from aide_sandbox.app import SandboxHandle
from aide_sandbox.testing import PDF, SAM, mail, raw

pytestmark = pytest.mark.anyio

EXTENDED = [
    "list_drafts", "update_draft", "delete_draft", "list_labels", "manage_label", "get_attachment",
    "untrash_emails", "history_since", "list_filters",
]  # fmt: skip


def labels_of(gmail: Any, message_id: str) -> list[str]:
    return gmail.users().messages().get(userId="me", id=message_id, format="minimal").execute().get("labelIds", [])


def insert(gmail: Any, subject: str, labels: tuple[str, ...] = ("INBOX", "UNREAD"), **extra: Any) -> str:
    body = {"raw": raw(mail(subject, "text", **extra)), "labelIds": list(labels)}
    return gmail.users().messages().insert(userId="me", body=body).execute()["id"]


async def test_archive_read_and_star_are_label_changes(gmail_server: Any, gmail: Any) -> None:
    message_id = insert(gmail, "Organize me")
    async with gmail_server() as server:
        done = await server.call("label_emails", ids=[message_id], add=["archive", "read", "star", "Work"])
        labels = labels_of(gmail, message_id)
        undone = await server.call("label_emails", ids=[message_id], remove=["star", "archive"])
    assert done["changed"] == 1
    assert "INBOX" not in labels and "UNREAD" not in labels and "STARRED" in labels
    assert any(label.startswith("Label_") for label in labels)  # Work, by its id
    assert undone["changed"] == 1 and "STARRED" not in labels_of(gmail, message_id)
    assert "INBOX" in labels_of(gmail, message_id)  # removing "archive" puts it back in the inbox


async def test_an_unknown_label_is_refused_with_the_labels_there_are(gmail_server: Any, gmail: Any) -> None:
    message_id = insert(gmail, "x")
    async with gmail_server() as server:
        error = await server.error("label_emails", ids=[message_id], add=["Wrok"])
        neither = await server.error("label_emails", add=["read"])
    assert "No label named 'Wrok'" in error and "Work" in error and "archive" in error
    assert "Give either ids or query" in neither and "search_emails" in neither


async def test_labelling_by_query_goes_in_batches_with_progress(
    gmail_server: Any, gmail: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(aide_gmail.tools, "LABEL_BATCH", 10)
    progress: list[tuple[float, float | None]] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append((done, total))

    async with gmail_server() as server:
        result = await server.client.call_tool(
            "label_emails", {"query": "label:Newsletters", "add": ["read"]}, progress_callback=on_progress
        )
        remaining = await server.call("search_emails", query="label:Newsletters is:unread")
    assert not result.is_error and result.structured_content is not None
    changed = result.structured_content["changed"]
    assert changed > 20
    assert progress[-1] == (changed, changed) and len(progress) == -(-changed // 10)
    assert remaining["emails"] == []


async def test_trash_goes_through_the_guard_and_untrash_brings_it_back(gmail_server: Any, gmail: Any) -> None:
    message_id = insert(gmail, "Old newsletter")
    async with gmail_server(confirm="token", tier="extended") as server:
        preview = await server.call("trash_emails", ids=[message_id])
        assert "TRASH" not in labels_of(gmail, message_id)
        done = await server.call("trash_emails", ids=[message_id], confirmation_token=preview["confirmation_token"])
        trashed = labels_of(gmail, message_id)
        back = await server.call("untrash_emails", ids=[message_id])
    assert preview["status"] == "confirmation_required" and "Old newsletter" in preview["preview"]
    assert done["status"] == "done" and "TRASH" in trashed
    assert back["ids"] == [message_id] and "TRASH" not in labels_of(gmail, message_id)


async def test_the_extended_tier_is_listed_only_when_configured(gmail_server: Any) -> None:
    async with gmail_server() as default:
        plain = await default.tools()
    async with gmail_server(tier="extended") as extended:
        more = await extended.tools()
    assert not set(EXTENDED) & set(plain)
    assert set(EXTENDED) <= set(more)


async def test_drafts_can_be_listed_updated_and_deleted(gmail_server: Any, gmail: Any) -> None:
    async with gmail_server(tier="extended", confirm="never") as server:
        draft = await server.call("draft_email", to=[SAM], subject="First try", body="v1")
        updated = await server.call("update_draft", draft_id=draft["draft_id"], subject="Second try", body="v2")
        listed = await server.call("list_drafts")
        deleted = await server.call("delete_draft", draft_id=draft["draft_id"])
        missing = await server.error("update_draft", draft_id=draft["draft_id"], body="v3")
    assert updated["draft_id"] == draft["draft_id"] and updated["to"] == SAM
    assert [(d["draft_id"], d["subject"]) for d in listed["drafts"]] == [(draft["draft_id"], "Second try")]
    assert deleted["status"] == "done"
    assert not gmail.users().drafts().list(userId="me").execute().get("drafts")
    assert "Gmail has no draft" in missing


async def test_labels_can_be_listed_created_and_renamed(gmail_server: Any) -> None:
    async with gmail_server(tier="extended") as server:
        made = await server.call("manage_label", name="Taxes", create=True)
        renamed = await server.call("manage_label", name="Taxes", new_name="Taxes 2026")
        labels = await server.call("list_labels")
    names = {label["name"]: label["type"] for label in labels["labels"]}
    assert renamed["id"] == made["id"] and names["Taxes 2026"] == "user" and names["INBOX"] == "system"
    assert "Taxes" not in names


async def test_an_attachment_is_a_resource_link_or_a_saved_file_never_base64(
    gmail_server: Any, gmail: Any, tmp_path: Path
) -> None:
    message_id = insert(gmail, "Report", attachments=[("report.pdf", "application/pdf", PDF)])
    downloads = tmp_path / "downloads"
    async with gmail_server(tier="extended", downloads_dir=str(downloads)) as server:
        email = await server.call("read_email", id=message_id)
        [attachment] = email["attachments"]
        linked = await server.call("get_attachment", message_id=message_id, attachment_id=attachment["id"])
        saved = await server.call("get_attachment", message_id=message_id, attachment_id=attachment["id"], save=True)
        content = await server.client.read_resource(linked["uri"])
    assert linked["uri"] == f"gmail://default/attachments/{message_id}/{attachment['id']}" and linked["path"] is None
    assert base64.b64decode(getattr(content.contents[0], "blob", "")) == PDF
    assert Path(saved["path"]) == downloads / "report.pdf"
    assert await anyio.Path(saved["path"]).read_bytes() == PDF


async def test_an_unknown_attachment_id_is_refused_with_where_the_ids_are(gmail_server: Any, gmail: Any) -> None:
    message_id = insert(gmail, "Report", attachments=[("report.pdf", "application/pdf", PDF)])
    async with gmail_server(tier="extended") as server:
        linked = await server.error("get_attachment", message_id=message_id, attachment_id="nope")
        drafted = await server.error("draft_email", to=[SAM], attachments=[f"{message_id}/part:9"])
    for error in (linked, drafted):
        assert "has no attachment" in error and "read_email" in error


async def test_history_since_reports_what_changed(gmail_server: Any, gmail: Any, sandbox: SandboxHandle) -> None:
    start = gmail.users().getProfile(userId="me").execute()["historyId"]
    message_id = insert(gmail, "Fresh")
    async with gmail_server(tier="extended") as server:
        await server.call("label_emails", ids=[message_id], add=["star"])
        history = await server.call("history_since", history_id=start)
        later = await server.call("history_since", history_id=history["history_id"])
        ancient = await server.error("history_since", history_id="1")
    kinds = {(c["message_id"], c["kind"]) for c in history["changes"]}
    assert (message_id, "added") in kinds and (message_id, "labels_added") in kinds
    assert later["changes"] == []
    assert "History id 1 is too old or unknown" in ancient and "search_emails" in ancient


async def test_every_tool_has_annotations_and_an_output_schema(gmail_server: Any) -> None:
    async with gmail_server(tier="extended") as server:
        tools = (await server.client.list_tools()).tools
    assert len(tools) == 18  # manage_filter needs gmail.settings.basic, which the sandbox's seeded token lacks
    for tool in tools:
        assert tool.output_schema is not None, tool.name
        assert tool.annotations is not None and tool.annotations.read_only_hint is not None, tool.name
        assert tool.annotations.destructive_hint is not None and tool.annotations.open_world_hint is not None
    by_name = {tool.name: tool for tool in tools}
    assert by_name["send_email"].annotations.destructive_hint is True  # type: ignore[union-attr]
    assert by_name["search_emails"].annotations.read_only_hint is True  # type: ignore[union-attr]


async def test_read_email_shows_user_labels_by_name(gmail_server: Any, gmail: Any) -> None:
    async with gmail_server() as server:
        [row] = (await server.call("search_emails", query="subject:invitation Konstanz", limit=1))["emails"]
        email = await server.call("read_email", id=row["id"])
    assert "Work" in email["labels"]


async def test_filters_can_be_changed_only_with_the_settings_scope_gmail_requires(
    gmail_server: Any, sandbox: SandboxHandle
) -> None:
    full = sandbox.authorized_user(scopes=("https://mail.google.com/",))
    with_settings = sandbox.authorized_user(
        scopes=("https://mail.google.com/", "https://www.googleapis.com/auth/gmail.settings.basic")
    )  # a grant that carries the scope (the seeded tokens do not); test_filters.py uses it end to end
    async with gmail_server(tier="extended", authorized_user=full) as server:
        without = await server.tools()
    async with gmail_server(tier="extended", authorized_user=with_settings) as server:
        listed = await server.tools()
        refused = await server.error("manage_filter", query="from:news@example.com")
    assert "list_filters" in without and "manage_filter" not in without
    assert "manage_filter" in listed
    assert "A filter needs a query and labels to add or remove" in refused


@pytest.mark.parametrize(
    ("tool", "arguments", "missing"),
    [
        ("read_thread", {"thread_id": "ffff"}, "Gmail has no thread 'ffff'."),
        ("send_draft", {"draft_id": "nope"}, "Gmail has no draft 'nope'."),
        ("reply", {"id": "ffff", "body": "x"}, "Gmail has no message 'ffff'."),
        ("trash_emails", {"ids": ["ffff"]}, "Gmail has no message 'ffff'."),
        ("label_emails", {"ids": ["ffff"], "add": ["read"]}, "Gmail found no such item"),  # a batch: no one id
        ("get_attachment", {"message_id": "ffff", "attachment_id": "x"}, "Gmail has no message 'ffff'."),
        ("delete_draft", {"draft_id": "nope"}, "Gmail has no draft 'nope'."),
        ("untrash_emails", {"ids": ["ffff"]}, "Gmail has no message 'ffff'."),
    ],
)
async def test_unknown_ids_are_clear_errors_in_every_tool(
    gmail_server: Any, tool: str, arguments: Any, missing: str
) -> None:
    async with gmail_server(tier="extended") as server:
        error = await server.error(tool, **arguments)
    assert missing in error and "Check the ID" in error
