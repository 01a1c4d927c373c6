"""`aide-gmail`: Gmail for an assistant, across several Google accounts.

The tools are declared here and kept thin: the API is `client.py`, reading `reading.py`, composing `compose.py`,
accounts and settings `state.py`, the output models `models.py`. Sends, replies, sent drafts and trash go through
the side-effect guard; mail bodies come back fenced as untrusted content.
"""

from __future__ import annotations

import json
import re
from email.message import EmailMessage
from pathlib import Path
from typing import Annotated, Any

import anyio.from_thread
from mcp.server.mcpserver import Context
from pydantic import Field

from aide_core.errors import InvalidInput, NotFound
from aide_core.paging import decode_cursor, encode_cursor, take_within_budget
from aide_core.server import ServerSpec
from aide_gmail import compose, reading
from aide_gmail import message as msg
from aide_gmail.client import GmailClient
from aide_gmail.models import (
    Account,
    Change,
    Draft,
    Drafts,
    Email,
    Filter,
    Filters,
    History,
    Label,
    Labelled,
    Labels,
    SavedAttachment,
    SearchResult,
    Sent,
    Thread,
    Trashed,
)
from aide_gmail.state import GmailSettings, GmailState, visible

spec = ServerSpec[GmailState](
    "gmail",
    title="aide Gmail",
    instructions=(
        "Gmail. Search with Gmail's query syntax (from:, to:, subject:, is:unread, has:attachment, after:2026/11/01, "
        "label:), then read_email or read_thread by id. Bodies of drafts and sends are Markdown. Addresses are "
        "a@b.c or 'Name <a@b.c>'. With several accounts, every tool takes `account` (a name or address; "
        "gmail://accounts lists them); without it the default account is used."
    ),
    settings_model=GmailSettings,
    state=GmailState,
    configure_command="aide auth google",
)
spec.tool_visibility(visible)

AccountArg = str | None
Addresses = list[str] | None
Cursor = Annotated[str | None, Field(description="A next_cursor.")]
MaxChars = Annotated[int | None, Field(ge=500)]
#: Messages per batchModify request (the API's maximum); larger sets report progress after each batch.
LABEL_BATCH = 1000

_SYSTEM_ALIASES = {
    "archive": ("remove", "INBOX"),
    "inbox": ("add", "INBOX"),
    "read": ("remove", "UNREAD"),
    "unread": ("add", "UNREAD"),
    "star": ("add", "STARRED"),
    "starred": ("add", "STARRED"),
    "important": ("add", "IMPORTANT"),
    "spam": ("add", "SPAM"),
}


def _state() -> GmailState:
    return spec.state()


def _client(account: str | None, tool: str) -> GmailClient:
    return _state().client(account, tool)


def _budget() -> int:
    return _state().config.max_output_chars


# -- reading ----------------------------------------------------------------------------------------------------------


def _check_query(query: str) -> None:
    """Gmail answers a malformed query with nothing or with noise; say what is wrong instead."""
    unquoted = re.sub(r'"[^"]*"', "", query)
    if query.count('"') % 2:
        raise InvalidInput("The query has an unclosed quote.", hint='Close it: subject:"weekly report".')
    depth = 0
    for char in unquoted:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            break
    if depth != 0:
        raise InvalidInput("The query's parentheses do not match.", hint="Example: from:(ann OR bob) is:unread.")


@spec.tool()
def search_emails(
    query: Annotated[str, Field(description="Gmail search, e.g. 'from:ann is:unread newer_than:7d'.")] = "",
    limit: Annotated[int, Field(ge=1, le=100)] = 20,
    cursor: Cursor = None,
    account: AccountArg = None,
) -> SearchResult:
    """Search mail with Gmail's query syntax; newest first, compact rows."""
    _check_query(query)
    client = _client(account, "search_emails")
    binds = {"query": query, "limit": limit, "account": account}
    position = decode_cursor(cursor, "search_emails", binds) if cursor else {}
    page_token, skip = position.get("page"), int(position.get("skip", 0))
    listing = client.list_messages(query, limit, page_token)
    refs = list(listing.get("messages") or [])[skip:]
    names = client.label_names()
    rows = [msg.row(found, names) for found in client.list_rows([str(ref["id"]) for ref in refs])]
    fits = take_within_budget(rows, _budget() - 400)
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
    return reading.read_email(_state(), _client(account, "read_email"), account, id, max_chars, cursor, include_quoted)


