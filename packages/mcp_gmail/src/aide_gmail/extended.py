"""The extended tier (`tier = "extended"`): drafts, labels, attachments, untrash, history and filters."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from aide_core.errors import InvalidInput, NotFound
from aide_core.paging import decode_cursor, encode_cursor
from aide_gmail import compose
from aide_gmail import message as msg
from aide_gmail.app import AccountArg, Addresses, Cursor, check_query, client_for, current_state, label_ids, spec
from aide_gmail.models import (
    Change,
    Draft,
    Drafts,
    Filter,
    Filters,
    History,
    Label,
    Labels,
    SavedAttachment,
    Trashed,
)
from aide_gmail.outgoing import Outgoing, attachment_bytes, draft_mail, draft_result, listed_attachment, uploads
from aide_gmail.scopes import requires


@spec.tool(tier="extended")
@requires("readonly", "drafts.list", "drafts.get")
def list_drafts(
    limit: Annotated[int, Field(ge=1, le=100)] = 20, cursor: Cursor = None, account: AccountArg = None
) -> Drafts:
    """List saved drafts with their recipients and subjects."""
    client = client_for(account, "list_drafts")
    binds = {"limit": limit, "account": account}
    page_token = decode_cursor(cursor, "list_drafts", binds, fields={"page": str})["page"] if cursor else None
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
@requires("compose", "drafts.update")
def update_draft(
    draft_id: str,
    to: Addresses = None,
    cc: Addresses = None,
    bcc: Addresses = None,
    subject: str | None = None,
    body: Annotated[str | None, Field(description="Markdown; omitted: the draft's text stays.")] = None,
    attachments: Annotated[list[str] | None, Field(description="Replace the attachments; omitted: they stay.")] = None,
    account: AccountArg = None,
) -> Draft:
    """Change a draft's recipients, subject, body or attachments; what is not given stays (it keeps its thread)."""
    from aide_core.mail import OutgoingMail, check_line, parse_addresses  # at the first call, not at start-up

    client = client_for(account, "update_draft")
    old, _ = draft_mail(client, draft_id)
    mail = old.mail
    if subject is not None:
        check_line("subject", subject)
    files = uploads(client, attachments) if attachments is not None else list(mail.attachments)
    text = body if body is not None else mail.text
    new = OutgoingMail(
        to=parse_addresses("to", to) if to is not None else mail.to,
        cc=parse_addresses("cc", cc) if cc is not None else mail.cc,
        bcc=parse_addresses("bcc", bcc) if bcc is not None else mail.bcc,
        subject=subject if subject is not None else mail.subject,
        text=text,
        html=compose.markdown_html(text) if body is not None else mail.html,
        attachments=tuple(files),
        in_reply_to=mail.in_reply_to,
        references=mail.references,
    )
    updated = client.update_draft(draft_id, Outgoing(new, old.thread_id).raw(), old.thread_id)
    return draft_result(updated, new)


@spec.action(tier="extended", open_world=False, preview=lambda draft_id, **_: f"Delete draft {draft_id}")
@requires("compose", "drafts.delete")
def delete_draft(draft_id: str, account: AccountArg = None) -> Draft:
    """Delete a draft for good."""
    client = client_for(account, "delete_draft")
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
@requires("readonly", "labels.list")
def list_labels(account: AccountArg = None) -> Labels:
    """List the mailbox's labels (system and user)."""
    labels = client_for(account, "list_labels").labels()
    return Labels(labels=[Label(id=str(x["id"]), name=str(x["name"]), type=str(x.get("type", "user"))) for x in labels])


@spec.tool(tier="extended", read_only=False, idempotent=False)
@requires("organize", "labels.create", "labels.patch", "labels.delete")
def manage_label(
    name: str,
    new_name: Annotated[str | None, Field(description="Rename to this.")] = None,
    create: bool = False,
    account: AccountArg = None,
) -> Label:
    """Create a label (create=true) or rename one."""
    client = client_for(account, "manage_label")
    match = next((x for x in client.labels() if str(x["name"]).lower() == name.lower() or x["id"] == name), None)
    if create:
        # Creating a label that exists answers with it: the call's aim (the label exists) holds either way.
        made = match if match is not None and not new_name else client.create_label(name)
        return Label(id=str(made["id"]), name=str(made["name"]), type=str(made.get("type", "user")))
    if match is None:
        raise InvalidInput(f"No label named {name!r}.", hint="Call list_labels, or pass create=true.")
    if not new_name:
        raise InvalidInput("Say what to do: create=true, or new_name to rename.")
    renamed = client.rename_label(str(match["id"]), new_name)
    return Label(id=str(renamed["id"]), name=str(renamed["name"]), type=str(renamed.get("type", "user")))


