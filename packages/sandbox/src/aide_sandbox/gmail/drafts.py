"""Gmail drafts of a mailbox: which stored message each draft currently is (a mix-in of `store.Mailboxes`)."""

from __future__ import annotations

from aide_sandbox.db import Database
from aide_sandbox.gmail.stored import StoredMessage
from aide_sandbox.google.errors import not_found


class DraftStore:
    """Draft methods of `Mailboxes`; the draft's message itself is an ordinary stored message labelled DRAFT."""

    db: Database

    def add_draft(self, account: str, message_id: str) -> str:
        with self.db.transaction() as conn:
            draft_id = "r" + str(int(message_id, 16) % 10**19)
            conn.execute("INSERT INTO gmail_drafts VALUES (?, ?, ?)", (account, draft_id, message_id))
            return draft_id

    def draft(self, account: str, draft_id: str) -> str:
        """The message id of a draft."""
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT message_id FROM gmail_drafts WHERE account = ? AND id = ?", (account, draft_id)
            ).fetchone()
        if row is None:
            raise not_found()
        return str(row[0])

    def drafts(self, account: str) -> list[tuple[str, StoredMessage]]:
        with self.db.transaction() as conn:
            rows = conn.execute(
                "SELECT d.id AS draft_id, m.* FROM gmail_drafts d JOIN gmail_messages m "
                "ON m.account = d.account AND m.id = d.message_id WHERE d.account = ? "
                "ORDER BY m.internal_ms DESC, m.id DESC",
                (account,),
            ).fetchall()
        return [(r["draft_id"], StoredMessage.from_row(r)) for r in rows]

    def replace_draft(self, account: str, draft_id: str, message_id: str) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE gmail_drafts SET message_id = ? WHERE account = ? AND id = ?", (message_id, account, draft_id)
            )

    def drop_draft(self, account: str, draft_id: str) -> None:
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM gmail_drafts WHERE account = ? AND id = ?", (account, draft_id))