@spec.tool()
def read_thread(
    thread_id: str, max_chars: MaxChars = None, cursor: Cursor = None, account: AccountArg = None
) -> Thread:
    """Read a conversation oldest first, each message without the quoted copies of earlier ones."""
    return reading.read_thread(_state(), _client(account, "read_thread"), account, thread_id, max_chars, cursor)


# -- composing --------------------------------------------------------------------------------------------------------


def _uploads(client: GmailClient, attachments: list[str] | None) -> list[compose.Upload]:
    """Files from the attachments folder, or `<message id>/<attachment id>` of an existing message."""
    uploads: list[compose.Upload] = []
    folder = _state().attachments_dir().resolve()
    for item in attachments or []:
        if "/" in item and not (folder / item).exists():
            message_id, _, attachment_id = item.partition("/")
            uploads.append(_message_attachment(client, message_id, attachment_id))
            continue
        path = (folder / item).resolve()
        if not path.is_relative_to(folder) or not path.is_file():
            raise InvalidInput(
                f"No file {item!r} in the attachments folder.",
                hint=f"Attach files from {folder}, or '<message id>/<attachment id>' from read_email.",
            )
        uploads.append(compose.Upload(path.name, compose.guess_type(path.name), path.read_bytes()))
    return uploads


def _message_attachment(client: GmailClient, message_id: str, attachment_id: str) -> compose.Upload:
    message = client.get_message(message_id)
    for attachment in msg.walk(message.get("payload") or {}).attachments:
        if attachment.id == attachment_id:
            data = _attachment_bytes(client, message, attachment_id)
            return compose.Upload(attachment.name, attachment.type, data)
    raise NotFound(f"Message {message_id} has no attachment {attachment_id}.", hint="Use the ids read_email lists.")


def _attachment_bytes(client: GmailClient, message: dict[str, Any], attachment_id: str) -> bytes:
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
        raise NotFound(f"No attachment {attachment_id} in message {message['id']}.")
    return msg.unb64(str((part.get("body") or {}).get("data", "")))


