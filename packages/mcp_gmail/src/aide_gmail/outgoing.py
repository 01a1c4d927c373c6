"""Outgoing mail as one plan: recipients, subject, body and attachments resolved once, from the arguments and any
referenced message or draft, into an `OutgoingMail` (aide_core.mail). The guard checks, previews and confirms that
plan; the tool then renders the raw message from it and nothing else. Drafts are made through the same path, and a
draft is sent as the plan read back from it (so an edit after the preview voids the confirmation).

Text from the referenced mail (its sender's name, its subject, its Message-ID) is data: addresses are parsed from
the raw header as a structure before any encoded word is decoded, names and subjects are cleaned to one line, and
only well-formed message ids are carried into In-Reply-To and References.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aide_core.errors import InvalidInput, NotFound
from aide_core.fencing import defang_field
from aide_core.plan import Plan
from aide_core.policy import EMAIL
from aide_gmail import compose, reading
from aide_gmail import message as msg
from aide_gmail.app import current_state
from aide_gmail.client import GmailClient
from aide_gmail.models import Attachment, Draft, Sent
from aide_gmail.text import quote_for_reply

if TYPE_CHECKING:
    from email.headerregistry import Address

    from aide_core.mail import MailAttachment, OutgoingMail

# aide_core.mail (and the stdlib's email policy and header registry under it) is imported where a message is made,
# not at start-up: a stdio host waits for the tool list, and listing tools never needs it.

#: Gmail's limit on a message's attachments.
MAX_TOTAL_BYTES = 25 * 1024 * 1024
#: A Gmail message id (hexadecimal in practice; letters, digits, - and _ allowed), as in '<message id>/<attachment>'.
_GMAIL_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
#: Characters of the body a preview shows.
PREVIEW_BODY = 1500


@dataclass(frozen=True)
class Outgoing:
    """What a send renders from: the mail and the thread it joins."""

    mail: OutgoingMail
    thread_id: str | None = None

    def raw(self) -> str:
        return base64.urlsafe_b64encode(self.mail.render()).decode()


def uploads(client: GmailClient, attachments: list[str] | None) -> list[MailAttachment]:
    """Files from the attachments folder, or `<message id>/<attachment id>` of an existing message."""
    from aide_core.mail import MailAttachment, check_line

    found: list[MailAttachment] = []
    folder = current_state().attachments_dir().resolve()
    for item in attachments or []:
        check_line("an attachment", item)
        message_id, _, attachment_id = item.partition("/")
        if attachment_id and _GMAIL_ID.fullmatch(message_id) and not (folder / item).exists():
            found.append(message_attachment(client, message_id, attachment_id))
            continue
        path = (folder / item).resolve()
        if not path.is_relative_to(folder) or not path.is_file():
            raise InvalidInput(
                f"No file {item[:300]!r} in the attachments folder.",
                hint=f"Attach files from {folder}, or '<message id>/<attachment id>' from read_email.",
            )
        found.append(MailAttachment(path.name, compose.guess_type(path.name), path.read_bytes()))
    return found


def message_attachment(client: GmailClient, message_id: str, attachment_id: str) -> MailAttachment:
    from aide_core.mail import MailAttachment, safe_filename

    message = client.get_message(message_id)
    attachment = listed_attachment(message, attachment_id)
    data = attachment_bytes(client, message, attachment_id)
    return MailAttachment(safe_filename(attachment.name), attachment.type or "application/octet-stream", data)


def listed_attachment(message: dict[str, Any], attachment_id: str) -> Attachment:
    """The attachment read_email lists as `attachment_id` in `message`."""
    found = next((a for a in msg.walk(message.get("payload") or {}).attachments if a.id == attachment_id), None)
    if found is None:
        raise no_attachment(message, attachment_id)
    return found


def no_attachment(message: dict[str, Any], attachment_id: str) -> NotFound:
    return NotFound(
        f"Message {message['id']} has no attachment {attachment_id[:100]!r}.", hint="Use the ids read_email lists."
    )


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


def raw_headers(client: GmailClient, message_id: str) -> dict[str, str]:
    """A message's top headers as they arrived, encoded words undecoded, by lower-cased name (the first of each).

    Read from `format=raw` because Gmail's other formats give header values with their encoded words already
    decoded, and a decoded address header has lost its structure: a name that decodes to "x@y.org, " would read
    as one more address."""
    import email.policy
    from email.parser import BytesHeaderParser

    data = msg.unb64(str(client.get_message(message_id, "raw").get("raw", "")))
    parsed = BytesHeaderParser(policy=email.policy.compat32).parsebytes(data)
    found: dict[str, str] = {}
    for name, value in parsed.raw_items():
        found.setdefault(name.lower(), re.sub(r"\r?\n(?=[ \t])", "", str(value)))  # unfolded (RFC 5322 2.2.3)
    return found


def _mail(
    *,
    to: tuple[Address, ...],
    cc: tuple[Address, ...],
    bcc: tuple[Address, ...],
    subject: str,
    text: str,
    attachments: list[MailAttachment],
    in_reply_to: str | None = None,
    references: tuple[str, ...] = (),
) -> OutgoingMail:
    from aide_core.mail import OutgoingMail

    if sum(len(a.data) for a in attachments) > MAX_TOTAL_BYTES:
        raise InvalidInput("The attachments exceed Gmail's 25 MB limit.", hint="Attach fewer or smaller files.")
    return OutgoingMail(
        to=to,
        cc=cc,
        bcc=bcc,
        subject=subject,
        text=text,
        html=compose.markdown_html(text),
        attachments=tuple(attachments),
        in_reply_to=in_reply_to,
        references=references,
    )


def compose_mail(
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
) -> Outgoing:
    """The mail a send, reply, forward or new draft will be: caller text taken literally (and checked), anything
    from a referenced message read as data."""
    from aide_core.mail import MailAttachment, check_line, parse_addresses, received_text, safe_filename

    if reply_to_id and forward_id:
        raise InvalidInput("Give reply_to_id or forward_id, not both.")
    to_list, cc_list, bcc_list = parse_addresses("to", to), parse_addresses("cc", cc), parse_addresses("bcc", bcc)
    if subject is not None:
        check_line("subject", subject)
    files = uploads(client, attachments)
    thread_id = in_reply_to = quoted = None
    references: tuple[str, ...] = ()
    if reply_to_id:
        original = client.get_message(reply_to_id)
        headers = raw_headers(client, reply_to_id)
        thread_id = str(original.get("threadId") or "") or None
        in_reply_to, references = thread_headers(headers)
        if not to_list and not cc_list:
            to_list, cc_list = compose.reply_recipients(headers, client.email(), reply_all=reply_all)
        subject = subject if subject is not None else compose.reply_subject(received_text(headers.get("subject", "")))
        attribution = f"On {received_text(headers.get('date', ''))}, {received_text(headers.get('from', ''))} wrote:"
        quoted = quote_for_reply(reading.render_body(client, original, False).text, attribution)
    elif forward_id:
        original = client.get_message(forward_id)
        headers = raw_headers(client, forward_id)
        subject = subject if subject is not None else compose.forward_subject(received_text(headers.get("subject", "")))
        shown = {name: received_text(headers.get(name.lower(), "")) for name in ("From", "Date", "Subject", "To")}
        quoted = "---------- Forwarded message ---------\n" + "".join(f"{k}: {v}\n" for k, v in shown.items())
        quoted += "\n" + reading.render_body(client, original, True).text
        for attachment in msg.walk(original.get("payload") or {}).attachments:
            data = attachment_bytes(client, original, attachment.id)
            files.append(
                MailAttachment(safe_filename(attachment.name), attachment.type or "application/octet-stream", data)
            )
    text = body if quoted is None else f"{body.rstrip()}\n\n{quoted}"
    mail = _mail(
        to=to_list, cc=cc_list, bcc=bcc_list, subject=subject or "", text=text, attachments=files,
        in_reply_to=in_reply_to, references=references,
    )  # fmt: skip
    return Outgoing(require_recipients(mail), thread_id)


def require_recipients(mail: OutgoingMail) -> OutgoingMail:
    if not mail.recipients:
        raise InvalidInput("No recipients.", hint="Give to, cc or bcc.")
    return mail


def thread_headers(headers: dict[str, str]) -> tuple[str | None, tuple[str, ...]]:
    """In-Reply-To and References for a reply to a message with these raw headers (RFC 5322 3.6.4); only
    well-formed ids are carried."""
    from aide_core.mail import message_ids

    own = message_ids(headers.get("message-id", ""))
    if not own:
        return None, ()
    parents = message_ids(headers.get("references", "")) or message_ids(headers.get("in-reply-to", ""))
    return own[0], (*parents[-20:], own[0])


def draft_mail(client: GmailClient, draft_id: str) -> tuple[Outgoing, str]:
    """A saved draft read back into the mail it would send (and the id of its message). The raw draft is parsed
    the way the receiving side parses it; addresses come from the headers as structures, the text and HTML bodies
    and the attachments from the MIME tree."""
    import email
    import email.policy
    from email.message import EmailMessage

    from aide_core.mail import (
        MailAttachment,
        OutgoingMail,
        message_ids,
        received_addresses,
        received_text,
        safe_filename,
    )

    draft = client.get_draft(draft_id, "raw")
    inner = draft.get("message") or {}
    parsed = email.message_from_bytes(msg.unb64(str(inner.get("raw", ""))), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    raw: dict[str, list[str]] = {}
    for name, value in parsed.raw_items():
        raw.setdefault(name.lower(), []).append(str(value))

    def people(name: str) -> tuple[Address, ...]:
        return tuple(a for value in raw.get(name, []) for a in received_addresses(value))

    plain = parsed.get_body(("plain",))
    html = parsed.get_body(("html",))
    files = [
        MailAttachment(
            safe_filename(part.get_filename() or "attachment"),
            part.get_content_type(),
            _part_bytes(part),
        )
        for part in parsed.iter_attachments()
        if isinstance(part, EmailMessage)
    ]
    ids = message_ids(" ".join(raw.get("in-reply-to", [])))
    mail = OutgoingMail(
        to=people("to"),
        cc=people("cc"),
        bcc=people("bcc"),
        subject=received_text(" ".join(raw.get("subject", []))),
        text=str(plain.get_content()) if isinstance(plain, EmailMessage) else "",
        html=str(html.get_content()) if isinstance(html, EmailMessage) else None,
        attachments=tuple(files),
        in_reply_to=ids[0] if ids else None,
        references=message_ids(" ".join(raw.get("references", []))),
    )
    return Outgoing(mail, inner.get("threadId")), str(inner.get("id", ""))


def _part_bytes(part: Any) -> bytes:
    """An attachment's content as bytes; a `message/rfc822` part (a forwarded mail) holds a message, not a payload
    to decode, so it is carried as the bytes of that message."""
    if part.get_content_maintype() == "message":
        inner = part.get_payload()
        return inner[0].as_bytes() if isinstance(inner, list) and inner else b""
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def names(addresses: tuple[Address, ...]) -> str:
    return ", ".join(str(a) for a in addresses)


def shown(addresses: tuple[Address, ...]) -> str:
    """Addresses as a preview shows them: the address first, since it is where the mail goes, then the name, which
    may come from a received mail and say anything ("Boss <boss@corp.example>"); names are defanged (one line, no
    bidi override that would make them read as something else)."""
    return ", ".join(
        f"{a.addr_spec} ({defang_field(a.display_name)})" if a.display_name else a.addr_spec for a in addresses
    )


def mail_plan(verb: str, outgoing: Outgoing, *, sender: str, note: str = "") -> Plan[Outgoing]:
    """The plan of a send from `sender` (the account's address): the mail, who it reaches, and a preview saying
    who sends it and listing every recipient before anything else."""
    mail = require_recipients(outgoing.mail)
    count = f" ({len(mail.recipients)} recipients)" if len(mail.recipients) > 10 else ""
    lines = [f"{verb} '{defang_field(mail.subject)}' from {sender}{count} to {shown(mail.to) or '-'}"]
    if mail.cc:
        lines.append(f"cc {shown(mail.cc)}")
    if mail.bcc:
        lines.append(f"bcc {shown(mail.bcc)}")
    if mail.attachments:
        files = ", ".join(f"{defang_field(a.name)} ({len(a.data):,} bytes)" for a in mail.attachments)
        lines.append(f"attachments: {files}")
    head = "; ".join(lines) + (f"\n{note}" if note else "")
    left = len(mail.text) - PREVIEW_BODY
    body = mail.text if left <= 0 else f"{mail.text[:PREVIEW_BODY]}… ({left:,} more characters not shown)"
    return Plan(
        preview=f"{head}\n\n{body}",
        payload=outgoing,
        content={"from": sender, "mail": mail.describe(), "thread_id": outgoing.thread_id},
        reaches={EMAIL: tuple(a.addr_spec for a in mail.recipients)},
    )


def draft_result(draft: dict[str, Any], mail: OutgoingMail) -> Draft:
    inner = draft.get("message") or {}
    return Draft(
        draft_id=str(draft["id"]),
        message_id=str(inner.get("id", "")),
        thread_id=inner.get("threadId"),
        to=names(mail.to),
        cc=names(mail.cc),
        subject=mail.subject,
    )


def sent_result(result: dict[str, Any], mail: OutgoingMail) -> Sent:
    return Sent(
        id=str(result["id"]),
        thread_id=str(result.get("threadId", "")),
        to=names(mail.to),
        cc=names(mail.cc),
        subject=mail.subject,
    )
