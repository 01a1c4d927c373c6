"""users.messages and users.getProfile through google-api-python-client."""

from __future__ import annotations

import io
from typing import Any

import pytest
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaIoBaseUpload

from aide_sandbox.app import SandboxHandle
from aide_sandbox.testing import ME, PDF, PNG, error_of, headers_of, mail, raw, unb64

HTML = "<p>Numbers for <b>Q4</b> are in.</p>"
ATTACHMENTS = [("report.pdf", "application/pdf", PDF), ("chart.png", "image/png", PNG)]


def tree(part: dict[str, Any]) -> list[Any]:
    """A payload's shape: (mimeType, filename) per part, nested."""
    return [part["mimeType"], part["filename"], [tree(p) for p in part.get("parts", [])]]


def test_the_profile_counts_the_seeded_mailbox(gmail: Any) -> None:
    profile = gmail.users().getProfile(userId="me").execute()
    assert profile["emailAddress"] == ME
    assert 180 <= profile["messagesTotal"] <= 220
    assert profile["threadsTotal"] < profile["messagesTotal"]
    assert int(profile["historyId"]) > 1000


def test_listing_pages_through_every_message_newest_first(gmail: Any) -> None:
    messages = gmail.users().messages()
    request = messages.list(userId="me", maxResults=50)
    seen: list[str] = []
    while request is not None:
        page = request.execute()
        seen += [m["id"] for m in page["messages"]]
        request = messages.list_next(request, page)
    total = gmail.users().getProfile(userId="me").execute()["messagesTotal"]
    spam_and_trash = gmail.users().messages().list(userId="me", q="in:spam OR in:trash").execute()
    assert len(seen) == len(set(seen)) == total - spam_and_trash["resultSizeEstimate"]
    dates = [int(gmail.users().messages().get(userId="me", id=i, format="minimal").execute()["internalDate"])
             for i in seen[:5]]  # fmt: skip
    assert dates == sorted(dates, reverse=True)


def test_list_filters_by_every_label_given(gmail: Any) -> None:
    both = gmail.users().messages().list(userId="me", labelIds=["INBOX", "UNREAD"]).execute()["messages"]
    for ref in both[:10]:
        labels = gmail.users().messages().get(userId="me", id=ref["id"], format="minimal").execute()["labelIds"]
        assert {"INBOX", "UNREAD"} <= set(labels)


@pytest.mark.parametrize("route", ["raw", "multipart", "resumable"])
def test_a_rich_message_comes_back_with_the_same_parts_and_bytes(gmail: Any, route: str) -> None:
    message = mail("Q4 numbers", "Numbers for Q4 are in.", html=HTML, attachments=ATTACHMENTS)
    data = message.as_bytes()
    messages = gmail.users().messages()
    if route == "raw":
        sent = messages.send(userId="me", body={"raw": raw(message)}).execute()
    else:
        media = MediaIoBaseUpload(io.BytesIO(data), mimetype="message/rfc822", resumable=route == "resumable")
        sent = messages.send(userId="me", body={}, media_body=media).execute()
    assert sent["labelIds"] == ["SENT"]

    full = messages.get(userId="me", id=sent["id"], format="full").execute()
    assert tree(full["payload"]) == [
        "multipart/mixed", "", [
            ["multipart/alternative", "", [["text/plain", "", []], ["text/html", "", []]]],
            ["application/pdf", "report.pdf", []],
            ["image/png", "chart.png", []],
        ],
    ]  # fmt: skip
    alternative, pdf, png = full["payload"]["parts"]
    assert [p["partId"] for p in (alternative, *alternative["parts"], pdf, png)] == ["0", "0.0", "0.1", "1", "2"]
    assert unb64(alternative["parts"][0]["body"]["data"]) == b"Numbers for Q4 are in.\n"
    assert unb64(alternative["parts"][1]["body"]["data"]) == b"<p>Numbers for <b>Q4</b> are in.</p>\n"
    assert headers_of(full["payload"])["Subject"] == "Q4 numbers"
    assert full["snippet"] == "Numbers for Q4 are in."
    assert full["sizeEstimate"] == len(data)
    for part, expected in ((pdf, PDF), (png, PNG)):
        assert "data" not in part["body"] and part["body"]["size"] == len(expected)
        attachment = messages.attachments().get(userId="me", messageId=sent["id"], id=part["body"]["attachmentId"])
        assert unb64(attachment.execute()["data"]) == expected

    fetched = messages.get(userId="me", id=sent["id"], format="raw").execute()
    assert unb64(fetched["raw"]) == data
    assert "payload" not in fetched


def test_metadata_and_minimal_formats_leave_out_bodies(gmail: Any) -> None:
    ref = gmail.users().messages().list(userId="me", q="has:attachment", maxResults=1).execute()["messages"][0]
    messages = gmail.users().messages()
    metadata = messages.get(userId="me", id=ref["id"], format="metadata", metadataHeaders=["From", "subject"]).execute()
    assert [h["name"] for h in metadata["payload"]["headers"]] == ["From", "Subject"]
    assert "parts" not in metadata["payload"] and "body" not in metadata["payload"]
    minimal = messages.get(userId="me", id=ref["id"], format="minimal").execute()
    assert set(minimal) == {"id", "threadId", "labelIds", "snippet", "sizeEstimate", "historyId", "internalDate"}


