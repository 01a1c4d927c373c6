"""Outgoing mail as the tools build it: attachments from the folder or other messages, replies and forwards turned
into MIME (see `compose.py`), and the tools' result models."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from aide_core.errors import InvalidInput, NotFound
from aide_gmail import compose, reading
from aide_gmail import message as msg
from aide_gmail.app import current_state
from aide_gmail.client import GmailClient
from aide_gmail.models import Attachment, Draft, Sent


def uploads(client: GmailClient, attachments: list[str] | None) -> list[compose.Upload]:
    """Files from the attachments folder, or `<message id>/<attachment id>` of an existing message."""
    found: list[compose.Upload] = []
    folder = current_state().attachments_dir().resolve()
    for item in attachments or []:
        if "/" in item and not (folder / item).exists():
            message_id, _, attachment_id = item.partition("/")
            found.append(message_attachment(client, message_id, attachment_id))
            continue
        path = (folder / item).resolve()
        if not path.is_relative_to(folder) or not path.is_file():
            raise InvalidInput(
                f"No file {item!r} in the attachments folder.",
                hint=f"Attach files from {folder}, or '<message id>/<attachment id>' from read_email.",
            )
        found.append(compose.Upload(path.name, compose.guess_type(path.name), path.read_bytes()))
    return found


def message_attachment(client: GmailClient, message_id: str, attachment_id: str) -> compose.Upload:
    message = client.get_message(message_id)
    attachment = listed_attachment(message, attachment_id)
    return compose.Upload(attachment.name, attachment.type, attachment_bytes(client, message, attachment_id))


def listed_attachment(message: dict[str, Any], attachment_id: str) -> Attachment:
    """The attachment read_email lists as `attachment_id` in `message`."""
    found = next((a for a in msg.walk(message.get("payload") or {}).attachments if a.id == attachment_id), None)
    if found is None:
        raise no_attachment(message, attachment_id)
    return found


def no_attachment(message: dict[str, Any], attachment_id: str) -> NotFound:
    return NotFound(f"Message {message['id']} has no attachment {attachment_id}.", hint="Use the ids read_email lists.")


def attachment_bytes(client: GmailClient, message: dict[str, Any], attachment_id: str) -> bytes:
    if not attachment_id.startswith("part:"):
        return client.attachment(str(message["id"]), attachment_id)
    part_id = attachment_id[5:]

    def find(part: dict[str, Any]) -> dict[str, Any] | None:
        if str(part.get("partId", "")) == part_id:
            return part
        for child in part.get("parts") or []:
            found = find(child)
            if found is not None:
                return found
        return None

    part = find(message.get("payload") or {})
    if part is None:
        raise no_attachment(message, attachment_id)
    return msg.unb64(str((part.get("body") or {}).get("data", "")))


def prepare(
    client: GmailClient,
    *,
    to: list[str] | None,
    cc: list[str] | None,
    bcc: list[str] | None,
    subject: str | None,
    body: str,
    reply_to_id: str | None = None,
    forward_id: str | None = None,
    attachments: list[str] | None = None,
    reply_all: bool = False,
) -> tuple[str, str | None, EmailMessage]:
    """The raw message, its thread, and the message (for previews and results)."""
    to, cc, bcc = list(to or []), list(cc or []), list(bcc or [])
    thread_id = in_reply_to = references = quoted = None
    files = uploads(client, attachments)
    if reply_to_id and forward_id:
        raise InvalidInput("Give reply_to_id or forward_id, not both.")
    if reply_to_id:
        original = client.get_message(reply_to_id)
        headers = msg.headers_of(original.get("payload") or {})
        thread_id = str(original.get("threadId") or "") or None
        in_reply_to, references = compose.thread_headers(headers)
        if not to and not cc:
            to, cc = compose.reply_recipients(headers, client.email(), reply_all=reply_all)
        subject = subject or compose.reply_subject(headers.get("subject", ""))
        original_text = reading.render_body(client, original, False).text
        quoted = reply_quote(headers, original_text)
    elif forward_id:
        original = client.get_message(forward_id)
        headers = msg.headers_of(original.get("payload") or {})
        subject = subject or compose.forward_subject(headers.get("subject", ""))
        original_text = reading.render_body(client, original, True).text
        quoted = (
            "---------- Forwarded message ---------\n"
            f"From: {headers.get('from', '')}\nDate: {headers.get('date', '')}\nSubject: {headers.get('subject', '')}\n"
            f"To: {headers.get('to', '')}\n\n{original_text}"
        )
        for attachment in msg.walk(original.get("payload") or {}).attachments:
            data = attachment_bytes(client, original, attachment.id)
            files.append(compose.Upload(attachment.name, attachment.type, data))
    if not (to or cc or bcc):
        raise InvalidInput("No recipients.", hint="Give to, cc or bcc.")
    message = compose.build(
        to=to,
        cc=cc,
        bcc=bcc,
        subject=subject or "",
        body=body,
        attachments=files,
        in_reply_to=in_reply_to,
        references=references,
        quoted=quoted,
    )
    return compose.raw(message), thread_id, message


def reply_quote(headers: dict[str, str], text: str) -> str:
    from aide_gmail.text import quote_for_reply

    return quote_for_reply(text, f"On {headers.get('date', '')}, {headers.get('from', '')} wrote:")


def draft_result(draft: dict[str, Any], message: EmailMessage) -> Draft:
    inner = draft.get("message") or {}
    return Draft(
        draft_id=str(draft["id"]),
        message_id=str(inner.get("id", "")),
        thread_id=inner.get("threadId"),
        to=str(message.get("To", "")),
        cc=str(message.get("Cc", "")),
        subject=str(message.get("Subject", "")),
    )


def sent_result(result: dict[str, Any], message: EmailMessage) -> Sent:
    return Sent(
        id=str(result["id"]),
        thread_id=str(result.get("threadId", "")),
        to=str(message.get("To", "")),
        cc=str(message.get("Cc", "")),
        subject=str(message.get("Subject", "")),
    )
