"""The default tier: search, read, thread, draft, send, reply, send a draft, label, trash."""

from __future__ import annotations

from typing import Annotated, Any

import anyio.from_thread
from mcp.server.mcpserver import Context
from pydantic import Field

from aide_core.errors import InvalidInput
from aide_core.paging import decode_cursor, encode_cursor, take_within_budget
from aide_gmail import compose, reading
from aide_gmail import message as msg
from aide_gmail.app import (
    AccountArg,
    Addresses,
    Cursor,
    MaxChars,
    check_query,
    client_for,
    current_state,
    label_ids,
    output_budget,
    spec,
)
from aide_gmail.models import Draft, Email, Labelled, SearchResult, Sent, Thread, Trashed
from aide_gmail.outgoing import draft_result, prepare, sent_result

#: Messages per batchModify request (the API's maximum); larger sets report progress after each batch.
LABEL_BATCH = 1000


@spec.tool()
def search_emails(
    query: Annotated[str, Field(description="Gmail search, e.g. 'from:ann is:unread newer_than:7d'.")] = "",
    limit: Annotated[int, Field(ge=1, le=100)] = 20,
    cursor: Cursor = None,
    account: AccountArg = None,
) -> SearchResult:
    """Search mail with Gmail's query syntax; newest first, compact rows."""
    check_query(query)
    client = client_for(account, "search_emails")
    binds = {"query": query, "limit": limit, "account": account}
    position = decode_cursor(cursor, "search_emails", binds) if cursor else {}
    page_token, skip = position.get("page"), int(position.get("skip", 0))
    listing = client.list_messages(query, limit, page_token)
    refs = list(listing.get("messages") or [])[skip:]
    names = client.label_names()
    rows = [msg.row(found, names) for found in client.list_rows([str(ref["id"]) for ref in refs])]
    fits = take_within_budget(rows, output_budget() - 400)
    next_cursor = None
    if fits < len(rows):  # the rest of this page comes first, then the next page
        rows = rows[:fits]
        next_cursor = encode_cursor("search_emails", {"page": page_token, "skip": skip + fits}, binds)
    elif listing.get("nextPageToken"):
        next_cursor = encode_cursor("search_emails", {"page": listing["nextPageToken"]}, binds)
    return SearchResult(emails=rows, next_cursor=next_cursor, estimated_total=listing.get("resultSizeEstimate"))


@spec.tool()
def read_email(
    id: str,
    max_chars: MaxChars = None,
    cursor: Cursor = None,
    include_quoted: Annotated[bool, Field(description="Keep quoted history and signature.")] = False,
    account: AccountArg = None,
) -> Email:
    """Read one message: headers, sender authentication, attachments, and the body as clean text."""
    return reading.read_email(
        current_state(), client_for(account, "read_email"), account, id, max_chars, cursor, include_quoted
    )


@spec.tool()
def read_thread(
    thread_id: str, max_chars: MaxChars = None, cursor: Cursor = None, account: AccountArg = None
) -> Thread:
    """Read a conversation oldest first, each message without the quoted copies of earlier ones."""
    return reading.read_thread(
        current_state(), client_for(account, "read_thread"), account, thread_id, max_chars, cursor
    )


@spec.tool(read_only=False, idempotent=False)
def draft_email(
    to: Addresses = None,
    cc: Addresses = None,
    bcc: Addresses = None,
    subject: str | None = None,
    body: Annotated[str, Field(description="Markdown.")] = "",
    reply_to_id: Annotated[str | None, Field(description="Message to reply to (threads the draft).")] = None,
    forward_id: Annotated[str | None, Field(description="Message to forward, with its attachments.")] = None,
    attachments: Annotated[
        list[str] | None, Field(description="File names in the attachments folder, or '<message id>/<attachment id>'.")
    ] = None,
    account: AccountArg = None,
) -> Draft:
    """Save a draft (nothing is sent); the body is Markdown, sent later as text and HTML."""
    client = client_for(account, "draft_email")
    raw, thread_id, message = prepare(
        client,
        to=to,
        cc=cc,
        bcc=bcc,
        subject=subject,
        body=body,
        reply_to_id=reply_to_id,
        forward_id=forward_id,
        attachments=attachments,
    )
    return draft_result(client.create_draft(raw, thread_id), message)


