"""The Gmail v1 methods, keyed by discovery id: each maps a validated `Call` onto the mailbox store.

Behaviour the issue left open, decided here the way Gmail behaves as far as its documentation says:
- `send` stamps `Date`, `Message-ID` and `From` when the message lacks them (prepended, so the rest of the bytes stay
  as sent), labels the copy `SENT`, and delivers to any sandbox account among the recipients (without `Bcc`,
  with `Delivered-To`), labelled `INBOX UNREAD CATEGORY_PERSONAL`; mail to oneself is one message labelled
  `SENT INBOX` (read: its author wrote it);
- `trash` adds `TRASH` and `untrash` removes it (other labels stay); listing hides trash and spam unless asked;
- `drafts.send` sends the draft as a new message in the draft's thread and deletes the draft;
- `settings.filters` act on mail delivered afterwards (`gmail.filters`).
"""

from __future__ import annotations

import email.utils
import json
import secrets
from collections.abc import Callable
from typing import Any

from aide_sandbox.gmail import mime, shapes
from aide_sandbox.gmail.filters import Filters
from aide_sandbox.gmail.store import Mailboxes
from aide_sandbox.gmail.stored import StoredMessage
from aide_sandbox.google.errors import invalid_argument, not_found
from aide_sandbox.google.service import Call, Handler

_DEFAULT_PAGE = 100
_MAX_PAGE = 500


def _page(items: list[Any], call: Call) -> tuple[list[Any], str | None]:
    size = min(int(call.query.get("maxResults") or _DEFAULT_PAGE), _MAX_PAGE) or _DEFAULT_PAGE
    token = call.query.get("pageToken")
    start = 0
    if token:
        if not str(token).isdigit() or int(token) > len(items):
            raise invalid_argument("Invalid pageToken")  # Gmail rejects a token it did not hand out
        start = int(token)
    end = start + size
    return items[start:end], (str(end) if end < len(items) else None)


def _listing(key: str, items: list[Any], call: Call) -> dict[str, Any]:
    page, next_token = _page(items, call)
    body: dict[str, Any] = {key: page} if page else {}
    if next_token:
        body["nextPageToken"] = next_token
    body["resultSizeEstimate"] = len(items)
    return body


