"""Building outgoing messages with stdlib `email`: a Markdown body sent as text and HTML alternatives, attachments,
non-ASCII headers encoded by the `email` policy (RFC 2047), and replies threaded the way Gmail threads them."""

from __future__ import annotations

import base64
import mimetypes
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, getaddresses

from aide_core.errors import InvalidInput

_REPLY_PREFIX = re.compile(r"^\s*(re|aw|sv|antw)\s*:", re.IGNORECASE)
_FORWARD_PREFIX = re.compile(r"^\s*(fwd?|wg)\s*:", re.IGNORECASE)
MAX_TOTAL_BYTES = 25 * 1024 * 1024


@dataclass(frozen=True)
class Upload:
    name: str
    type: str
    data: bytes


def markdown_html(markdown: str) -> str:
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).enable("table").enable("strikethrough").render(markdown)
    return f"<html><body>\n{body}</body></html>\n"


def check_addresses(field: str, values: list[str]) -> list[str]:
    """The addresses as given, each checked to parse as one address with a domain."""
    for value in values:
        parsed = getaddresses([value])
        if len(parsed) != 1 or "@" not in parsed[0][1] or " " in parsed[0][1]:
            raise InvalidInput(
                f"{field}: {value!r} is not an e-mail address.",
                hint="Use name@example.com or 'Name <name@example.com>'.",
            )
    return values


def build(
    *,
    to: list[str],
    cc: list[str],
    bcc: list[str],
    subject: str,
    body: str,
    attachments: Sequence[Upload] = (),
    in_reply_to: str | None = None,
    references: str | None = None,
    quoted: str | None = None,
) -> EmailMessage:
    """The message; `quoted` (already quoted text, e.g. the original of a reply) goes below the body."""
    message = EmailMessage()
    if to:
        message["To"] = ", ".join(check_addresses("to", to))
    if cc:
        message["Cc"] = ", ".join(check_addresses("cc", cc))
    if bcc:
        message["Bcc"] = ", ".join(check_addresses("bcc", bcc))
    message["Subject"] = subject
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    text = body if quoted is None else f"{body.rstrip()}\n\n{quoted}"
    message.set_content(text)
    message.add_alternative(markdown_html(text), subtype="html")
    total = 0
    for upload in attachments:
        total += len(upload.data)
        if total > MAX_TOTAL_BYTES:
            raise InvalidInput("The attachments exceed Gmail's 25 MB limit.", hint="Attach fewer or smaller files.")
        maintype, _, subtype = upload.type.partition("/")
        message.add_attachment(upload.data, maintype=maintype, subtype=subtype or "octet-stream", filename=upload.name)
    return message


def raw(message: EmailMessage) -> str:
    return base64.urlsafe_b64encode(message.as_bytes()).decode()


def guess_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def reply_subject(subject: str) -> str:
    return subject if _REPLY_PREFIX.match(subject) else f"Re: {subject}".strip()


def forward_subject(subject: str) -> str:
    return subject if _FORWARD_PREFIX.match(subject) else f"Fwd: {subject}".strip()


def thread_headers(headers: dict[str, str]) -> tuple[str | None, str | None]:
    """In-Reply-To and References for a reply to a message with these (lower-cased) headers (RFC 5322 3.6.4)."""
    message_id = headers.get("message-id", "").strip() or None
    if message_id is None:
        return None, None
    parent_refs = headers.get("references", "").split() or headers.get("in-reply-to", "").split()
    return message_id, " ".join([*parent_refs, message_id])


def _fmt(pairs: list[tuple[str, str]]) -> list[str]:
    return [formataddr((name, addr)) if name else addr for name, addr in pairs]


def reply_recipients(headers: dict[str, str], me: str, *, reply_all: bool) -> tuple[list[str], list[str]]:
    """To and Cc of a reply, as Gmail computes them: to Reply-To (else From); a reply to one's own message goes to
    its original recipients; reply-all adds the other To and Cc recipients, never oneself, never twice."""
    me = me.lower()
    sender = getaddresses([headers.get("reply-to") or headers.get("from", "")])
    original_to = getaddresses([headers.get("to", "")])
    original_cc = getaddresses([headers.get("cc", "")])
    from_me = any(addr.lower() == me for _, addr in getaddresses([headers.get("from", "")]))
    to = original_to if from_me else sender
    seen = {addr.lower() for _, addr in to}
    to = [(name, addr) for name, addr in to if addr]
    cc: list[tuple[str, str]] = []
    if reply_all:
        pool = original_cc if from_me else [*original_to, *original_cc]
        for name, addr in pool:
            key = addr.lower()
            if addr and key != me and key not in seen:
                seen.add(key)
                cc.append((name, addr))
    if not from_me:
        to = [(n, a) for n, a in to if a.lower() != me] or to
    return _fmt(to), _fmt(cc)
