"""Gmail `Message` resources (format=full) read into headers, text bodies and attachments, with stdlib `email` for
headers (RFC 2047 words decoded) and charsets."""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

from aide_gmail.models import Attachment, EmailRow, SenderAuth


def unb64(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


def decode_words(value: str) -> str:
    """A header value with RFC 2047 encoded words decoded (Gmail usually decodes them already)."""
    if "=?" not in value:
        return value
    try:
        return str(make_header(decode_header(value)))
    except (ValueError, LookupError):
        return value


def headers_of(part: dict[str, Any]) -> dict[str, str]:
    """Headers by lower-cased name (the first of repeated ones), decoded."""
    found: dict[str, str] = {}
    for header in part.get("headers") or []:
        found.setdefault(str(header.get("name", "")).lower(), decode_words(str(header.get("value", ""))))
    return found


def _charset(part: dict[str, Any]) -> str:
    content_type = headers_of(part).get("content-type", "")
    message = Message()
    message["Content-Type"] = content_type or "text/plain"
    return message.get_content_charset() or "utf-8"


def text_of(part: dict[str, Any], data: bytes) -> str:
    charset = _charset(part)
    try:
        return data.decode(charset, errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


@dataclass
class Parts:
    """What a payload holds: the first plain and HTML bodies (as parts, so large ones can be fetched), attachments."""

    plain: dict[str, Any] | None = None
    html: dict[str, Any] | None = None
    attachments: list[Attachment] = field(default_factory=list[Attachment])


def _is_attachment(part: dict[str, Any]) -> bool:
    disposition = headers_of(part).get("content-disposition", "").lower()
    return bool(part.get("filename")) or disposition.startswith("attachment")


def walk(payload: dict[str, Any]) -> Parts:
    found = Parts()

    def visit(part: dict[str, Any]) -> None:
        mime = str(part.get("mimeType", "")).lower()
        children = part.get("parts") or []
        if children:
            for child in children:
                visit(child)
            return
        body = part.get("body") or {}
        if _is_attachment(part) or not mime.startswith("text/"):
            headers = headers_of(part)
            found.attachments.append(
                Attachment(
                    id=str(body.get("attachmentId") or f"part:{part.get('partId', '')}"),
                    name=decode_words(str(part.get("filename") or "")) or "(unnamed)",
                    type=mime,
                    size=int(body.get("size") or 0),
                    inline="content-id" in headers and not headers.get("content-disposition", "").startswith("att"),
                )
            )
            return
        if mime == "text/plain" and found.plain is None:
            found.plain = part
        elif mime == "text/html" and found.html is None:
            found.html = part

    visit(payload)
    return found


def attachment_names(payload: dict[str, Any]) -> list[str]:
    names: list[str] = []

    def visit(part: dict[str, Any]) -> None:
        if part.get("filename"):
            names.append(decode_words(str(part["filename"])))
        for child in part.get("parts") or []:
            visit(child)

    visit(payload)
    return names


def row(message: dict[str, Any], label_names: dict[str, str] | None = None) -> EmailRow:
    """A listing row; user label ids are shown by name."""
    payload = message.get("payload") or {}
    headers = headers_of(payload)
    names = label_names or {}
    labels = [names.get(str(label), str(label)) for label in message.get("labelIds") or []]
    return EmailRow(
        id=str(message["id"]),
        thread_id=str(message.get("threadId", "")),
        sender=headers.get("from", ""),
        to=headers.get("to", ""),
        subject=headers.get("subject", ""),
        date=iso_date(headers.get("date", ""), message.get("internalDate")),
        snippet=html.unescape(str(message.get("snippet", "")))[:200],
        labels=labels,
        unread="UNREAD" in labels,
        attachments=attachment_names(payload),
    )


def iso_date(header: str, internal_ms: Any = None) -> str:
    try:
        return parsedate_to_datetime(header).isoformat()
    except (TypeError, ValueError, IndexError):
        pass
    if internal_ms:
        from datetime import UTC, datetime

        return datetime.fromtimestamp(int(internal_ms) / 1000, UTC).isoformat()
    return header


_AUTH_RESULT = re.compile(r"\b(spf|dkim|dmarc)\s*=\s*([a-zA-Z]+)")


def sender_auth(payload: dict[str, Any]) -> SenderAuth:
    """SPF, DKIM and DMARC results from the first Authentication-Results header (the receiving server's own)."""
    results: dict[str, str] = {}
    for header in payload.get("headers") or []:
        if str(header.get("name", "")).lower() == "authentication-results":
            for method, result in _AUTH_RESULT.findall(str(header.get("value", ""))):
                results.setdefault(method.lower(), result.lower())
            break
    return SenderAuth(spf=results.get("spf"), dkim=results.get("dkim"), dmarc=results.get("dmarc"))


def addresses(*values: str) -> list[tuple[str, str]]:
    return [(name, addr) for name, addr in getaddresses([v for v in values if v]) if addr]
