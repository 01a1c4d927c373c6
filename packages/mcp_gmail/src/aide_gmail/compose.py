"""What Gmail's compose window does for us: a Markdown body as HTML, reply and forward subjects, reply recipients
computed the way Gmail computes them. The message itself is built and rendered by `aide_core.mail`."""

from __future__ import annotations

import mimetypes
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from email.headerregistry import Address

_REPLY_PREFIX = re.compile(r"^\s*(re|aw|sv|antw)\s*:", re.IGNORECASE)
_FORWARD_PREFIX = re.compile(r"^\s*(fwd?|wg)\s*:", re.IGNORECASE)


def markdown_html(markdown: str) -> str:
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).enable("table").enable("strikethrough").render(markdown)
    return f"<html><body>\n{body}</body></html>\n"


def guess_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def reply_subject(subject: str) -> str:
    return subject if _REPLY_PREFIX.match(subject) else f"Re: {subject}".strip()


def forward_subject(subject: str) -> str:
    return subject if _FORWARD_PREFIX.match(subject) else f"Fwd: {subject}".strip()


def reply_recipients(
    headers: dict[str, str], me: str, *, reply_all: bool
) -> tuple[tuple[Address, ...], tuple[Address, ...]]:
    """To and Cc of a reply to a message with these raw (lower-cased) headers, as Gmail computes them: to Reply-To
    (else From); a reply to one's own message goes to its original recipients; reply-all adds the other To and Cc
    recipients, never oneself, never twice."""
    from aide_core.mail import received_addresses  # at the first reply, not at start-up

    me = me.lower()
    sender = received_addresses(headers.get("reply-to") or headers.get("from", ""))
    original_to = received_addresses(headers.get("to", ""))
    original_cc = received_addresses(headers.get("cc", ""))
    from_me = any(a.addr_spec.lower() == me for a in received_addresses(headers.get("from", "")))
    to = list(original_to if from_me else sender)
    seen = {a.addr_spec.lower() for a in to}
    cc: list[Address] = []
    if reply_all:
        for address in original_cc if from_me else (*original_to, *original_cc):
            key = address.addr_spec.lower()
            if key != me and key not in seen:
                seen.add(key)
                cc.append(address)
    if not from_me:
        to = [a for a in to if a.addr_spec.lower() != me] or to
    return tuple(to), tuple(cc)
