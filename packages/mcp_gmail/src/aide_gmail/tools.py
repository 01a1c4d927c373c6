"""The default tier: search, read, thread, draft, send, reply, send a draft, label, trash."""

from __future__ import annotations

from typing import Annotated, Any

import anyio.from_thread
from mcp.server.mcpserver import Context
from pydantic import Field

from aide_core.errors import Conflict, InvalidInput
from aide_core.fencing import defang_field
from aide_core.paging import decode_cursor, encode_cursor, take_within_budget
from aide_core.plan import Plan
from aide_gmail import message as msg
from aide_gmail import reading
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
from aide_gmail.outgoing import Outgoing, compose_mail, draft_mail, draft_result, mail_plan, sent_result
from aide_gmail.scopes import requires

#: Messages per batchModify request (the API's maximum); larger sets report progress after each batch.
LABEL_BATCH = 1000


@spec.tool()
@requires("readonly", "messages.list", "messages.get")
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
    fields = {"page": (str, type(None)), "skip": int}
    position = decode_cursor(cursor, "search_emails", binds, fields=fields) if cursor else {}
    page_token, skip = position.get("page"), max(0, position.get("skip", 0))
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
        next_cursor = encode_cursor("search_emails", {"page": listing["nextPageToken"], "skip": 0}, binds)
    return SearchResult(emails=rows, next_cursor=next_cursor, estimated_total=listing.get("resultSizeEstimate"))


@spec.tool()
@requires("readonly", "messages.get")
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
@requires("readonly", "threads.get")
def read_thread(
    thread_id: str, max_chars: MaxChars = None, cursor: Cursor = None, account: AccountArg = None
) -> Thread:
    """Read a conversation oldest first, each message without the quoted copies of earlier ones."""
    return reading.read_thread(
        current_state(), client_for(account, "read_thread"), account, thread_id, max_chars, cursor
    )


@spec.tool(read_only=False, idempotent=False)
@requires("compose", "drafts.create", "messages.get")
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
    outgoing = compose_mail(
        client, to=to, cc=cc, bcc=bcc, subject=subject, body=body, reply_to_id=reply_to_id, forward_id=forward_id,
        attachments=attachments,
    )  # fmt: skip
    return draft_result(client.create_draft(outgoing.raw(), outgoing.thread_id), outgoing.mail)


def _plan_send(
    to: list[str] | None = None,
    cc: list[str] | None = None,
    bcc: list[str] | None = None,
    subject: str | None = None,
    body: str = "",
    reply_to_id: str | None = None,
    forward_id: str | None = None,
    attachments: list[str] | None = None,
    account: str | None = None,
) -> Plan[Outgoing]:
    client = client_for(account, "send_email")
    outgoing = compose_mail(
        client, to=to, cc=cc, bcc=bcc, subject=subject, body=body, reply_to_id=reply_to_id, forward_id=forward_id,
        attachments=attachments,
    )  # fmt: skip
    note = (
        f"(in reply to message {reply_to_id})"
        if reply_to_id
        else f"(forwarding message {forward_id})"
        if forward_id
        else ""
    )
    return mail_plan("Send", outgoing, sender=client.email(), note=note)


@spec.action(plan=_plan_send)
@requires("send", "messages.send", "messages.get", "getProfile")
def send_email(
    plan: Plan[Outgoing],
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
    return _deliver(plan, account, "send_email")


def _deliver(plan: Plan[Outgoing], account: str | None, tool: str, draft_id: str | None = None) -> Sent:
    """Send the confirmed plan from the account it was planned for (whose address its preview named); with
    `draft_id`, as that draft."""
    client = client_for(account, tool)
    if client.email() != plan.content["from"]:
        raise Conflict(
            f"The account now resolves to {client.email()}, not {plan.content['from']} as previewed; nothing was sent.",
            hint="Call again without confirmation_token for a new preview.",
        )
    outgoing = plan.payload
    if draft_id is not None:
        return sent_result(client.send_draft(draft_id, outgoing.raw(), outgoing.thread_id), outgoing.mail)
    return sent_result(client.send(outgoing.raw(), outgoing.thread_id), outgoing.mail)


def _plan_reply(
    id: str, body: str, reply_all: bool = False, attachments: list[str] | None = None, account: str | None = None
) -> Plan[Outgoing]:
    client = client_for(account, "reply")
    outgoing = compose_mail(
        client, to=None, cc=None, bcc=None, subject=None, body=body, reply_to_id=id, attachments=attachments,
        reply_all=reply_all,
    )  # fmt: skip
    verb = "Reply all" if reply_all else "Reply"
    return mail_plan(verb, outgoing, sender=client.email(), note=f"(in reply to message {id})")


@spec.action(plan=_plan_reply)
@requires("send", "messages.get", "messages.send", "getProfile")
def reply(
    plan: Plan[Outgoing],
    id: str,
    body: Annotated[str, Field(description="Markdown; the original is quoted below it.")],
    reply_all: bool = False,
    attachments: list[str] | None = None,
    account: AccountArg = None,
) -> Sent:
    """Reply in the message's thread, to its sender (reply_all: and the other recipients)."""
    return _deliver(plan, account, "reply")


def _plan_send_draft(draft_id: str, account: str | None = None) -> Plan[Outgoing]:
    client = client_for(account, "send_draft")
    outgoing, _ = draft_mail(client, draft_id)
    return mail_plan("Send draft", outgoing, sender=client.email())


@spec.action(plan=_plan_send_draft)
@requires("send", "drafts.get", "messages.send", "drafts.delete", "getProfile")
def send_draft(plan: Plan[Outgoing], draft_id: str, account: AccountArg = None) -> Sent:
    """Send a saved draft as it is."""
    return _deliver(plan, account, "send_draft", draft_id)


@spec.tool(read_only=False, idempotent=True)
@requires("organize", "messages.batchModify", "labels.list")
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
    destructive = sorted({"TRASH", "SPAM"} & set(add_ids))
    if destructive:
        # Trash and spam go through the guard (confirmation, the same caps) in trash_emails, whichever tool asks.
        raise InvalidInput(
            f"label_emails does not move mail to {' or '.join(destructive).lower()}.",
            hint="Use trash_emails (spam=true to mark as spam), which asks the user first.",
        )
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


def _trash_preview(ids: list[str], spam: bool = False, account: str | None = None, **_: Any) -> str:
    client = client_for(account, "trash_emails")
    lines = []
    for message_id in ids[:5]:
        headers = msg.headers_of(client.get_message(message_id, "metadata").get("payload") or {})
        lines.append(f"- {defang_field(headers.get('subject', ''))} (from {defang_field(headers.get('from', ''))})")
    more = f"\n… and {len(ids) - 5} more" if len(ids) > 5 else ""
    what = "Mark {} message(s) as spam" if spam else "Move {} message(s) to the trash"
    return what.format(len(ids)) + ":\n" + "\n".join(lines) + more


@spec.action(preview=_trash_preview, destructive=True, open_world=False)
@requires("organize", "messages.trash", "messages.batchModify", "messages.get")
def trash_emails(
    ids: Annotated[list[str], Field(min_length=1, max_length=500)],
    spam: Annotated[bool, Field(description="Mark as spam instead (out of the inbox, into Spam).")] = False,
    account: AccountArg = None,
) -> Trashed:
    """Move messages to the trash (recoverable for 30 days), or mark them as spam."""
    client = client_for(account, "trash_emails")
    if spam:
        client.batch_modify(ids, ["SPAM"], ["INBOX"])
        return Trashed(ids=ids)
    return Trashed(ids=[str(client.trash(message_id)["id"]) for message_id in ids])
