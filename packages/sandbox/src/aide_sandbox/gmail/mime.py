"""RFC 2822 messages in, Gmail's `MessagePart` tree, snippet and search fields out (stdlib `email` only).

A message is stored as the exact bytes it arrived as, so `format=raw` gives them back byte for byte; everything
else is derived from those bytes the way Gmail shapes it:

- `payload`: part ids `""` at the top, then `0`, `1`, `0.1` ...; headers in their original order with RFC 2047
  words decoded; leaf bodies as base64url `data` (unpadded, as Gmail sends it; `raw` keeps its padding) with the
  decoded `size`, except parts with a filename (attachments)
  or a Content-ID (inline images, named or not) which carry an `attachmentId` instead; containers have
  `body: {"size": 0}`.
- `snippet`: the start of the message's own text (the plain alternative, else the HTML's text; never a forwarded
  message's), whitespace collapsed and
  HTML-escaped as Gmail escapes it (`&#39;`).
"""

from __future__ import annotations

import base64
import email
import email.header
import email.utils
import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.policy import default as default_policy
from html.parser import HTMLParser
from typing import Any, cast

_SNIPPET_CHARS = 200
_ATTACHMENT_PREFIX = "ANGjdJ"


def parse(raw: bytes) -> EmailMessage:
    return cast(EmailMessage, email.message_from_bytes(raw, policy=default_policy))


def b64(data: bytes) -> str:
    """base64url with padding, as Gmail sends `raw`."""
    return base64.urlsafe_b64encode(data).decode()


def b64_unpadded(data: bytes) -> str:
    """base64url without padding, as Gmail sends `body.data` of parts and attachments."""
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def attachment_id(message_id: str, part_id: str) -> str:
    """Opaque to clients, but it names the message and part, so no table is needed to look it up."""
    return _ATTACHMENT_PREFIX + b64_unpadded(f"{message_id}/{part_id}".encode())


def parse_attachment_id(value: str) -> tuple[str, str] | None:
    if not value.startswith(_ATTACHMENT_PREFIX):
        return None
    try:
        message_id, _, part_id = unb64(value[len(_ATTACHMENT_PREFIX) :]).decode().partition("/")
    except (ValueError, UnicodeDecodeError):
        return None
    return message_id, part_id


def _headers(part: Message) -> list[dict[str, str]]:
    return [{"name": name, "value": _decoded(part, name, raw)} for name, raw in part.raw_items()]


def _decoded(part: Message, name: str, raw: object) -> str:
    """A header's decoded text. Gmail stores and shows any mail it is given, so a header the stdlib refuses to parse
    (an address whose encoded name decodes to CR LF) is decoded word by word instead of failing the request."""
    try:
        return str(part.policy.header_fetch_parse(name, raw))  # type: ignore[arg-type]
    except ValueError:
        return str(email.header.make_header(email.header.decode_header(str(raw))))


def _leaf_bytes(part: Message) -> bytes:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        if isinstance(inner, list) and inner:
            return cast(Message, inner[0]).as_bytes()
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _children(part: Message) -> list[Message]:
    if part.get_content_maintype() != "multipart":
        return []
    payload = part.get_payload()
    return cast(list[Message], payload) if isinstance(payload, list) else []


def _inline_object(part: Message) -> bool:
    """A non-text part referenced by Content-ID (an inline image): Gmail gives it an attachmentId even unnamed."""
    return part.get("Content-ID") is not None and part.get_content_maintype() not in ("text", "multipart")


def _own_leaves(message: Message) -> Iterator[Message]:
    """The leaf parts of a message itself: a forwarded message (message/rfc822) is one leaf, not entered."""
    children = _children(message)
    if not children and message.get_content_maintype() != "multipart":
        yield message
    for child in children:
        yield from _own_leaves(child)


def payload(raw: bytes, message_id: str, *, with_bodies: bool = True) -> dict[str, Any]:
    """Gmail's `MessagePart` tree of a message; `with_bodies=False` keeps only the top headers (format=metadata)."""
    message = parse(raw)
    if not with_bodies:
        return {"partId": "", "mimeType": message.get_content_type(), "filename": "", "headers": _headers(message)}

    def render(part: Message, part_id: str) -> dict[str, Any]:
        filename = part.get_filename() or ""
        node: dict[str, Any] = {
            "partId": part_id,
            "mimeType": part.get_content_type(),
            "filename": filename,
            "headers": _headers(part),
        }
        children = _children(part)
        if part.get_content_maintype() == "multipart":
            node["body"] = {"size": 0}
            prefix = f"{part_id}." if part_id else ""
            node["parts"] = [render(child, f"{prefix}{index}") for index, child in enumerate(children)]
            return node
        data = _leaf_bytes(part)
        if filename or _inline_object(part):
            node["body"] = {"attachmentId": attachment_id(message_id, part_id), "size": len(data)}
        else:
            node["body"] = {"size": len(data), "data": b64_unpadded(data)} if data else {"size": 0}
        return node

    return render(message, "")


