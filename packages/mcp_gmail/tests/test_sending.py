"""Drafts, sends and replies: the guard (confirmation, idempotency, allowlists, dry-run), MIME and threading."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from mcp.types import ElicitResult

from aide_core.testing import Answers
from aide_sandbox.app import SandboxHandle
from aide_sandbox.testing import ME, PDF, SAM, mail, raw, unb64

pytestmark = pytest.mark.anyio


def sent_with(gmail: Any, subject: str) -> list[EmailMessage]:
    """The sent messages with exactly this subject, parsed."""
    listing = gmail.users().messages().list(userId="me", q=f'in:sent subject:"{subject}"').execute()
    found = []
    for ref in listing.get("messages") or []:
        data = gmail.users().messages().get(userId="me", id=ref["id"], format="raw").execute()
        parsed = email.message_from_bytes(unb64(data["raw"]), policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        if parsed["Subject"] == subject:
            found.append(parsed)
    return found


def message_of(gmail: Any, message_id: str) -> tuple[dict[str, Any], EmailMessage]:
    data = gmail.users().messages().get(userId="me", id=message_id, format="raw").execute()
    parsed = email.message_from_bytes(unb64(data["raw"]), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return data, parsed


async def test_a_draft_carries_the_markdown_as_text_and_html_alternatives(gmail_server: Any, gmail: Any) -> None:
    async with gmail_server() as server:
        draft = await server.call(
            "draft_email",
            to=["Zoë Müller <zoe@example.net>"],
            subject="Größe — 山田",
            body="**Bold** and a [link](https://x.example)",
        )
    stored = gmail.users().drafts().get(userId="me", id=draft["draft_id"], format="raw").execute()
    parsed = email.message_from_bytes(unb64(stored["message"]["raw"]), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["Subject"] == "Größe — 山田" and "=?utf-8?" in parsed.as_string()  # RFC 2047 on the wire
    assert parsed["To"] == "Zoë Müller <zoe@example.net>"
    plain, html = parsed.get_body(("plain",)), parsed.get_body(("html",))
    assert plain is not None and html is not None
    assert plain.get_content().strip().startswith("**Bold** and a [link](https://x.example)")
    assert '<strong>Bold</strong> and a <a href="https://x.example">link</a>' in html.get_content()
    assert draft["subject"] == "Größe — 山田"


async def test_token_mode_previews_first_and_sends_only_with_the_token(gmail_server: Any, gmail: Any) -> None:
    arguments = {"to": [SAM], "subject": "Token test", "body": "Hello Sam"}
    async with gmail_server(confirm="token") as server:
        first = await server.call("send_email", **arguments)
        assert first["status"] == "confirmation_required" and first["preview"].startswith(
            f"Send 'Token test' from {ME} to {SAM}\n\nHello Sam"
        )
        assert sent_with(gmail, "Token test") == []
        done = await server.call("send_email", **arguments, confirmation_token=first["confirmation_token"])
    assert done["status"] == "done" and done["result"]["subject"] == "Token test"
    [message] = sent_with(gmail, "Token test")
    assert message["To"] == SAM


async def test_elicit_mode_sends_when_the_user_accepts_and_not_when_they_decline(gmail_server: Any, gmail: Any) -> None:
    answers = Answers(ElicitResult(action="decline"), ElicitResult(action="accept", content={"confirm": True}))
    async with gmail_server(confirm="elicit", elicitation=answers) as server:
        declined = await server.call("send_email", to=[SAM], subject="Elicit test", body="one")
        assert declined["status"] == "declined" and sent_with(gmail, "Elicit test") == []
        done = await server.call("send_email", to=[SAM], subject="Elicit test", body="two")
    assert done["status"] == "done"
    assert len(sent_with(gmail, "Elicit test")) == 1
    assert answers.questions[0].startswith(f"Send 'Elicit test' from {ME} to {SAM}\n\none")


async def test_the_same_send_twice_sends_once(gmail_server: Any, gmail: Any) -> None:
    async with gmail_server() as server:
        first = await server.call("send_email", to=[SAM], subject="Once only", body="hi")
        second = await server.call("send_email", to=[SAM], subject="Once only", body="hi")
        keyed = await server.call("send_email", to=[SAM], subject="Once only", body="hi", idempotency_key="k2")
        again = await server.call("send_email", to=[SAM], subject="Once only", body="hi", idempotency_key="k2")
    assert (first["status"], second["status"], keyed["status"], again["status"]) == (
        "done",
        "replayed",
        "done",
        "replayed",
    )
    assert second["result"]["id"] == first["result"]["id"]
    assert len(sent_with(gmail, "Once only")) == 2  # the first call and the one with a new key


async def test_a_recipient_outside_the_allowlist_is_refused(gmail_server: Any, gmail: Any) -> None:
    async with gmail_server(allow_domains=["example.org"]) as server:
        error = await server.error("send_email", to=[SAM], cc=["eve@evil.example"], subject="Leak", body="x")
        ok = await server.call("send_email", to=[SAM], subject="Allowed", body="x")
    assert "Sending to eve@evil.example is not allowed" in error
    assert sent_with(gmail, "Leak") == [] and ok["status"] == "done"


async def test_dry_run_only_previews(gmail_server: Any, gmail: Any) -> None:
    async with gmail_server(dry_run=True) as server:
        result = await server.call("send_email", to=[SAM], subject="Dry", body="x")
    assert result["status"] == "dry_run" and "Send 'Dry'" in result["preview"]
    assert sent_with(gmail, "Dry") == []


async def test_a_reply_lands_in_the_thread_with_threading_headers(gmail_server: Any, gmail: Any) -> None:
    original_id = insert_from_priya(gmail)
    original, parsed = message_of(gmail, original_id)
    async with gmail_server() as server:
        result = await server.call("reply", id=original_id, body="Sounds good!")
    sent = result["result"]
    assert sent["thread_id"] == original["threadId"]
    data, reply = message_of(gmail, sent["id"])
    assert data["threadId"] == original["threadId"]
    assert reply["Subject"] == "Re: Budget for Q1"
    assert reply["In-Reply-To"] == parsed["Message-ID"]
    assert str(reply["References"]).split() == ["<root@northwind.example>", parsed["Message-ID"]]  # folding aside
    assert reply["To"] == "Priya Raman <priya.raman@northwind.example>" and reply["Cc"] is None
    text = reply.get_body(("plain",))
    assert text is not None and text.get_content().startswith("Sounds good!\n\nOn ")
    assert "> Can we agree the Q1 budget" in text.get_content()


async def test_reply_all_adds_the_other_recipients_but_never_oneself(gmail_server: Any, gmail: Any) -> None:
    original_id = insert_from_priya(gmail)
    async with gmail_server() as server:
        result = await server.call("reply", id=original_id, body="Agreed.", reply_all=True)
    _, reply = message_of(gmail, result["result"]["id"])
    assert reply["To"] == "Priya Raman <priya.raman@northwind.example>"
    assert reply["Cc"] == "José Álvarez <jose.alvarez@northwind.example>, zoe.mueller@northwind.example"


async def test_a_reply_to_ones_own_message_goes_to_its_recipients(gmail_server: Any, gmail: Any) -> None:
    mine = mail("Lunch?", "Lunch on Friday?", sender=ME, to="Helen Rivera <helen@familymail.example>")
    own_id = gmail.users().messages().insert(userId="me", body={"raw": raw(mine), "labelIds": ["SENT"]}).execute()["id"]
    async with gmail_server() as server:
        result = await server.call("reply", id=own_id, body="Or Saturday?")
    _, reply = message_of(gmail, result["result"]["id"])
    assert reply["To"] == "Helen Rivera <helen@familymail.example>"


async def test_a_reply_to_a_reply_to_header_goes_there(gmail_server: Any, gmail: Any) -> None:
    message = mail(
        "List post", "Thoughts?", sender="ann@example.net", to=ME, headers={"Reply-To": "list@lists.example"}
    )
    message_id = (
        gmail.users().messages().insert(userId="me", body={"raw": raw(message), "labelIds": ["INBOX"]}).execute()["id"]
    )
    async with gmail_server(confirm="token") as server:
        preview = await server.call("reply", id=message_id, body="Yes")
    assert f"Reply 'Re: List post' from {ME} to list@lists.example" in preview["preview"]


async def test_send_draft_sends_it_through_the_guard_and_the_draft_is_gone(gmail_server: Any, gmail: Any) -> None:
    async with gmail_server(confirm="token") as server:
        draft = await server.call("draft_email", to=[SAM], subject="From a draft", body="Draft body")
        preview = await server.call("send_draft", draft_id=draft["draft_id"])
        assert preview["status"] == "confirmation_required" and "From a draft" in preview["preview"]
        done = await server.call(
            "send_draft", draft_id=draft["draft_id"], confirmation_token=preview["confirmation_token"]
        )
    assert done["status"] == "done" and done["result"]["to"] == SAM
    assert len(sent_with(gmail, "From a draft")) == 1
    assert not gmail.users().drafts().list(userId="me").execute().get("drafts")


async def test_a_forward_carries_the_original_attachments(gmail_server: Any, gmail: Any) -> None:
    original = mail(
        "Report", "See attached.", sender="ann@example.net", to=ME, attachments=[("q.pdf", "application/pdf", PDF)]
    )
    original_id = (
        gmail.users().messages().insert(userId="me", body={"raw": raw(original), "labelIds": ["INBOX"]}).execute()["id"]
    )
    async with gmail_server() as server:
        draft = await server.call("draft_email", to=[SAM], forward_id=original_id, body="FYI")
    assert draft["subject"] == "Fwd: Report"
    stored = gmail.users().drafts().get(userId="me", id=draft["draft_id"], format="raw").execute()
    parsed = email.message_from_bytes(unb64(stored["message"]["raw"]), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    [attachment] = list(parsed.iter_attachments())
    assert attachment.get_filename() == "q.pdf" and attachment.get_content() == PDF
    plain = parsed.get_body(("plain",))
    assert plain is not None and "---------- Forwarded message ---------" in plain.get_content()


async def test_local_files_attach_only_from_the_attachments_folder(
    gmail_server: Any, gmail: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "outbox"
    folder.mkdir()
    (folder / "notes.txt").write_text("notes")
    (tmp_path / "secret.txt").write_text("secret")
    async with gmail_server(attachments_dir=str(folder)) as server:
        draft = await server.call("draft_email", to=[SAM], subject="Notes", body="x", attachments=["notes.txt"])
        escape = await server.error("draft_email", to=[SAM], subject="x", body="x", attachments=["../secret.txt"])
    stored = gmail.users().drafts().get(userId="me", id=draft["draft_id"], format="raw").execute()
    parsed = email.message_from_bytes(unb64(stored["message"]["raw"]), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    assert [a.get_filename() for a in parsed.iter_attachments()] == ["notes.txt"]
    assert "No file '../secret.txt' in the attachments folder" in escape


async def test_bad_addresses_and_missing_recipients_are_refused(gmail_server: Any) -> None:
    async with gmail_server() as server:
        bad = await server.error("draft_email", to=["bob"], subject="x", body="x")
        none = await server.error("draft_email", subject="x", body="x")
    assert "to: 'bob' is not one e-mail address" in bad
    assert "No recipients" in none


async def test_a_send_answered_503_is_not_retried_and_not_repeated_by_the_guard(
    gmail_server: Any, gmail: Any, sandbox: SandboxHandle
) -> None:
    fault = sandbox.faults.inject("gmail.users.messages.send", status=503, times=3)
    async with gmail_server() as server:
        error = await server.error("send_email", to=[SAM], subject="Flaky", body="x")
        again = await server.error("send_email", to=[SAM], subject="Flaky", body="x")
    assert fault.hits == 1  # one attempt: a send is never retried blindly
    assert "HTTP 503" in error and "so the outcome is unknown" in error and "in the Sent folder" in error
    assert "outcome is unknown; nothing was done now" in again
    assert sent_with(gmail, "Flaky") == []


async def test_reads_answered_429_and_503_are_retried(gmail_server: Any, sandbox: SandboxHandle) -> None:
    limited = sandbox.faults.inject("gmail.users.messages.list", status=429, times=2)
    unavailable = sandbox.faults.inject("gmail.users.messages.get", status=503, times=1)
    async with gmail_server() as server:
        found = await server.call("search_emails", query="subject:invitation", limit=2)
    assert len(found["emails"]) == 2
    assert limited.hits == 2 and unavailable.hits == 1


async def test_search_rows_come_in_one_batch_request_retried_after_a_500(
    gmail_server: Any, sandbox: SandboxHandle
) -> None:
    failed_batch = sandbox.faults.inject("*batch*", status=500, times=1)
    async with gmail_server() as server:
        found = await server.call("search_emails", query="", limit=20)
    assert failed_batch.hits == 1 and len(found["emails"]) == 20


async def test_a_persistent_rate_limit_becomes_a_clear_error(gmail_server: Any, sandbox: SandboxHandle) -> None:
    sandbox.faults.inject("gmail.users.messages.list", status=429, times=None)
    async with gmail_server() as server:
        error = await server.error("search_emails", query="x")
    assert "Gmail is rate limiting requests" in error and "Do not repeat the call at once" in error


def insert_from_priya(gmail: Any) -> str:
    message = mail(
        "Budget for Q1",
        "Can we agree the Q1 budget by Friday?",
        sender="Priya Raman <priya.raman@northwind.example>",
        to=f"Alex Rivera <{ME}>, José Álvarez <jose.alvarez@northwind.example>",
        cc="zoe.mueller@northwind.example",
        headers={"References": "<root@northwind.example>"},
    )
    body = {"raw": raw(message), "labelIds": ["INBOX"]}
    return gmail.users().messages().insert(userId="me", body=body).execute()["id"]