def _send_recipients(
    to: list[str] | None = None, cc: list[str] | None = None, bcc: list[str] | None = None, **_: Any
) -> list[str]:
    return [*(to or []), *(cc or []), *(bcc or [])]


def _send_preview(
    to: list[str] | None = None,
    cc: list[str] | None = None,
    bcc: list[str] | None = None,
    subject: str | None = None,
    body: str = "",
    attachments: list[str] | None = None,
    **_: Any,
) -> str:
    lines = [f"Send '{subject or ''}' to {', '.join(to or []) or '-'}"]
    if cc:
        lines.append(f"cc {', '.join(cc)}")
    if bcc:
        lines.append(f"bcc {', '.join(bcc)}")
    if attachments:
        lines.append(f"attachments: {', '.join(attachments)}")
    return "; ".join(lines) + f"\n\n{body[:600]}"


@spec.action(preview=_send_preview, recipients=_send_recipients)
def send_email(
    to: Addresses = None,
    cc: Addresses = None,
    bcc: Addresses = None,
    subject: str | None = None,
    body: Annotated[str, Field(description="Markdown.")] = "",
    reply_to_id: str | None = None,
    forward_id: str | None = None,
    attachments: list[str] | None = None,
    account: AccountArg = None,
) -> Sent:
    """Send a new message (or a forward); the body is Markdown, sent as text and HTML."""
    client = client_for(account, "send_email")
    raw, thread_id, message = prepare(
        client,
        to=to,
        cc=cc,
        bcc=bcc,
        subject=subject,
        body=body,
        reply_to_id=reply_to_id,
        forward_id=forward_id,
        attachments=attachments,
    )
    return sent_result(client.send(raw, thread_id), message)


def _reply_recipients(id: str, reply_all: bool = False, account: str | None = None, **_: Any) -> list[str]:
    client = client_for(account, "reply")
    headers = msg.headers_of(client.get_message(id, "metadata").get("payload") or {})
    to, cc = compose.reply_recipients(headers, client.email(), reply_all=reply_all)
    return [*to, *cc]


def _reply_preview(id: str, body: str = "", reply_all: bool = False, account: str | None = None, **_: Any) -> str:
    client = client_for(account, "reply")
    headers = msg.headers_of(client.get_message(id, "metadata").get("payload") or {})
    to, cc = compose.reply_recipients(headers, client.email(), reply_all=reply_all)
    subject = compose.reply_subject(headers.get("subject", ""))
    copy = f"; cc {', '.join(cc)}" if cc else ""
    return f"Reply '{subject}' to {', '.join(to)}{copy}\n\n{body[:600]}"


@spec.action(preview=_reply_preview, recipients=_reply_recipients)
def reply(
    id: str,
    body: Annotated[str, Field(description="Markdown; the original is quoted below it.")],
    reply_all: bool = False,
    attachments: list[str] | None = None,
    account: AccountArg = None,
) -> Sent:
    """Reply in the message's thread, to its sender (reply_all: and the other recipients)."""
    client = client_for(account, "reply")
    raw, thread_id, message = prepare(
        client, to=None, cc=None, bcc=None, subject=None, body=body, reply_to_id=id, attachments=attachments,
        reply_all=reply_all,
    )  # fmt: skip
    return sent_result(client.send(raw, thread_id), message)


def _draft_headers(draft_id: str, account: str | None) -> dict[str, str]:
    draft = client_for(account, "send_draft").get_draft(draft_id)
    return msg.headers_of((draft.get("message") or {}).get("payload") or {})


def _send_draft_recipients(draft_id: str, account: str | None = None, **_: Any) -> list[str]:
    headers = _draft_headers(draft_id, account)
    return [addr for _, addr in msg.addresses(headers.get("to", ""), headers.get("cc", ""), headers.get("bcc", ""))]


