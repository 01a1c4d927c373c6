"""Mailboxes in SQLite: messages (raw MIME plus the fields search and threading read) and history; the label and
draft methods come from `labels.LabelStore` and `drafts.DraftStore`, which share its tables.

Every change takes the mailbox's next history id and writes history records (messageAdded, messageDeleted,
labelAdded, labelRemoved), so `history.list` replays exactly what happened. Threading follows Gmail's rules: a
message joins a thread when it names the thread (`threadId`, for sent and inserted mail) or refers to one of its
messages (`In-Reply-To` / `References`), and in both cases only if the subjects match once `Re:`/`Fwd:` prefixes
are stripped; otherwise it starts a thread whose id is its own.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterable

from aide_sandbox.db import Database
from aide_sandbox.gmail import mime, search
from aide_sandbox.gmail.drafts import DraftStore
from aide_sandbox.gmail.labels import LabelStore
from aide_sandbox.gmail.stored import StoredMessage
from aide_sandbox.google.errors import invalid_argument, not_found

SCHEMA = """
CREATE TABLE IF NOT EXISTS gmail_mailboxes (
    account TEXT PRIMARY KEY REFERENCES accounts (email) ON DELETE CASCADE,
    history_id INTEGER NOT NULL,
    sequence INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS gmail_labels (
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    message_list_visibility TEXT,
    label_list_visibility TEXT,
    color TEXT,
    PRIMARY KEY (account, id)
);
CREATE TABLE IF NOT EXISTS gmail_messages (
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    raw BLOB NOT NULL,
    internal_ms INTEGER NOT NULL,
    history_id INTEGER NOT NULL,
    labels TEXT NOT NULL,
    snippet TEXT NOT NULL,
    sender TEXT NOT NULL,
    recipients TEXT NOT NULL,
    cc TEXT NOT NULL,
    bcc TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    filenames TEXT NOT NULL,
    message_id_header TEXT NOT NULL,
    delivered_to TEXT NOT NULL,
    list_id TEXT NOT NULL,
    PRIMARY KEY (account, id)
);
CREATE INDEX IF NOT EXISTS gmail_messages_thread ON gmail_messages (account, thread_id);
CREATE INDEX IF NOT EXISTS gmail_messages_header ON gmail_messages (account, message_id_header);
CREATE TABLE IF NOT EXISTS gmail_drafts (
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    PRIMARY KEY (account, id)
);
CREATE TABLE IF NOT EXISTS gmail_history (
    account TEXT NOT NULL,
    id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    message_id TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    label_ids TEXT NOT NULL,
    message_labels TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS gmail_history_id ON gmail_history (account, id);
"""

_FIRST_HISTORY_ID = 1000


def subject_key(subject: str) -> str:
    """A subject without reply/forward prefixes, for threading."""
    previous = None
    subject = subject.strip()
    while previous != subject:
        previous = subject
        subject = re.sub(r"^\s*(re|fwd?|aw|sv|wg|tr)\s*(\[\d+\])?\s*:\s*", "", subject, flags=re.I)
    return " ".join(subject.split()).casefold()


class Mailboxes(LabelStore, DraftStore):
    """The Gmail state of every account; each method works inside one transaction."""

    def __init__(self, db: Database, clock: Callable[[], float]) -> None:
        self.db = db
        self.clock = clock

    # -- mailboxes and history ------------------------------------------------------------------------------------
    def create(self, account: str) -> None:
        with self.db.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO gmail_mailboxes VALUES (?, ?, 0)", (account, _FIRST_HISTORY_ID))
            self.create_system_labels(conn, account)

    def exists(self, account: str) -> bool:
        with self.db.transaction() as conn:
            return conn.execute("SELECT 1 FROM gmail_mailboxes WHERE account = ?", (account,)).fetchone() is not None

    def accounts(self) -> list[str]:
        with self.db.transaction() as conn:
            return [r[0] for r in conn.execute("SELECT account FROM gmail_mailboxes ORDER BY account")]

    def history_id(self, conn: sqlite3.Connection, account: str) -> int:
        row = conn.execute("SELECT history_id FROM gmail_mailboxes WHERE account = ?", (account,)).fetchone()
        if row is None:
            raise not_found(f"No mailbox for {account}.")
        return int(row[0])

    def _next_history(self, conn: sqlite3.Connection, account: str) -> int:
        row = conn.execute(
            "UPDATE gmail_mailboxes SET history_id = history_id + 1 WHERE account = ? RETURNING history_id", (account,)
        ).fetchone()
        return int(row[0])

    def _record(
        self,
        conn: sqlite3.Connection,
        account: str,
        history: int,
        kind: str,
        message: StoredMessage,
        label_ids: Iterable[str] = (),
        message_labels: list[str] | None = None,
    ) -> None:
        conn.execute(
            "INSERT INTO gmail_history VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                account,
                history,
                kind,
                message.id,
                message.thread_id,
                json.dumps(list(label_ids)),
                json.dumps(message.labels if message_labels is None else message_labels),
            ),
        )

    def history(self, account: str, start: int) -> tuple[list[sqlite3.Row], int, int]:
        """(records after `start`, the current history id, the oldest id still kept)."""
        with self.db.transaction() as conn:
            current = self.history_id(conn, account)
            rows = conn.execute(
                "SELECT * FROM gmail_history WHERE account = ? AND id > ? ORDER BY id, rowid", (account, start)
            ).fetchall()
            oldest = conn.execute("SELECT MIN(id) FROM gmail_history WHERE account = ?", (account,)).fetchone()[0]
        return rows, current, int(oldest or current)

    # -- messages -------------------------------------------------------------------------------------------------
    def insert(
        self,
        account: str,
        raw: bytes,
        labels: Iterable[str],
        *,
        internal_ms: int | None = None,
        thread_id: str | None = None,
        received: bool = False,
    ) -> StoredMessage:
        """Store a message; `thread_id` is the thread a client asked for, `received` marks arriving mail (threaded
        by its headers alone)."""
        summary = mime.summarize(raw)
        when = internal_ms if internal_ms is not None else int(self.clock() * 1000)
        with self.db.transaction() as conn:
            label_list = self._checked_labels(conn, account, labels, allow_any_system=True)
            history = self._next_history(conn, account)
            sequence = conn.execute(
                "UPDATE gmail_mailboxes SET sequence = sequence + 1 WHERE account = ? RETURNING sequence", (account,)
            ).fetchone()[0]
            message_id = format((when << 20) | (sequence & 0xFFFFF), "x")
            thread = self._thread_for(conn, account, summary, thread_id, received) or message_id
            conn.execute(
                "INSERT INTO gmail_messages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    account,
                    message_id,
                    thread,
                    raw,
                    when,
                    history,
                    json.dumps(label_list),
                    summary.snippet,
                    summary.sender,
                    summary.to,
                    summary.cc,
                    summary.bcc,
                    summary.subject,
                    summary.text,
                    json.dumps(summary.filenames),
                    summary.message_id,
                    summary.delivered_to,
                    summary.list_id,
                ),
            )
            stored = StoredMessage(message_id, thread, raw, when, history, label_list, summary.snippet)
            self._record(conn, account, history, "messageAdded", stored)
            return stored

    def _thread_for(
        self, conn: sqlite3.Connection, account: str, summary: mime.Summary, thread_id: str | None, received: bool
    ) -> str | None:
        if not thread_id and not received:
            return None
        key = subject_key(summary.subject)
        referenced = [summary.in_reply_to, *summary.references]
        for header in reversed([r for r in referenced if r]):
            row = conn.execute(
                "SELECT thread_id, subject FROM gmail_messages WHERE account = ? AND message_id_header = ?",
                (account, header),
            ).fetchone()
            if row is None or subject_key(row["subject"]) != key:
                continue
            if received or row["thread_id"] == thread_id:
                return str(row["thread_id"])
        return None

    def get(self, account: str, message_id: str) -> StoredMessage:
        with self.db.transaction() as conn:
            return self._get(conn, account, message_id)

    def _get(self, conn: sqlite3.Connection, account: str, message_id: str) -> StoredMessage:
        row = conn.execute(
            "SELECT * FROM gmail_messages WHERE account = ? AND id = ?", (account, message_id)
        ).fetchone()
        if row is None:
            raise not_found()
        return StoredMessage.from_row(row)

    def search(self, account: str, query: str, label_ids: list[str], include_spam_trash: bool) -> list[StoredMessage]:
        """Messages matching `q` and carrying every label of `label_ids`, newest first."""
        tree = search.parse(query)
        with self.db.transaction() as conn:
            names = {
                r["id"]: r["name"]
                for r in conn.execute("SELECT id, name FROM gmail_labels WHERE account = ?", (account,))
            }
            rows = conn.execute(
                "SELECT * FROM gmail_messages WHERE account = ? ORDER BY internal_ms DESC, id DESC", (account,)
            ).fetchall()
        matcher = search.Matcher(int(self.clock() * 1000), search.label_resolver(names), account)
        hidden = set() if include_spam_trash else {"TRASH", "SPAM"} - search.named_spam_trash(tree) - set(label_ids)
        found: list[StoredMessage] = []
        for row in rows:
            labels = set(json.loads(row["labels"]))
            if labels & hidden:
                continue
            if not set(label_ids) <= labels:
                continue
            document = search.Document(
                sender=row["sender"],
                to=row["recipients"],
                cc=row["cc"],
                bcc=row["bcc"],
                subject=row["subject"],
                text=row["body_text"],
                labels=labels,
                filenames=json.loads(row["filenames"]),
                internal_ms=row["internal_ms"],
                size=len(row["raw"]),
                message_id=row["message_id_header"],
                delivered_to=row["delivered_to"],
                list_id=row["list_id"],
            )
            if matcher(tree, document):
                found.append(StoredMessage.from_row(row))
        return found

    def modify(self, account: str, message_ids: list[str], add: list[str], remove: list[str]) -> list[StoredMessage]:
        """Relabel messages. A draft's message carries DRAFT and nothing else, so relabelling one is refused (400):
        drafts change through users.drafts."""
        with self.db.transaction() as conn:
            add = self._checked_labels(conn, account, add)
            remove = self._checked_labels(conn, account, remove)
            messages = [self._get(conn, account, mid) for mid in message_ids]
            if any("DRAFT" in m.labels for m in messages) and (add or remove):
                raise invalid_argument("Invalid request: the labels of a draft message cannot be modified.")
            return [self._relabel(conn, account, m, add, remove) for m in messages]

    def _relabel(
        self, conn: sqlite3.Connection, account: str, message: StoredMessage, add: list[str], remove: list[str]
    ) -> StoredMessage:
        current = list(message.labels)
        added = [label for label in dict.fromkeys(add) if label not in current and label not in remove]
        removed = [label for label in dict.fromkeys(remove) if label in current]
        if not added and not removed:
            return message
        labels = [label for label in current if label not in removed] + added
        history = self._next_history(conn, account)
        conn.execute(
            "UPDATE gmail_messages SET labels = ?, history_id = ? WHERE account = ? AND id = ?",
            (json.dumps(labels), history, account, message.id),
        )
        updated = StoredMessage(
            message.id, message.thread_id, message.raw, message.internal_ms, history, labels, message.snippet
        )
        if added:
            self._record(conn, account, history, "labelAdded", updated, added)
        if removed:
            self._record(conn, account, history, "labelRemoved", updated, removed)
        return updated

    def delete(self, account: str, message_ids: list[str]) -> None:
        with self.db.transaction() as conn:
            messages = [self._get(conn, account, mid) for mid in message_ids]
            for message in messages:
                history = self._next_history(conn, account)
                conn.execute("DELETE FROM gmail_messages WHERE account = ? AND id = ?", (account, message.id))
                conn.execute("DELETE FROM gmail_drafts WHERE account = ? AND message_id = ?", (account, message.id))
                self._record(conn, account, history, "messageDeleted", message)

    def thread(self, account: str, thread_id: str) -> list[StoredMessage]:
        with self.db.transaction() as conn:
            rows = conn.execute(
                "SELECT * FROM gmail_messages WHERE account = ? AND thread_id = ? ORDER BY internal_ms, id",
                (account, thread_id),
            ).fetchall()
        if not rows:
            raise not_found()
        return [StoredMessage.from_row(r) for r in rows]

    def counts(self, account: str) -> tuple[int, int]:
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT COUNT(*), COUNT(DISTINCT thread_id) FROM gmail_messages WHERE account = ?", (account,)
            ).fetchone()
        return int(row[0]), int(row[1])