def _prepare(
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
    uploads = _uploads(client, attachments)
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
        quoted = reading_quote(headers, original_text)
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
            data = _attachment_bytes(client, original, attachment.id)
            uploads.append(compose.Upload(attachment.name, attachment.type, data))
    if not (to or cc or bcc):
        raise InvalidInput("No recipients.", hint="Give to, cc or bcc.")
    message = compose.build(
        to=to,
        cc=cc,
        bcc=bcc,
        subject=subject or "",
        body=body,
        attachments=uploads,
        in_reply_to=in_reply_to,
        references=references,
        quoted=quoted,
    )
    return compose.raw(message), thread_id, message


def reading_quote(headers: dict[str, str], text: str) -> str:
    from aide_gmail.text import quote_for_reply

    return quote_for_reply(text, f"On {headers.get('date', '')}, {headers.get('from', '')} wrote:")


def _draft_result(draft: dict[str, Any], message: EmailMessage) -> Draft:
    inner = draft.get("message") or {}
    return Draft(
        draft_id=str(draft["id"]),
        message_id=str(inner.get("id", "")),
        thread_id=inner.get("threadId"),
        to=str(message.get("To", "")),
        cc=str(message.get("Cc", "")),
        subject=str(message.get("Subject", "")),
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
    client = _client(account, "draft_email")
    raw, thread_id, message = _prepare(
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
    return _draft_result(client.create_draft(raw, thread_id), message)


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


def _sent(result: dict[str, Any], message: EmailMessage) -> Sent:
    return Sent(
        id=str(result["id"]),
        thread_id=str(result.get("threadId", "")),
        to=str(message.get("To", "")),
        cc=str(message.get("Cc", "")),
        subject=str(message.get("Subject", "")),
    )


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
    client = _client(account, "send_email")
    raw, thread_id, message = _prepare(
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
    return _sent(client.send(raw, thread_id), message)


def _reply_recipients(id: str, reply_all: bool = False, account: str | None = None, **_: Any) -> list[str]:
    client = _client(account, "reply")
    headers = msg.headers_of(client.get_message(id, "metadata").get("payload") or {})
    to, cc = compose.reply_recipients(headers, client.email(), reply_all=reply_all)
    return [*to, *cc]


def _reply_preview(id: str, body: str = "", reply_all: bool = False, account: str | None = None, **_: Any) -> str:
    client = _client(account, "reply")
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
    client = _client(account, "reply")
    raw, thread_id, message = _prepare(
        client, to=None, cc=None, bcc=None, subject=None, body=body, reply_to_id=id, attachments=attachments,
        reply_all=reply_all,
    )  # fmt: skip
    return _sent(client.send(raw, thread_id), message)


def _draft_headers(draft_id: str, account: str | None) -> dict[str, str]:
    draft = _client(account, "send_draft").get_draft(draft_id)
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
    client = _client(account, "send_draft")
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


# -- organizing -------------------------------------------------------------------------------------------------------


def _label_ids(client: GmailClient, names: list[str], direction: str) -> tuple[list[str], list[str]]:
    """(add, remove) label ids for names in `names`; aliases such as 'archive' or 'read' may flip the direction."""
    labels = client.labels()
    by_name = {str(label["name"]).lower(): str(label["id"]) for label in labels}
    by_id = {str(label["id"]) for label in labels}
    add: list[str] = []
    remove: list[str] = []
    for name in names:
        key = name.strip().lower()
        if key in _SYSTEM_ALIASES:
            how, label_id = _SYSTEM_ALIASES[key]
            if direction == "remove":
                how = "add" if how == "remove" else "remove"
        elif name in by_id:
            how, label_id = direction, name
        elif key in by_name:
            how, label_id = direction, by_name[key]
        else:
            user = sorted(str(label["name"]) for label in labels if label.get("type") == "user")
            raise InvalidInput(
                f"No label named {name!r}.",
                hint=f"Labels: {', '.join(user[:30])}; also archive, read, unread, star, inbox, important, spam.",
            )
        (add if how == "add" else remove).append(label_id)
    return add, remove


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
        raise InvalidInput("Give either ids or query.")
    if not add and not remove:
        raise InvalidInput("Nothing to change: give add or remove.")
    client = _client(account, "label_emails")
    add_ids, remove_from_add = _label_ids(client, add or [], "add")
    add_from_remove, remove_ids = _label_ids(client, remove or [], "remove")
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
    client = _client(account, "trash_emails")
    lines = []
    for message_id in ids[:5]:
        headers = msg.headers_of(client.get_message(message_id, "metadata").get("payload") or {})
        lines.append(f"- {headers.get('subject', '')} (from {headers.get('from', '')})")
    more = f"\n… and {len(ids) - 5} more" if len(ids) > 5 else ""
    return f"Move {len(ids)} message(s) to the trash:\n" + "\n".join(lines) + more


@spec.action(preview=_trash_preview, destructive=True, open_world=False)
def trash_emails(ids: Annotated[list[str], Field(min_length=1, max_length=500)], account: AccountArg = None) -> Trashed:
    """Move messages to the trash (recoverable for 30 days)."""
    client = _client(account, "trash_emails")
    return Trashed(ids=[str(client.trash(message_id)["id"]) for message_id in ids])


# -- extended tier ----------------------------------------------------------------------------------------------------


@spec.tool(tier="extended")
def list_drafts(
    limit: Annotated[int, Field(ge=1, le=100)] = 20, cursor: Cursor = None, account: AccountArg = None
) -> Drafts:
    """List saved drafts with their recipients and subjects."""
    client = _client(account, "list_drafts")
    binds = {"limit": limit, "account": account}
    page_token = decode_cursor(cursor, "list_drafts", binds).get("page") if cursor else None
    listing = client.list_drafts(limit, page_token)
    drafts: list[Draft] = []
    for item in listing.get("drafts") or []:
        draft = client.get_draft(str(item["id"]))
        inner = draft.get("message") or {}
        headers = msg.headers_of(inner.get("payload") or {})
        drafts.append(
            Draft(
                draft_id=str(draft["id"]),
                message_id=str(inner.get("id", "")),
                thread_id=inner.get("threadId"),
                to=headers.get("to", ""),
                cc=headers.get("cc", ""),
                subject=headers.get("subject", ""),
            )
        )
    token = listing.get("nextPageToken")
    return Drafts(drafts=drafts, next_cursor=encode_cursor("list_drafts", {"page": token}, binds) if token else None)


@spec.tool(tier="extended", read_only=False, idempotent=True)
def update_draft(
    draft_id: str,
    to: Addresses = None,
    cc: Addresses = None,
    bcc: Addresses = None,
    subject: str | None = None,
    body: Annotated[str, Field(description="Markdown.")] = "",
    attachments: list[str] | None = None,
    account: AccountArg = None,
) -> Draft:
    """Replace a draft's recipients, subject, body and attachments (it stays in its thread)."""
    client = _client(account, "update_draft")
    old = client.get_draft(draft_id)
    inner = old.get("message") or {}
    headers = msg.headers_of(inner.get("payload") or {})
    message = compose.build(
        to=to if to is not None else [a for _, a in msg.addresses(headers.get("to", ""))],
        cc=cc if cc is not None else [a for _, a in msg.addresses(headers.get("cc", ""))],
        bcc=bcc or [],
        subject=subject if subject is not None else headers.get("subject", ""),
        body=body,
        attachments=_uploads(client, attachments),
        in_reply_to=headers.get("in-reply-to") or None,
        references=headers.get("references") or None,
    )
    updated = client.update_draft(draft_id, compose.raw(message), inner.get("threadId"))
    return _draft_result(updated, message)


@spec.action(tier="extended", open_world=False, preview=lambda draft_id, **_: f"Delete draft {draft_id}")
def delete_draft(draft_id: str, account: AccountArg = None) -> Draft:
    """Delete a draft for good."""
    client = _client(account, "delete_draft")
    draft = client.get_draft(draft_id)
    inner = draft.get("message") or {}
    headers = msg.headers_of(inner.get("payload") or {})
    client.delete_draft(draft_id)
    return Draft(
        draft_id=draft_id,
        message_id=str(inner.get("id", "")),
        to=headers.get("to", ""),
        subject=headers.get("subject", ""),
    )


@spec.tool(tier="extended")
def list_labels(account: AccountArg = None) -> Labels:
    """List the mailbox's labels (system and user)."""
    labels = _client(account, "list_labels").labels()
    return Labels(labels=[Label(id=str(x["id"]), name=str(x["name"]), type=str(x.get("type", "user"))) for x in labels])


@spec.tool(tier="extended", read_only=False, idempotent=False)
def manage_label(
    name: str,
    new_name: Annotated[str | None, Field(description="Rename to this.")] = None,
    create: bool = False,
    account: AccountArg = None,
) -> Label:
    """Create a label (create=true) or rename one."""
    client = _client(account, "manage_label")
    if create:
        made = client.create_label(name)
        return Label(id=str(made["id"]), name=str(made["name"]), type=str(made.get("type", "user")))
    match = next((x for x in client.labels() if str(x["name"]).lower() == name.lower() or x["id"] == name), None)
    if match is None:
        raise InvalidInput(f"No label named {name!r}.", hint="Call list_labels, or pass create=true.")
    if not new_name:
        raise InvalidInput("Say what to do: create=true, or new_name to rename.")
    renamed = client.rename_label(str(match["id"]), new_name)
    return Label(id=str(renamed["id"]), name=str(renamed["name"]), type=str(renamed.get("type", "user")))


@spec.tool(tier="extended", read_only=False, idempotent=True)
def get_attachment(
    message_id: str,
    attachment_id: str,
    save: Annotated[bool, Field(description="Save to the downloads folder instead of linking.")] = False,
    account: AccountArg = None,
) -> SavedAttachment:
    """Fetch an attachment as a resource link, or save it as a file; never inline base64."""
    state = _state()
    client = _client(account, "get_attachment")
    message = client.get_message(message_id)
    found = next((a for a in msg.walk(message.get("payload") or {}).attachments if a.id == attachment_id), None)
    if found is None:
        raise NotFound(f"Message {message_id} has no attachment {attachment_id}.", hint="Use the ids read_email lists.")
    name = state.resolve(account).name
    if not save:
        uri = f"gmail://{name}/attachments/{message_id}/{attachment_id}"
        return SavedAttachment(name=found.name, type=found.type, size=found.size, uri=uri)
    data = _attachment_bytes(client, message, attachment_id)
    folder = state.downloads_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / Path(found.name).name
    stem, suffix, counter = target.stem, target.suffix, 1
    while target.exists():
        counter += 1
        target = folder / f"{stem} ({counter}){suffix}"
    target.write_bytes(data)
    return SavedAttachment(name=found.name, type=found.type, size=len(data), path=str(target))


@spec.tool(tier="extended", read_only=False, idempotent=True, open_world=False)
def untrash_emails(
    ids: Annotated[list[str], Field(min_length=1, max_length=500)], account: AccountArg = None
) -> Trashed:
    """Take messages out of the trash."""
    client = _client(account, "untrash_emails")
    return Trashed(ids=[str(client.untrash(message_id)["id"]) for message_id in ids])


@spec.tool(tier="extended")
def history_since(
    history_id: Annotated[str, Field(description="history_id of a previous call, or of a read message.")],
    cursor: Cursor = None,
    account: AccountArg = None,
) -> History:
    """What changed in the mailbox since a history id: messages added, deleted, labelled."""
    client = _client(account, "history_since")
    binds = {"history_id": history_id, "account": account}
    page_token = decode_cursor(cursor, "history_since", binds).get("page") if cursor else None
    listing = client.history(history_id, page_token, 100)
    changes: list[Change] = []
    for record in listing.get("history") or []:
        for key, kind in (
            ("messagesAdded", "added"),
            ("messagesDeleted", "deleted"),
            ("labelsAdded", "labels_added"),
            ("labelsRemoved", "labels_removed"),
        ):
            for item in record.get(key) or []:
                message = item.get("message") or {}
                changes.append(
                    Change(
                        history_id=str(record["id"]),
                        message_id=str(message.get("id", "")),
                        thread_id=str(message.get("threadId", "")),
                        kind=kind,
                        labels=[str(x) for x in item.get("labelIds") or message.get("labelIds") or []],
                    )
                )
    token = listing.get("nextPageToken")
    return History(
        history_id=str(listing.get("historyId", history_id)),
        changes=changes,
        next_cursor=encode_cursor("history_since", {"page": token}, binds) if token else None,
    )


def _filter(raw: dict[str, Any], names: dict[str, str]) -> Filter:
    action = raw.get("action") or {}
    return Filter(
        id=str(raw.get("id", "")),
        criteria=dict(raw.get("criteria") or {}),
        add_labels=[names.get(str(x), str(x)) for x in action.get("addLabelIds") or []],
        remove_labels=[names.get(str(x), str(x)) for x in action.get("removeLabelIds") or []],
    )


@spec.tool(tier="extended")
def list_filters(account: AccountArg = None) -> Filters:
    """List the mailbox's filters: what they match and which labels they change."""
    client = _client(account, "list_filters")
    names = client.label_names()
    return Filters(filters=[_filter(raw, names) for raw in client.filters()])


def _filter_preview(
    delete_id: str | None = None, query: str | None = None, add: list[str] | None = None,
    remove: list[str] | None = None, **_: Any,
) -> str:  # fmt: skip
    if delete_id:
        return f"Delete filter {delete_id}"
    return f"Create a filter: mail matching '{query}' gets +{add or []} -{remove or []}, now and in future"


@spec.action(tier="extended", open_world=False, preview=_filter_preview)
def manage_filter(
    query: Annotated[str | None, Field(description="Gmail search the filter matches.")] = None,
    add: list[str] | None = None,
    remove: Annotated[list[str] | None, Field(description="Label names; 'archive' removes INBOX.")] = None,
    delete_id: Annotated[str | None, Field(description="Delete this filter instead.")] = None,
    account: AccountArg = None,
) -> Filter:
    """Create a filter that labels, archives or marks read matching mail, or delete one (no forwarding)."""
    client = _client(account, "manage_filter")
    if delete_id:
        existing = next((f for f in client.filters() if f.get("id") == delete_id), None)
        if existing is None:
            raise NotFound(f"No filter {delete_id}.", hint="Call list_filters for the ids.")
        client.delete_filter(delete_id)
        return _filter(existing, client.label_names())
    if not query or not (add or remove):
        raise InvalidInput("A filter needs a query and labels to add or remove.", hint="Or give delete_id.")
    _check_query(query)
    add_ids, remove_from_add = _label_ids(client, add or [], "add")
    add_from_remove, remove_ids = _label_ids(client, remove or [], "remove")
    action = {"addLabelIds": add_ids + add_from_remove, "removeLabelIds": remove_ids + remove_from_add}
    made = client.create_filter({"query": query}, action)
    return _filter(made, client.label_names())


# -- resources --------------------------------------------------------------------------------------------------------


@spec.resource("gmail://accounts", name="accounts", description="The signed-in accounts and their scopes.")
def accounts() -> str:
    found = [
        Account(name=a.name, email=a.email, level=a.level, scopes=a.scopes).model_dump() for a in _state().accounts()
    ]
    return json.dumps({"default": _state().config.account, "accounts": found}, indent=1)


@spec.resource(
    "gmail://{account}/attachments/{message_id}/{attachment_id}",
    name="attachment",
    description="An attachment's content.",
    mime_type="application/octet-stream",
)
def attachment(account: str, message_id: str, attachment_id: str) -> bytes:
    client = _client(account, "get_attachment")
    return _attachment_bytes(client, client.get_message(message_id), attachment_id)


@spec.configure_check
def _signed_in(runtime: Any) -> str | None:
    from aide_gmail.state import known_accounts

    return None if known_accounts(runtime) else "aide auth google"


@spec.reachability_check
def _reachable(runtime: Any) -> str:
    state = GmailState(runtime)
    if not state.accounts():
        return "not checked"
    try:
        client = state.client(None, "read_email")
        return f"ok ({client.email()})"
    finally:
        state.close()


def main() -> int:
    from aide_core.launch import run_spec

    return run_spec(spec)