@spec.tool(tier="extended", read_only=False, idempotent=True)
@requires("readonly", "messages.attachments.get")
def get_attachment(
    message_id: str,
    attachment_id: str,
    save: Annotated[bool, Field(description="Save to the downloads folder instead of linking.")] = False,
    account: AccountArg = None,
) -> SavedAttachment:
    """Fetch an attachment as a resource link, or save it as a file; never inline base64."""
    state = current_state()
    client = client_for(account, "get_attachment")
    message = client.get_message(message_id)
    found = listed_attachment(message, attachment_id)
    name = state.resolve(account).name
    if not save:
        uri = f"gmail://{name}/attachments/{message_id}/{attachment_id}"
        return SavedAttachment(name=found.name, type=found.type, size=found.size, uri=uri)
    data = attachment_bytes(client, message, attachment_id)
    folder = state.downloads_dir()
    folder.mkdir(parents=True, exist_ok=True)
    # The name comes from the sender: one line, no path, and short enough in bytes for any file system.
    from aide_core.mail import safe_filename

    target = folder / _file_name(safe_filename(Path(found.name).name))
    stem, suffix, counter = target.stem, target.suffix, 1
    while target.exists():
        counter += 1
        target = folder / f"{stem} ({counter}){suffix}"
    target.write_bytes(data)
    return SavedAttachment(name=found.name, type=found.type, size=len(data), path=str(target))


def _file_name(name: str, limit: int = 200) -> str:
    """`name` cut to `limit` UTF-8 bytes (file systems count bytes, mostly 255), keeping its extension."""
    if len(name.encode()) <= limit:
        return name
    stem, dot, suffix = name.rpartition(".")
    suffix = f".{suffix}" if dot and len(suffix) <= 16 else ""
    stem = stem if dot and suffix else name
    room = limit - len(suffix.encode())
    return stem.encode()[:room].decode(errors="ignore") + suffix


@spec.tool(tier="extended", read_only=False, idempotent=True, open_world=False)
@requires("organize", "messages.untrash")
def untrash_emails(
    ids: Annotated[list[str], Field(min_length=1, max_length=500)], account: AccountArg = None
) -> Trashed:
    """Take messages out of the trash."""
    client = client_for(account, "untrash_emails")
    return Trashed(ids=[str(client.untrash(message_id)["id"]) for message_id in ids])


@spec.tool(tier="extended")
@requires("readonly", "history.list")
def history_since(
    history_id: Annotated[str, Field(description="history_id of a previous call, or of a read message.")],
    cursor: Cursor = None,
    account: AccountArg = None,
) -> History:
    """What changed in the mailbox since a history id: messages added, deleted, labelled."""
    client = client_for(account, "history_since")
    binds = {"history_id": history_id, "account": account}
    page_token = decode_cursor(cursor, "history_since", binds, fields={"page": str})["page"] if cursor else None
    try:
        listing = client.history(history_id, page_token, 100)
    except NotFound:
        raise NotFound(
            f"History id {history_id} is too old or unknown: Gmail keeps about a week of history.",
            hint="Start again from search_emails, and take the history_id of this call's answer from then on.",
        ) from None
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
@requires("readonly", "settings.filters.list", "labels.list")
def list_filters(account: AccountArg = None) -> Filters:
    """List the mailbox's filters: what they match and which labels they change."""
    client = client_for(account, "list_filters")
    names = client.label_names()
    return Filters(filters=[_filter(raw, names) for raw in client.filters()])


def _filter_preview(
    delete_id: str | None = None, query: str | None = None, add: list[str] | None = None,
    remove: list[str] | None = None, **_: Any,
) -> str:  # fmt: skip
    if delete_id:
        return f"Delete filter {delete_id}"
    _check_filter(query, add)
    # What the filter does comes first, the caller's query last and quoted: the query cannot push the action out.
    what = f"Create a filter that adds {add or []} and removes {remove or []}"
    return f"{what}, on mail matching {query!r}, now and in future"


def _check_filter(query: str | None, add: list[str] | None) -> None:
    """A filter is one line of search, and never deletes or buries mail as it arrives: trash and spam are acts on
    messages the user has seen (trash_emails), not on mail nobody has read yet."""
    from aide_core.mail import check_line

    check_line("query", query or "")
    refused = sorted({name.strip().upper() for name in add or []} & {"TRASH", "SPAM"})
    if refused:
        raise InvalidInput(
            f"A filter cannot add {' or '.join(refused)}.",
            hint="Filters label, archive or mark read; use trash_emails for mail the user has chosen.",
        )


@spec.action(tier="extended", open_world=False, preview=_filter_preview)
@requires("full", "settings.filters.create", "settings.filters.delete", "settings.filters.list", "labels.list")
def manage_filter(
    query: Annotated[str | None, Field(description="Gmail search the filter matches.")] = None,
    add: list[str] | None = None,
    remove: Annotated[list[str] | None, Field(description="Label names; 'archive' removes INBOX.")] = None,
    delete_id: Annotated[str | None, Field(description="Delete this filter instead.")] = None,
    account: AccountArg = None,
) -> Filter:
    """Create a filter that labels, archives or marks read matching mail, or delete one (no forwarding)."""
    client = client_for(account, "manage_filter")
    if delete_id:
        existing = next((f for f in client.filters() if f.get("id") == delete_id), None)
        if existing is None:
            raise NotFound(f"No filter {delete_id}.", hint="Call list_filters for the ids.")
        client.delete_filter(delete_id)
        return _filter(existing, client.label_names())
    if not query or not (add or remove):
        raise InvalidInput("A filter needs a query and labels to add or remove.", hint="Or give delete_id.")
    check_query(query)
    add_ids, remove_from_add = label_ids(client, add or [], "add")
    add_from_remove, remove_ids = label_ids(client, remove or [], "remove")
    _check_filter(query, add_ids + add_from_remove)
    action = {"addLabelIds": add_ids + add_from_remove, "removeLabelIds": remove_ids + remove_from_add}
    made = client.create_filter({"query": query}, action)
    return _filter(made, client.label_names())
