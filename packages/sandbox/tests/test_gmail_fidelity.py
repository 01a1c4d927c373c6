"""Points where the Gmail emulator must answer exactly as Gmail does (padding, self-addressed mail, page tokens,
label names, injected quota reasons), through google-api-python-client."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from aide_sandbox.app import SandboxHandle
from aide_sandbox.testing import ME, PNG, error_of, mail, raw, unb64


def walk(part: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield part
    for child in part.get("parts", []):
        yield from walk(child)


def test_part_and_attachment_data_is_unpadded_while_raw_keeps_its_padding(gmail: Any) -> None:
    message = mail("Padding", "ab", to=ME, attachments=[("one.bin", "application/octet-stream", b"x")])
    sent = gmail.users().messages().send(userId="me", body={"raw": raw(message)}).execute()
    full = gmail.users().messages().get(userId="me", id=sent["id"]).execute()
    text, attachment = full["payload"]["parts"]
    assert "=" not in text["body"]["data"] and unb64(text["body"]["data"]).strip() == b"ab"
    fetched = (
        gmail.users()
        .messages()
        .attachments()
        .get(userId="me", messageId=sent["id"], id=attachment["body"]["attachmentId"])
        .execute()
    )
    assert fetched["data"] == "eA"  # b"x", which padded would be "eA=="
    raw_form = gmail.users().messages().get(userId="me", id=sent["id"], format="raw").execute()["raw"]
    assert len(raw_form) % 4 == 0


def test_mail_sent_to_yourself_is_in_the_inbox_as_well_as_sent(gmail: Any) -> None:
    sent = gmail.users().messages().send(userId="me", body={"raw": raw(mail("Note to self", "milk", to=ME))}).execute()
    assert {"SENT", "INBOX"} <= set(sent["labelIds"])
    inbox = gmail.users().messages().list(userId="me", q="in:inbox subject:(note to self)").execute()
    assert [m["id"] for m in inbox["messages"]] == [sent["id"]]


@pytest.mark.parametrize("token", ["garbage", "999999"])
def test_a_page_token_that_was_never_handed_out_is_refused(gmail: Any, token: str) -> None:
    with pytest.raises(HttpError) as refused:
        gmail.users().messages().list(userId="me", pageToken=token).execute()
    assert refused.value.status_code == 400


def test_a_label_name_taken_in_another_case_conflicts_as_gmail_says(gmail: Any) -> None:
    with pytest.raises(HttpError) as conflict:
        gmail.users().labels().create(userId="me", body={"name": "WORK"}).execute()
    error = error_of(conflict.value)
    assert (error["code"], error["status"], error["errors"][0]["reason"]) == (409, "ABORTED", "aborted")
    assert error["message"] == "Label name exists or conflicts"


@pytest.mark.parametrize("name", ["INBOX", "Inbox", "starred"])
def test_a_system_label_name_cannot_be_taken(gmail: Any, name: str) -> None:
    with pytest.raises(HttpError) as refused:
        gmail.users().labels().create(userId="me", body={"name": name}).execute()
    assert refused.value.status_code == 400


@pytest.mark.parametrize(
    ("status", "reason"), [(403, "rateLimitExceeded"), (403, "userRateLimitExceeded"), (403, "quotaExceeded")]
)
def test_an_injected_fault_carries_the_chosen_reason(
    sandbox: SandboxHandle, gmail: Any, status: int, reason: str
) -> None:
    sandbox.faults.inject("gmail.users.messages.list", status=status, reason=reason)
    with pytest.raises(HttpError) as limited:
        gmail.users().messages().list(userId="me").execute()
    error = error_of(limited.value)
    assert limited.value.status_code == status
    assert error["errors"][0] == error["errors"][0] | {"reason": reason, "domain": "usageLimits"}


def test_an_unnamed_inline_image_gets_an_attachment_id(gmail: Any) -> None:
    message = mail("Logo", "see the logo", to=ME, html='<p>Logo: <img src="cid:logo@x"></p>')
    html_part = message.get_body(("html",))
    assert html_part is not None
    html_part.add_related(PNG, maintype="image", subtype="png", cid="<logo@x>")
    sent = gmail.users().messages().send(userId="me", body={"raw": raw(message)}).execute()
    full = gmail.users().messages().get(userId="me", id=sent["id"]).execute()
    images = [p for p in walk(full["payload"]) if p["mimeType"] == "image/png"]
    assert [(p["filename"], "attachmentId" in p["body"], "data" in p["body"]) for p in images] == [("", True, False)]
    data = (
        gmail.users()
        .messages()
        .attachments()
        .get(userId="me", messageId=sent["id"], id=images[0]["body"]["attachmentId"])
        .execute()["data"]
    )
    assert unb64(data) == PNG


def test_the_snippet_comes_from_the_message_not_the_message_it_forwards(gmail: Any) -> None:
    forwarded = mail("Original", "words from the forwarded message")
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = ME, ME, "Fwd: Original"
    message.set_content("<p>Have a look at this.</p>", subtype="html")
    message.add_attachment(forwarded)
    sent = gmail.users().messages().send(userId="me", body={"raw": raw(message)}).execute()
    got = gmail.users().messages().get(userId="me", id=sent["id"], format="minimal").execute()
    assert got["snippet"] == "Have a look at this."
    assert gmail.users().messages().list(userId="me", q='"words from the forwarded"').execute()["messages"]
