"""Reading: message bodies rendered once (cached) and served in fenced, budgeted windows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from aide_core.errors import InvalidInput
from aide_core.fencing import fence
from aide_core.paging import TextPage, decode_cursor, encode_cursor, page_text
from aide_gmail import message as msg
from aide_gmail.client import GmailClient
from aide_gmail.models import Email, Thread, ThreadEmail
from aide_gmail.state import GmailState
from aide_gmail.text import fold, html_to_markdown

#: Characters a fence adds around a window (markers, kind, source).
_FENCE_OVERHEAD = 260


@dataclass(frozen=True)
class Body:
    text: str
    format: Literal["text", "markdown", "none"]
    folded: tuple[str, ...]


def _part_text(client: GmailClient, message_id: str, part: dict[str, Any]) -> str:
    body = part.get("body") or {}
    if body.get("data"):
        data = msg.unb64(str(body["data"]))
    elif body.get("attachmentId"):  # Gmail moves large text parts out of the message, like attachments
        data = client.attachment(message_id, str(body["attachmentId"]))
    else:
        data = b""
    return msg.text_of(part, data)


def render_body(client: GmailClient, message: dict[str, Any], include_quoted: bool) -> Body:
    parts = msg.walk(message.get("payload") or {})
    message_id = str(message["id"])
    plain = _part_text(client, message_id, parts.plain) if parts.plain is not None else ""
    if plain.strip():
        text, folded = fold(plain, include_quoted=include_quoted)
        return Body(text, "text", tuple(folded))
    if parts.html is not None:
        markdown, html_folded = html_to_markdown(
            _part_text(client, message_id, parts.html), include_quoted=include_quoted
        )
        text, folded = fold(markdown, include_quoted=include_quoted)
        if html_folded and "quoted history" not in folded:
            folded.insert(0, "quoted history")
        return Body(text, "markdown", tuple(folded))
    return Body("", "none", ())


def _json_len(text: str) -> int:
    """Characters `text` takes inside a JSON answer (newlines and quotes are escaped)."""
    return len(json.dumps(text, ensure_ascii=False)) - 2


def _fitting_page(text: str, window: int, tool: str, cursor: str | None, binds: dict[str, Any]) -> TextPage:
    """The page at `cursor` whose JSON form fits in `window` characters."""
    budget = window
    while True:
        page = page_text(text, budget=budget, tool=tool, cursor=cursor, binds=binds)
        over = _json_len(page.text) - window
        if over <= 0 or budget <= 100:
            return page
        budget = max(100, budget - over - 16)


def fenced(text: str, message_id: str, sender: str) -> str:
    return fence(text, source=f"gmail message {message_id} from {sender}"[:200], kind="email body")


def read_email(
    state: GmailState,
    client: GmailClient,
    account: str | None,
    message_id: str,
    max_chars: int | None,
    cursor: str | None,
    include_quoted: bool,
) -> Email:
    message = client.get_message(message_id)
    payload = message.get("payload") or {}
    headers = msg.headers_of(payload)
    body = state.cached(
        (client.account, message_id, include_quoted), lambda: render_body(client, message, include_quoted)
    )
    parts = msg.walk(payload)
    email = Email(
        id=str(message["id"]),
        thread_id=str(message.get("threadId", "")),
        sender=headers.get("from", ""),
        to=headers.get("to", ""),
        cc=headers.get("cc", ""),
        reply_to=headers.get("reply-to", ""),
        subject=headers.get("subject", ""),
        date=msg.iso_date(headers.get("date", ""), message.get("internalDate")),
        labels=[client.label_names().get(str(label), str(label)) for label in message.get("labelIds") or []],
        authentication=msg.sender_auth(payload),
        attachments=parts.attachments[:50],
        body="",
        body_format=body.format,
        folded=list(body.folded),
    )
    budget = min(max_chars or state.config.max_output_chars, state.config.max_output_chars)
    window = max(200, budget - len(email.model_dump_json()) - _FENCE_OVERHEAD - 200)
    binds = {"id": message_id, "quoted": include_quoted, "account": account}
    page = _fitting_page(body.text, window, "read_email", cursor, binds)
    email.body = fenced(page.text, email.id, email.sender) if body.text else ""
    email.offset, email.total_chars, email.next_cursor = page.offset, page.total_chars, page.next_cursor
    return email


def read_thread(
    state: GmailState,
    client: GmailClient,
    account: str | None,
    thread_id: str,
    max_chars: int | None,
    cursor: str | None,
) -> Thread:
    thread = client.get_thread(thread_id)
    messages: list[dict[str, Any]] = list(thread.get("messages") or [])
    if not messages:
        raise InvalidInput(
            f"Thread {thread_id} has no messages.",
            hint="Its messages may be deleted; find it again with search_emails.",
        )
    messages.sort(key=lambda m: int(m.get("internalDate") or 0))
    binds = {"thread": thread_id, "account": account}
    index, offset = 0, 0
    if cursor:
        position = decode_cursor(cursor, "read_thread", binds, fields={"i": int, "o": int})
        index, offset = position["i"], position["o"]
        if not (0 <= index < len(messages) and offset >= 0):
            raise InvalidInput("The cursor points past the end of the thread.", hint="Call read_thread without it.")
    budget = min(max_chars or state.config.max_output_chars, state.config.max_output_chars)
    first_headers = msg.headers_of(messages[0].get("payload") or {})
    used = 200 + len(first_headers.get("subject", ""))
    out: list[ThreadEmail] = []
    next_cursor = None
    while index < len(messages):
        message = messages[index]
        payload = message.get("payload") or {}
        headers = msg.headers_of(payload)
        body = state.cached(
            (client.account, str(message["id"]), False), lambda m=message: render_body(client, m, False)
        )
        entry = ThreadEmail(
            id=str(message["id"]),
            sender=headers.get("from", ""),
            to=headers.get("to", ""),
            cc=headers.get("cc", ""),
            date=msg.iso_date(headers.get("date", ""), message.get("internalDate")),
            attachments=msg.attachment_names(payload),
            body="",
            body_offset=offset,
        )
        room = budget - used - len(entry.model_dump_json()) - _FENCE_OVERHEAD
        rest = body.text[offset:]
        if room < 200 and out:
            next_cursor = encode_cursor("read_thread", {"i": index, "o": offset}, binds)
            break
        window = max(200, room)
        if _json_len(rest) > window:
            cut = _fitting_page(rest, window, "read_thread", None, {}).text
            entry.body = fenced(cut, entry.id, entry.sender)
            out.append(entry)
            next_cursor = encode_cursor("read_thread", {"i": index, "o": offset + len(cut)}, binds)
            break
        entry.body = fenced(rest, entry.id, entry.sender) if rest else ""
        out.append(entry)
        used += len(entry.model_dump_json())
        index, offset = index + 1, 0
    return Thread(
        thread_id=str(thread.get("id", thread_id)),
        subject=first_headers.get("subject", ""),
        message_count=len(messages),
        messages=out,
        next_cursor=next_cursor,
    )