class Gmail:
    """Handlers of the Gmail API over one `Mailboxes` store."""

    def __init__(self, mailboxes: Mailboxes, clock: Callable[[], float]) -> None:
        self.mailboxes = mailboxes
        self.clock = clock
        self.filters = Filters(mailboxes.db)

    def handlers(self) -> dict[str, Handler]:
        prefix = "gmail.users."
        names = {
            "getProfile": self.get_profile,
            "messages.list": self.messages_list,
            "messages.get": self.messages_get,
            "messages.send": self.messages_send,
            "messages.insert": self.messages_insert,
            "messages.import": self.messages_insert,
            "messages.modify": self.messages_modify,
            "messages.batchModify": self.messages_batch_modify,
            "messages.trash": lambda call: self._trash(call, trash=True),
            "messages.untrash": lambda call: self._trash(call, trash=False),
            "messages.delete": self.messages_delete,
            "messages.batchDelete": self.messages_batch_delete,
            "messages.attachments.get": self.attachments_get,
            "threads.list": self.threads_list,
            "threads.get": self.threads_get,
            "threads.modify": self.threads_modify,
            "threads.trash": lambda call: self._thread_trash(call, trash=True),
            "threads.untrash": lambda call: self._thread_trash(call, trash=False),
            "threads.delete": self.threads_delete,
            "drafts.create": self.drafts_create,
            "drafts.list": self.drafts_list,
            "drafts.get": self.drafts_get,
            "drafts.update": self.drafts_update,
            "drafts.send": self.drafts_send,
            "drafts.delete": self.drafts_delete,
            "labels.list": self.labels_list,
            "labels.get": self.labels_get,
            "labels.create": self.labels_create,
            "labels.patch": self.labels_patch,
            "labels.update": self.labels_patch,
            "labels.delete": self.labels_delete,
            "history.list": self.history_list,
            "settings.filters.list": lambda call: _optional("filter", self.filters.list(call.account)),
            "settings.filters.get": lambda call: self.filters.get(call.account, call.params["id"]),
            "settings.filters.create": self.filters_create,
            "settings.filters.delete": lambda call: self.filters.delete(call.account, call.params["id"]),
        }
        return {prefix + name: handler for name, handler in names.items()}

    # -- profile --------------------------------------------------------------------------------------------------
    def get_profile(self, call: Call) -> dict[str, Any]:
        messages, threads = self.mailboxes.counts(call.account)
        with self.mailboxes.db.transaction() as conn:
            history = self.mailboxes.history_id(conn, call.account)
        return {
            "emailAddress": call.account,
            "messagesTotal": messages,
            "threadsTotal": threads,
            "historyId": str(history),
        }

    # -- messages -------------------------------------------------------------------------------------------------
    def _search(self, call: Call) -> list[StoredMessage]:
        return self.mailboxes.search(
            call.account,
            call.query.get("q") or "",
            call.query.get("labelIds") or [],
            bool(call.query.get("includeSpamTrash")),
        )

    def messages_list(self, call: Call) -> dict[str, Any]:
        return _listing("messages", [shapes.reference(m) for m in self._search(call)], call)

    def messages_get(self, call: Call) -> dict[str, Any]:
        stored = self.mailboxes.get(call.account, call.params["id"])
        return shapes.message(stored, call.query.get("format", "full"), call.query.get("metadataHeaders"))

    def _raw(self, call: Call, body: dict[str, Any] | None) -> bytes:
        if call.media is not None:
            return call.media
        raw = (body or {}).get("raw")
        if not raw:
            raise invalid_argument(
                "'raw' RFC822 payload message string or uploading message via /upload/* URL required"
            )
        return mime.unb64(raw)

    def _stamped(self, account: str, raw: bytes) -> bytes:
        """`raw` with the headers a mail server adds when they are missing."""
        message = mime.parse(raw)
        missing: list[tuple[str, str]] = []
        if message.get("Date") is None:
            missing.append(("Date", email.utils.formatdate(self.clock(), usegmt=True)))
        if message.get("Message-ID") is None:
            missing.append(("Message-ID", f"<{secrets.token_hex(12)}@mail.sandbox.aide>"))
        if message.get("From") is None:
            missing.append(("From", account))
        return mime.with_headers(raw, missing) if missing else raw

    def _send(self, account: str, raw: bytes, thread_id: str | None) -> StoredMessage:
        raw = self._stamped(account, raw)
        message = mime.parse(raw)
        recipients = mime.addresses(*(str(message.get(h, "")) for h in ("To", "Cc", "Bcc")))
        if not recipients:
            raise invalid_argument("Recipient address required", reason="invalidArgument")
        sent = self.mailboxes.insert(account, raw, ["SENT"], thread_id=thread_id)
        delivered = mime.without_header(raw, "Bcc")
        for recipient in dict.fromkeys(recipients):
            if recipient == account:  # mail to yourself is both sent and received: one message, in INBOX too
                sent = self.mailboxes.modify(account, [sent.id], ["INBOX", "CATEGORY_PERSONAL"], [])[0]
            elif self.mailboxes.exists(recipient):
                copy = mime.with_headers(delivered, [("Delivered-To", recipient)])
                labels = ["INBOX", "UNREAD", "CATEGORY_PERSONAL"]
                labels = self.filters.labels_for(recipient, copy, labels, int(self.clock() * 1000))
                self.mailboxes.insert(recipient, copy, labels, received=True)
        return sent

    def messages_send(self, call: Call) -> dict[str, Any]:
        thread_id = (call.body or {}).get("threadId")
        sent = self._send(call.account, self._raw(call, call.body), thread_id)
        return shapes.message(sent, "minimal") | {"labelIds": sent.labels}

    def messages_insert(self, call: Call) -> dict[str, Any]:
        body = call.body or {}
        raw = self._raw(call, body)
        internal_ms: int | None = None
        source = call.query.get("internalDateSource") or (
            "dateHeader" if call.method.id.endswith("import") else "receivedTime"
        )
        if source == "dateHeader":
            internal_ms = mime.summarize(raw).date_ms
        stored = self.mailboxes.insert(
            call.account, raw, body.get("labelIds") or [], internal_ms=internal_ms, thread_id=body.get("threadId")
        )
        return shapes.message(stored, "minimal")

    def messages_modify(self, call: Call) -> dict[str, Any]:
        body = call.body or {}
        _check_modify(body)
        [updated] = self.mailboxes.modify(
            call.account, [call.params["id"]], body.get("addLabelIds") or [], body.get("removeLabelIds") or []
        )
        return shapes.message(updated, "minimal")

    def messages_batch_modify(self, call: Call) -> None:
        body = call.body or {}
        _check_modify(body)
        ids: list[str] = body.get("ids") or []
        if len(ids) > 1000:
            raise invalid_argument("Too many ids: at most 1000.")
        self.mailboxes.modify(call.account, ids, body.get("addLabelIds") or [], body.get("removeLabelIds") or [])

    def _trash(self, call: Call, *, trash: bool) -> dict[str, Any]:
        change = (["TRASH"], []) if trash else ([], ["TRASH"])
        [updated] = self.mailboxes.modify(call.account, [call.params["id"]], *change)
        return shapes.message(updated, "minimal")

    def messages_delete(self, call: Call) -> None:
        self.mailboxes.delete(call.account, [call.params["id"]])

    def messages_batch_delete(self, call: Call) -> None:
        self.mailboxes.delete(call.account, (call.body or {}).get("ids") or [])

    def attachments_get(self, call: Call) -> dict[str, Any]:
        stored = self.mailboxes.get(call.account, call.params["messageId"])
        parsed = mime.parse_attachment_id(call.params["id"])
        if parsed is None or parsed[0] != stored.id:
            raise invalid_argument("Invalid attachment token")
        data = mime.part_bytes(stored.raw, parsed[1])
        if data is None:
            raise not_found()
        return {"attachmentId": call.params["id"], "size": len(data), "data": mime.b64_unpadded(data)}

    # -- threads --------------------------------------------------------------------------------------------------
    def threads_list(self, call: Call) -> dict[str, Any]:
        seen: dict[str, StoredMessage] = {}
        for stored in self._search(call):
            seen.setdefault(stored.thread_id, stored)
        threads: list[dict[str, Any]] = []
        for thread_id, newest in seen.items():
            history = max(m.history_id for m in self.mailboxes.thread(call.account, thread_id))
            threads.append({"id": thread_id, "snippet": newest.snippet, "historyId": str(history)})
        return _listing("threads", threads, call)

    def threads_get(self, call: Call) -> dict[str, Any]:
        messages = self.mailboxes.thread(call.account, call.params["id"])
        fmt = call.query.get("format", "full")
        return {
            "id": call.params["id"],
            "historyId": str(max(m.history_id for m in messages)),
            "messages": [shapes.message(m, fmt, call.query.get("metadataHeaders")) for m in messages],
        }

    def _thread_change(self, call: Call, add: list[str], remove: list[str]) -> dict[str, Any]:
        """Relabel every message of a thread but its drafts (which only ever carry DRAFT)."""
        thread = self.mailboxes.thread(call.account, call.params["id"])
        ids = [m.id for m in thread if "DRAFT" not in m.labels]
        updated = {m.id: m for m in self.mailboxes.modify(call.account, ids, add, remove)}
        messages = [updated.get(m.id, m) for m in thread]
        return {
            "id": call.params["id"],
            "historyId": str(max(m.history_id for m in messages)),
            "messages": [shapes.message(m, "minimal") for m in messages],
        }

    def threads_modify(self, call: Call) -> dict[str, Any]:
        body = call.body or {}
        _check_modify(body)
        return self._thread_change(call, body.get("addLabelIds") or [], body.get("removeLabelIds") or [])

    def _thread_trash(self, call: Call, *, trash: bool) -> dict[str, Any]:
        return self._thread_change(call, ["TRASH"], []) if trash else self._thread_change(call, [], ["TRASH"])

    def threads_delete(self, call: Call) -> None:
        ids = [m.id for m in self.mailboxes.thread(call.account, call.params["id"])]
        self.mailboxes.delete(call.account, ids)

    # -- drafts ---------------------------------------------------------------------------------------------------
    def _draft_message(self, call: Call) -> StoredMessage:
        message = (call.body or {}).get("message") or {}
        raw = self._stamped(call.account, self._raw(call, message))
        return self.mailboxes.insert(call.account, raw, ["DRAFT"], thread_id=message.get("threadId"))

    def drafts_create(self, call: Call) -> dict[str, Any]:
        stored = self._draft_message(call)
        draft_id = self.mailboxes.add_draft(call.account, stored.id)
        return {"id": draft_id, "message": shapes.reference(stored) | {"labelIds": stored.labels}}

    def drafts_list(self, call: Call) -> dict[str, Any]:
        drafts = self.mailboxes.drafts(call.account)
        query = call.query.get("q")
        if query:
            matching = {m.id for m in self.mailboxes.search(call.account, query, ["DRAFT"], True)}
            drafts = [(d, m) for d, m in drafts if m.id in matching]
        return _listing("drafts", [{"id": d, "message": shapes.reference(m)} for d, m in drafts], call)

    def drafts_get(self, call: Call) -> dict[str, Any]:
        stored = self.mailboxes.get(call.account, self.mailboxes.draft(call.account, call.params["id"]))
        return {"id": call.params["id"], "message": shapes.message(stored, call.query.get("format", "full"))}

    def drafts_update(self, call: Call) -> dict[str, Any]:
        old = self.mailboxes.draft(call.account, call.params["id"])
        stored = self._draft_message(call)
        self.mailboxes.replace_draft(call.account, call.params["id"], stored.id)
        self.mailboxes.delete(call.account, [old])
        return {"id": call.params["id"], "message": shapes.reference(stored) | {"labelIds": stored.labels}}

    def drafts_send(self, call: Call) -> dict[str, Any]:
        body = call.body or {}
        draft_id = body.get("id")
        if not draft_id:
            raise invalid_argument("Invalid draft: an id is required.")
        message_id = self.mailboxes.draft(call.account, draft_id)
        if body.get("message") or call.media is not None:
            self.drafts_update(Call(call.method, call.caller, {"id": draft_id}, {}, body, call.media))
            message_id = self.mailboxes.draft(call.account, draft_id)
        draft = self.mailboxes.get(call.account, message_id)
        sent = self._send(call.account, draft.raw, draft.thread_id)
        self.mailboxes.drop_draft(call.account, draft_id)
        self.mailboxes.delete(call.account, [draft.id])
        return shapes.message(sent, "minimal")

    def drafts_delete(self, call: Call) -> None:
        message_id = self.mailboxes.draft(call.account, call.params["id"])
        self.mailboxes.drop_draft(call.account, call.params["id"])
        self.mailboxes.delete(call.account, [message_id])

    # -- labels ---------------------------------------------------------------------------------------------------
    def labels_list(self, call: Call) -> dict[str, Any]:
        return {"labels": [shapes.label(row) for row in self.mailboxes.labels(call.account)]}

    def labels_get(self, call: Call) -> dict[str, Any]:
        row = self.mailboxes.label(call.account, call.params["id"])
        return shapes.label(row, self.mailboxes.label_counts(call.account, row["id"]))

    def labels_create(self, call: Call) -> dict[str, Any]:
        return shapes.label(self.mailboxes.create_label(call.account, call.body or {}))

    def labels_patch(self, call: Call) -> dict[str, Any]:
        return shapes.label(self.mailboxes.patch_label(call.account, call.params["id"], call.body or {}))

    def labels_delete(self, call: Call) -> None:
        self.mailboxes.delete_label(call.account, call.params["id"])

    # -- filters --------------------------------------------------------------------------------------------------
    def filters_create(self, call: Call) -> dict[str, Any]:
        known = {str(row["id"]) for row in self.mailboxes.labels(call.account)}
        return self.filters.create(call.account, call.body or {}, known)

    # -- history --------------------------------------------------------------------------------------------------
    def history_list(self, call: Call) -> dict[str, Any]:
        start = call.query.get("startHistoryId")
        if start is None:
            raise invalid_argument("Missing startHistoryId", reason="required")
        token = call.query.get("pageToken")
        after = int(token) if token and str(token).isdigit() else int(start)
        rows, current, oldest = self.mailboxes.history(call.account, after)
        if int(start) < oldest - 1:
            raise not_found()
        kinds = set(call.query.get("historyTypes") or [])
        label = call.query.get("labelId")
        rows = [
            r
            for r in rows
            if (not kinds or r["kind"] in kinds)
            and (label is None or label in json.loads(r["message_labels"]) + json.loads(r["label_ids"]))
        ]
        records = shapes.history(rows)
        size = min(int(call.query.get("maxResults") or _DEFAULT_PAGE), _MAX_PAGE) or _DEFAULT_PAGE
        body: dict[str, Any] = {}
        if records:
            body["history"] = records[:size]
        if len(records) > size:
            body["nextPageToken"] = records[size - 1]["id"]
        body["historyId"] = str(current)
        return body


def _optional(key: str, items: list[Any]) -> dict[str, Any]:
    """A list response whose empty list is left out, as Google's JSON leaves out empty repeated fields."""
    return {key: items} if items else {}


def _check_modify(body: dict[str, Any]) -> None:
    for key in ("addLabelIds", "removeLabelIds"):
        if len(body.get(key) or []) > 100:
            raise invalid_argument(f"Too many labels in {key}: at most 100.")
