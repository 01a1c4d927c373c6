"""Gmail's `users.settings.filters` (list, get, create, delete) and their effect on mail that arrives afterwards.

A filter's criteria are read as the search query Gmail's own UI shows for them (`from:(…) to:(…) subject:(…)
query -{negatedQuery} has:attachment larger:N`), so a filter matches exactly what that search would find, through
the same parser and matcher. Only arriving mail is filtered (delivery between sandbox accounts), as in Gmail,
where filters never run on mail a client inserts or on mail already there. `addLabelIds` and `removeLabelIds` are
applied (removing INBOX is "skip the inbox"); `forward` is stored but not carried out (the sandbox has no
forwarding addresses to verify).
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from typing import Any

from aide_sandbox.db import Database
from aide_sandbox.gmail import mime, search
from aide_sandbox.google.errors import invalid_argument, not_found

SCHEMA = """
CREATE TABLE IF NOT EXISTS gmail_filters (
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    criteria TEXT NOT NULL,
    action TEXT NOT NULL,
    PRIMARY KEY (account, id)
);
"""

_CRITERIA = frozenset(
    {"from", "to", "subject", "query", "negatedQuery", "hasAttachment", "excludeChats", "size", "sizeComparison"}
)
_ACTIONS = frozenset({"addLabelIds", "removeLabelIds", "forward"})


def criteria_query(criteria: dict[str, Any]) -> str:
    """The search query that finds what `criteria` match."""
    terms = [f"{key}:({criteria[key]})" for key in ("from", "to", "subject") if criteria.get(key)]
    if criteria.get("query"):
        terms.append(f"({criteria['query']})")
    if criteria.get("negatedQuery"):
        terms.append(f"-({criteria['negatedQuery']})")
    if criteria.get("hasAttachment"):
        terms.append("has:attachment")
    if criteria.get("size") and criteria.get("sizeComparison") in ("larger", "smaller"):
        terms.append(f"{criteria['sizeComparison']}:{int(criteria['size'])}")
    return " ".join(terms)


def _shape(row: sqlite3.Row) -> dict[str, Any]:
    return {"id": row["id"], "criteria": json.loads(row["criteria"]), "action": json.loads(row["action"])}


class Filters:
    """The filters of every mailbox."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def list(self, account: str) -> list[dict[str, Any]]:
        with self.db.transaction() as conn:
            rows = conn.execute("SELECT * FROM gmail_filters WHERE account = ? ORDER BY rowid", (account,))
            return [_shape(r) for r in rows.fetchall()]

    def get(self, account: str, filter_id: str) -> dict[str, Any]:
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT * FROM gmail_filters WHERE account = ? AND id = ?", (account, filter_id)
            ).fetchone()
        if row is None:
            raise not_found("Filter not found")
        return _shape(row)

    def create(self, account: str, body: dict[str, Any], known_labels: set[str]) -> dict[str, Any]:
        """Store a filter; Gmail's 400s for empty criteria or action and for unknown labels."""
        criteria = {k: v for k, v in (body.get("criteria") or {}).items() if k in _CRITERIA and v not in (None, "")}
        action = {k: v for k, v in (body.get("action") or {}).items() if k in _ACTIONS and v}
        if not criteria or not {k for k in criteria if k not in ("sizeComparison", "excludeChats")}:
            raise invalid_argument("Filter doesn't have any criteria")
        if not action:
            raise invalid_argument("Filter doesn't have any actions")
        for label in [*action.get("addLabelIds", []), *action.get("removeLabelIds", [])]:
            if label not in known_labels:
                raise invalid_argument(f"Invalid label {label} in AddLabelIds or RemoveLabelIds")
        filter_id = "ANe1Bm" + secrets.token_urlsafe(18)
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO gmail_filters VALUES (?, ?, ?, ?)",
                (account, filter_id, json.dumps(criteria), json.dumps(action)),
            )
        return {"id": filter_id, "criteria": criteria, "action": action}

    def delete(self, account: str, filter_id: str) -> None:
        with self.db.transaction() as conn:
            deleted = conn.execute("DELETE FROM gmail_filters WHERE account = ? AND id = ?", (account, filter_id))
            if deleted.rowcount == 0:
                raise not_found("Filter not found")

    def labels_for(self, account: str, raw: bytes, labels: list[str], now_ms: int) -> list[str]:
        """The labels arriving mail gets once every matching filter has acted on `labels`."""
        document = search.document_of(mime.summarize(raw), set(labels), now_ms, len(raw))
        result = list(labels)
        for found in self.list(account):
            tree = search.parse(criteria_query(found["criteria"]))
            if tree is None or not search.Matcher(now_ms, lambda _: set(), account)(tree, document):
                continue
            action = found["action"]
            result = [label for label in result if label not in action.get("removeLabelIds", [])]
            result += [label for label in action.get("addLabelIds", []) if label not in result]
        return result