def test_send_stamps_missing_headers_and_delivers_to_a_sandbox_account(sandbox: SandboxHandle) -> None:
    message = mail("Pancakes", "See you at 10.", to="sam.okafor@example.org", headers={"Bcc": "secret@example.net"})
    del message["Message-ID"], message["Date"]
    sent = sandbox.gmail().users().messages().send(userId="me", body={"raw": raw(message)}).execute()
    stored = sandbox.gmail().users().messages().get(userId="me", id=sent["id"], format="metadata").execute()
    assert {"Date", "Message-ID", "Bcc"} <= set(headers_of(stored["payload"]))

    sam = sandbox.gmail("sam.okafor@example.org").users().messages()
    [ref] = sam.list(userId="me", q="subject:pancakes from:alex.rivera").execute()["messages"]
    received = sam.get(userId="me", id=ref["id"], format="metadata").execute()
    assert set(received["labelIds"]) == {"INBOX", "UNREAD", "CATEGORY_PERSONAL"}
    assert "Bcc" not in headers_of(received["payload"])
    assert headers_of(received["payload"])["Delivered-To"] == "sam.okafor@example.org"


def test_send_without_a_message_or_recipient_is_invalid(gmail: Any) -> None:
    with pytest.raises(HttpError) as missing:
        gmail.users().messages().send(userId="me", body={}).execute()
    assert missing.value.status_code == 400
    nobody = mail("x", "y")
    del nobody["To"]
    with pytest.raises(HttpError) as no_recipient:
        gmail.users().messages().send(userId="me", body={"raw": raw(nobody)}).execute()
    assert error_of(no_recipient.value)["message"] == "Recipient address required"


def test_modify_and_batch_modify_change_labels(gmail: Any) -> None:
    messages = gmail.users().messages()
    ids = [m["id"] for m in messages.list(userId="me", labelIds=["UNREAD"], maxResults=3).execute()["messages"]]
    changed = messages.modify(userId="me", id=ids[0], body={"addLabelIds": ["STARRED"], "removeLabelIds": ["UNREAD"]})
    labels = changed.execute()["labelIds"]
    assert "STARRED" in labels and "UNREAD" not in labels
    assert messages.batchModify(userId="me", body={"ids": ids[1:], "removeLabelIds": ["UNREAD"]}).execute() == ""
    for message_id in ids[1:]:
        assert "UNREAD" not in messages.get(userId="me", id=message_id, format="minimal").execute()["labelIds"]
    with pytest.raises(HttpError) as bad:
        messages.modify(userId="me", id=ids[0], body={"addLabelIds": ["NO_SUCH_LABEL"]}).execute()
    assert bad.value.status_code == 400 and error_of(bad.value)["message"] == "Invalid label: NO_SUCH_LABEL"


def test_trash_untrash_and_delete(gmail: Any) -> None:
    messages = gmail.users().messages()
    message_id = messages.list(userId="me", maxResults=1).execute()["messages"][0]["id"]
    assert "TRASH" in messages.trash(userId="me", id=message_id).execute()["labelIds"]
    assert message_id not in [m["id"] for m in messages.list(userId="me", maxResults=500).execute()["messages"]]
    assert message_id in [m["id"] for m in messages.list(userId="me", q="in:trash").execute()["messages"]]
    assert "TRASH" not in messages.untrash(userId="me", id=message_id).execute()["labelIds"]
    assert messages.delete(userId="me", id=message_id).execute() == ""
    with pytest.raises(HttpError) as gone:
        messages.get(userId="me", id=message_id).execute()
    assert gone.value.status_code == 404
    assert error_of(gone.value)["errors"][0]["reason"] == "notFound"
    assert error_of(gone.value)["status"] == "NOT_FOUND"


def test_insert_keeps_the_labels_and_can_date_by_the_header(gmail: Any) -> None:
    message = mail("Imported", "from an old archive")
    inserted = (
        gmail.users()
        .messages()
        .insert(userId="me", body={"raw": raw(message), "labelIds": ["INBOX"]}, internalDateSource="dateHeader")
        .execute()
    )
    assert inserted["labelIds"] == ["INBOX"]
    assert inserted["internalDate"] == "1795003200000"  # 2026-11-18T12:00:00Z, the Date header


def test_an_unknown_attachment_id_is_invalid(gmail: Any) -> None:
    message_id = gmail.users().messages().list(userId="me", maxResults=1).execute()["messages"][0]["id"]
    with pytest.raises(HttpError) as bad:
        gmail.users().messages().attachments().get(userId="me", messageId=message_id, id="nope").execute()
    assert bad.value.status_code == 400