def part_bytes(raw: bytes, part_id: str) -> bytes | None:
    """The decoded body of the part `part_id`, or None when there is no such leaf part."""
    part: Message = parse(raw)
    for step in part_id.split(".") if part_id else []:
        children = _children(part)
        if not step.isdigit() or int(step) >= len(children):
            return None
        part = children[int(step)]
    if part.get_content_maintype() == "multipart":
        return None
    return _leaf_bytes(part)


class _TextExtractor(HTMLParser):
    _SKIP = frozenset({"script", "style", "head", "title"})
    _BREAKS = frozenset({"p", "br", "div", "tr", "li", "h1", "h2", "h3", "table"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BREAKS:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.chunks.append(data)


def html_text(markup: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(markup)
    extractor.close()
    return "".join(extractor.chunks)


def _decoded_text(part: Message) -> str:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return data.decode(charset, errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


@dataclass
class Summary:
    """What search and threading need from a message, computed once when it is stored."""

    sender: str = ""
    to: str = ""
    cc: str = ""
    bcc: str = ""
    subject: str = ""
    message_id: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list[str])
    date_ms: int | None = None
    text: str = ""
    snippet: str = ""
    filenames: list[str] = field(default_factory=list[str])
    delivered_to: str = ""
    list_id: str = ""


def _texts(parts: Iterable[Message]) -> tuple[list[str], list[str], list[str]]:
    """(plain texts, HTML parts' texts, attachment filenames) of leaf parts."""
    plain: list[str] = []
    markup: list[str] = []
    filenames: list[str] = []
    for part in parts:
        if part.get_content_maintype() == "multipart":
            continue
        name = part.get_filename()
        if name:
            filenames.append(name)
        elif part.get_content_type() == "text/plain":
            plain.append(_decoded_text(part))
        elif part.get_content_type() == "text/html":
            markup.append(html_text(_decoded_text(part)))
    return plain, markup, filenames


def summarize(raw: bytes) -> Summary:
    """Search sees the text of forwarded messages too; the snippet comes from the message's own body only."""
    message = parse(raw)
    plain, markup, filenames = _texts(message.walk())
    own_plain, own_markup, _ = _texts(_own_leaves(message))
    text = "\n".join(own_plain) if own_plain else "\n".join(own_markup)
    flat = " ".join(text.split())
    snippet = flat[:_SNIPPET_CHARS]
    date_ms = None
    date_header = message.get("Date")
    if date_header:
        try:
            date_ms = int(email.utils.parsedate_to_datetime(str(date_header)).timestamp() * 1000)
        except (TypeError, ValueError, IndexError):
            date_ms = None
    return Summary(
        sender=_header(message, "From"),
        to=_header(message, "To"),
        cc=_header(message, "Cc"),
        bcc=_header(message, "Bcc"),
        subject=_header(message, "Subject"),
        message_id=str(message.get("Message-ID", "")).strip(),
        in_reply_to=str(message.get("In-Reply-To", "")).strip(),
        references=re.findall(r"<[^>]+>", str(message.get("References", ""))),
        date_ms=date_ms,
        text="\n".join(plain + markup),
        snippet=html.escape(snippet, quote=True).replace("&#x27;", "&#39;"),
        filenames=filenames,
        delivered_to=str(message.get("Delivered-To", "")),
        list_id=str(message.get("List-Id", "")),
    )


def _header(message: EmailMessage, name: str) -> str:
    raw = next((value for key, value in message.raw_items() if key.lower() == name.lower()), None)
    return "" if raw is None else _decoded(message, name, raw)


def addresses(*header_values: str) -> list[str]:
    """The bare addresses in header values, lower-cased."""
    return [address.lower() for _, address in email.utils.getaddresses(list(header_values)) if address]


def with_headers(raw: bytes, headers: list[tuple[str, str]]) -> bytes:
    """`raw` with headers prepended, the rest left byte for byte (what a mail server does when it stamps a message)."""
    newline = b"\r\n" if b"\r\n" in raw[:2000] else b"\n"
    prefix = b"".join(f"{name}: {value}".encode() + newline for name, value in headers)
    return prefix + raw


def without_header(raw: bytes, name: str) -> bytes:
    """`raw` without the top-level header `name` (and its folded lines), the rest unchanged."""
    match = re.search(rb"\r?\n\r?\n", raw)
    head_end = match.start() if match else len(raw)
    lines = re.split(rb"(?<=\n)", raw[:head_end])
    kept: list[bytes] = []
    dropping = False
    for line in lines:
        if line[:1] in (b" ", b"\t") and dropping:
            continue
        dropping = line.lower().startswith(name.lower().encode() + b":")
        if not dropping:
            kept.append(line)
    return b"".join(kept) + raw[head_end:]
