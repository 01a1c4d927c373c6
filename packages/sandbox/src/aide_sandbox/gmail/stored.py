"""A stored message as the Gmail store hands it around (one row of `gmail_messages`, minus the search fields)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class StoredMessage:
    id: str
    thread_id: str
    raw: bytes
    internal_ms: int
    history_id: int
    labels: list[str]
    snippet: str

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> StoredMessage:
        return cls(
            row["id"],
            row["thread_id"],
            bytes(row["raw"]),
            row["internal_ms"],
            row["history_id"],
            json.loads(row["labels"]),
            row["snippet"],
        )
