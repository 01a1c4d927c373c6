"""Gmail labels of a mailbox: the system set, user labels (create, patch, delete) and the checks Gmail makes.

A mix-in of `store.Mailboxes` (it shares the database and the relabelling that writes history), kept apart so
each module has one job.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from aide_sandbox.db import Database
from aide_sandbox.gmail.stored import StoredMessage
from aide_sandbox.google.errors import GoogleError, invalid_argument, not_found

SYSTEM_LABELS = (
    "INBOX", "SENT", "DRAFT", "TRASH", "SPAM", "STARRED", "IMPORTANT", "UNREAD", "CHAT",
    "CATEGORY_PERSONAL", "CATEGORY_SOCIAL", "CATEGORY_PROMOTIONS", "CATEGORY_UPDATES", "CATEGORY_FORUMS",
)  # fmt: skip
#: System labels a client may add or remove (the others are set by Gmail itself).
_SETTABLE = frozenset({"INBOX", "TRASH", "SPAM", "STARRED", "IMPORTANT", "UNREAD"}) | {
    label for label in SYSTEM_LABELS if label.startswith("CATEGORY_")
}
_HIDDEN_SYSTEM = frozenset({"CHAT"})


def _row(conn: sqlite3.Connection, account: str, label_id: str) -> sqlite3.Row:
    """The label `label_id` of `account`; Google's 404 when there is none."""
    row = conn.execute("SELECT * FROM gmail_labels WHERE account = ? AND id = ?", (account, label_id)).fetchone()
    if row is None:
        raise not_found()
    return row


def _user_label(conn: sqlite3.Connection, account: str, label_id: str, refusal: str) -> sqlite3.Row:
    """The user label `label_id`; 404 when there is none, 400 with `refusal` for a system label."""
    row = _row(conn, account, label_id)
    if row["type"] == "system":
        raise invalid_argument(refusal)
    return row


class LabelStore:
    """Label methods of `Mailboxes`; `_relabel` is the mailbox's (deleting a label takes it off its messages)."""

    db: Database

    def _relabel(
        self, conn: sqlite3.Connection, account: str, message: StoredMessage, add: list[str], remove: list[str]
    ) -> StoredMessage:
        raise NotImplementedError

    def create_system_labels(self, conn: sqlite3.Connection, account: str) -> None:
        for label in SYSTEM_LABELS:
            visibility = "labelHide" if label in _HIDDEN_SYSTEM or label.startswith("CATEGORY_") else "labelShow"
            conn.execute(
                "INSERT OR IGNORE INTO gmail_labels VALUES (?, ?, ?, 'system', NULL, ?, NULL)",
                (account, label, label, visibility if label not in ("INBOX", "SENT", "DRAFT") else None),
            )

    def _checked_labels(
        self, conn: sqlite3.Connection, account: str, labels: Iterable[str], *, allow_any_system: bool = False
    ) -> list[str]:
        known = {r[0] for r in conn.execute("SELECT id FROM gmail_labels WHERE account = ?", (account,))}
        checked: list[str] = []
        for label in labels:
            if label not in known:
                raise invalid_argument(f"Invalid label: {label}")
            if label in SYSTEM_LABELS and label not in _SETTABLE and not allow_any_system:
                raise invalid_argument(f"Invalid label: {label}")
            if label not in checked:
                checked.append(label)
        return checked

    def labels(self, account: str) -> list[sqlite3.Row]:
        with self.db.transaction() as conn:
            return conn.execute(
                "SELECT * FROM gmail_labels WHERE account = ? ORDER BY type DESC, rowid", (account,)
            ).fetchall()

    def label(self, account: str, label_id: str) -> sqlite3.Row:
        with self.db.transaction() as conn:
            return _row(conn, account, label_id)

    def label_counts(self, account: str, label_id: str) -> dict[str, int]:
        with self.db.transaction() as conn:
            rows = conn.execute("SELECT thread_id, labels FROM gmail_messages WHERE account = ?", (account,)).fetchall()
        tagged = [(r["thread_id"], json.loads(r["labels"])) for r in rows if label_id in json.loads(r["labels"])]
        unread = [(t, labels) for t, labels in tagged if "UNREAD" in labels]
        return {
            "messagesTotal": len(tagged),
            "messagesUnread": len(unread),
            "threadsTotal": len({t for t, _ in tagged}),
            "threadsUnread": len({t for t, _ in unread}),
        }

    def create_label(self, account: str, fields: dict[str, object]) -> sqlite3.Row:
        name = str(fields.get("name") or "").strip()
        if not name:
            raise invalid_argument("Invalid label name")
        with self.db.transaction() as conn:
            self._check_name_free(conn, account, name, None)
            number = conn.execute(
                "SELECT COUNT(*) FROM gmail_labels WHERE account = ? AND type = 'user'", (account,)
            ).fetchone()[0]
            label_id = f"Label_{number + 1}"
            while conn.execute(
                "SELECT 1 FROM gmail_labels WHERE account = ? AND id = ?", (account, label_id)
            ).fetchone():
                number += 1
                label_id = f"Label_{number + 1}"
            conn.execute(
                "INSERT INTO gmail_labels VALUES (?, ?, ?, 'user', ?, ?, ?)",
                (
                    account,
                    label_id,
                    name,
                    fields.get("messageListVisibility") or "show",
                    fields.get("labelListVisibility") or "labelShow",
                    json.dumps(fields["color"]) if fields.get("color") else None,
                ),
            )
            return _row(conn, account, label_id)

    def patch_label(self, account: str, label_id: str, fields: dict[str, object]) -> sqlite3.Row:
        with self.db.transaction() as conn:
            row = _user_label(conn, account, label_id, "Invalid update request: system labels cannot be changed.")
            name = str(fields.get("name") or row["name"]).strip()
            self._check_name_free(conn, account, name, label_id)
            conn.execute(
                "UPDATE gmail_labels SET name = ?, message_list_visibility = ?, label_list_visibility = ?, color = ? "
                "WHERE account = ? AND id = ?",
                (
                    name,
                    fields.get("messageListVisibility") or row["message_list_visibility"],
                    fields.get("labelListVisibility") or row["label_list_visibility"],
                    json.dumps(fields["color"]) if fields.get("color") else row["color"],
                    account,
                    label_id,
                ),
            )
            return _row(conn, account, label_id)

    def delete_label(self, account: str, label_id: str) -> None:
        with self.db.transaction() as conn:
            _user_label(conn, account, label_id, "Invalid delete request: system labels cannot be deleted.")
            rows = conn.execute(
                "SELECT * FROM gmail_messages WHERE account = ? AND labels LIKE ?", (account, f'%"{label_id}"%')
            )
            for message in [StoredMessage.from_row(r) for r in rows.fetchall()]:
                self._relabel(conn, account, message, [], [label_id])
            conn.execute("DELETE FROM gmail_labels WHERE account = ? AND id = ?", (account, label_id))

    @staticmethod
    def _check_name_free(conn: sqlite3.Connection, account: str, name: str, own_id: str | None) -> None:
        """Gmail refuses the names of system labels (400) and a name taken by another label in any case (409,
        reason and status `aborted`/`ABORTED`, as its API answers)."""
        if name.upper() in SYSTEM_LABELS or name.upper() == "DRAFTS":
            raise invalid_argument("Invalid label name")
        for row in conn.execute("SELECT id, name FROM gmail_labels WHERE account = ? AND type = 'user'", (account,)):
            if row["id"] != own_id and row["name"].casefold() == name.casefold():
                raise GoogleError(409, "Label name exists or conflicts", "aborted", status="ABORTED")