def _send_draft_preview(draft_id: str, account: str | None = None, **_: Any) -> str:
    headers = _draft_headers(draft_id, account)
    copy = f"; cc {headers['cc']}" if headers.get("cc") else ""
    return f"Send draft '{headers.get('subject', '')}' to {headers.get('to', '-')}{copy}"


@spec.action(preview=_send_draft_preview, recipients=_send_draft_recipients)
def send_draft(draft_id: str, account: AccountArg = None) -> Sent:
    """Send a saved draft as it is."""
    client = client_for(account, "send_draft")
    draft = client.get_draft(draft_id)
    headers = msg.headers_of((draft.get("message") or {}).get("payload") or {})
    result = client.send_draft(draft_id)
    return Sent(
        id=str(result["id"]),
        thread_id=str(result.get("threadId", "")),
        to=headers.get("to", ""),
        cc=headers.get("cc", ""),
        subject=headers.get("subject", ""),
    )


@spec.tool(read_only=False, idempotent=True)
def label_emails(
    ids: Annotated[list[str] | None, Field(max_length=1000)] = None,
    query: Annotated[str | None, Field(description="Instead of ids: every message matching this search.")] = None,
    add: Annotated[list[str] | None, Field(description="Label names; or archive, read, unread, star.")] = None,
    remove: list[str] | None = None,
    limit: Annotated[int, Field(ge=1, le=10000, description="At most this many messages for a query.")] = 1000,
    account: AccountArg = None,
    ctx: Context | None = None,
) -> Labelled:
    """Add or remove labels (archive, read/unread, star, any label) on messages, by ids or by search."""
    if bool(ids) == bool(query):
        raise InvalidInput(
            "Give either ids or query, not both and not neither.",
            hint="ids from search_emails, or a Gmail query such as 'from:ann is:unread'.",
        )
    if not add and not remove:
        raise InvalidInput("Nothing to change: give add or remove.")
    client = client_for(account, "label_emails")
    add_ids, remove_from_add = label_ids(client, add or [], "add")
    add_from_remove, remove_ids = label_ids(client, remove or [], "remove")
    add_ids, remove_ids = add_ids + add_from_remove, remove_ids + remove_from_add
    targets = list(ids or [])
    if query:
        page: str | None = None
        while len(targets) < limit:
            listing = client.list_messages(query, min(500, limit - len(targets)), page)
            targets += [str(ref["id"]) for ref in listing.get("messages") or []]
            page = listing.get("nextPageToken")
            if not page:
                break
    done = 0
    for start in range(0, len(targets), LABEL_BATCH):
        chunk = targets[start : start + LABEL_BATCH]
        client.batch_modify(chunk, add_ids, remove_ids)
        done += len(chunk)
        if ctx is not None and len(targets) > LABEL_BATCH:
            anyio.from_thread.run(ctx.report_progress, done, len(targets), f"{done} of {len(targets)} labelled")
    return Labelled(changed=done, added=add_ids, removed=remove_ids, ids=targets[:50])


def _trash_preview(ids: list[str], account: str | None = None, **_: Any) -> str:
    client = client_for(account, "trash_emails")
    lines = []
    for message_id in ids[:5]:
        headers = msg.headers_of(client.get_message(message_id, "metadata").get("payload") or {})
        lines.append(f"- {headers.get('subject', '')} (from {headers.get('from', '')})")
    more = f"\n… and {len(ids) - 5} more" if len(ids) > 5 else ""
    return f"Move {len(ids)} message(s) to the trash:\n" + "\n".join(lines) + more


@spec.action(preview=_trash_preview, destructive=True, open_world=False)
def trash_emails(ids: Annotated[list[str], Field(min_length=1, max_length=500)], account: AccountArg = None) -> Trashed:
    """Move messages to the trash (recoverable for 30 days)."""
    client = client_for(account, "trash_emails")
    return Trashed(ids=[str(client.trash(message_id)["id"]) for message_id in ids])
