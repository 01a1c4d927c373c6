"""Twilio state in SQLite: accounts, their phone numbers (with the inbound webhook URL), messaging services, messages
(the Message resource as JSON plus what the simulator needs), delivery fates of configured numbers, and opt-outs.

Messages are ordered by a sequence number; lists show the newest first, as Twilio's do.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from aide_sandbox.db import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS twilio_accounts (
    sid TEXT PRIMARY KEY,
    auth_token TEXT NOT NULL,
    friendly_name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS twilio_numbers (
    phone_number TEXT PRIMARY KEY,
    account_sid TEXT NOT NULL REFERENCES twilio_accounts (sid) ON DELETE CASCADE,
    sid TEXT NOT NULL,
    sms_url TEXT,
    service_sid TEXT
);
CREATE TABLE IF NOT EXISTS twilio_services (
    sid TEXT PRIMARY KEY,
    account_sid TEXT NOT NULL,
    friendly_name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS twilio_messages (
    sid TEXT PRIMARY KEY,
    account_sid TEXT NOT NULL,
    seq INTEGER NOT NULL,
    status_callback TEXT,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS twilio_fates (
    phone_number TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('failed', 'undelivered')),
    error_code INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS twilio_opt_outs (
    sender TEXT NOT NULL,
    recipient TEXT NOT NULL,
    PRIMARY KEY (sender, recipient)
);
"""

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class Account:
    sid: str
    auth_token: str
    friendly_name: str


@dataclass(frozen=True)
class Number:
    phone_number: str
    account_sid: str
    sid: str
    sms_url: str | None
    service_sid: str | None


@dataclass(frozen=True)
class StoredMessage:
    sid: str
    account_sid: str
    seq: int
    status_callback: str | None
    data: JsonObject


class Messaging:
    """The Twilio emulator's state."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- accounts, numbers, services ------------------------------------------------------------------------------
    def add_account(self, account: Account) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO twilio_accounts VALUES (?, ?, ?)", (account.sid, account.auth_token, account.friendly_name)
            )

    def accounts(self) -> list[Account]:
        with self.db.transaction() as conn:
            return [Account(*row) for row in conn.execute("SELECT * FROM twilio_accounts ORDER BY rowid")]

    def account(self, sid: str) -> Account | None:
        with self.db.transaction() as conn:
            row = conn.execute("SELECT * FROM twilio_accounts WHERE sid = ?", (sid,)).fetchone()
        return Account(*row) if row else None

    def add_number(self, number: Number) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO twilio_numbers VALUES (?, ?, ?, ?, ?)",
                (number.phone_number, number.account_sid, number.sid, number.sms_url, number.service_sid),
            )

    def numbers(self, account_sid: str) -> list[Number]:
        with self.db.transaction() as conn:
            rows = conn.execute(
                "SELECT * FROM twilio_numbers WHERE account_sid = ? ORDER BY rowid", (account_sid,)
            ).fetchall()
        return [Number(*row) for row in rows]

    def number(self, phone_number: str) -> Number | None:
        with self.db.transaction() as conn:
            row = conn.execute("SELECT * FROM twilio_numbers WHERE phone_number = ?", (phone_number,)).fetchone()
        return Number(*row) if row else None

    def set_webhook(self, phone_number: str, url: str | None) -> None:
        with self.db.transaction() as conn:
            changed = conn.execute(
                "UPDATE twilio_numbers SET sms_url = ? WHERE phone_number = ?", (url, phone_number)
            ).rowcount
        if not changed:
            raise KeyError(f"{phone_number} is not a sandbox Twilio number")

    def add_service(self, sid: str, account_sid: str, friendly_name: str) -> None:
        with self.db.transaction() as conn:
            conn.execute("INSERT INTO twilio_services VALUES (?, ?, ?)", (sid, account_sid, friendly_name))

    def service_numbers(self, account_sid: str, service_sid: str) -> list[str] | None:
        """The sender pool of a messaging service of the account (None: no such service)."""
        with self.db.transaction() as conn:
            found = conn.execute(
                "SELECT 1 FROM twilio_services WHERE sid = ? AND account_sid = ?", (service_sid, account_sid)
            ).fetchone()
            if not found:
                return None
            rows = conn.execute(
                "SELECT phone_number FROM twilio_numbers WHERE service_sid = ? ORDER BY rowid", (service_sid,)
            ).fetchall()
        return [row[0] for row in rows]

    # -- messages -------------------------------------------------------------------------------------------------
    def add_message(self, account_sid: str, data: JsonObject, status_callback: str | None) -> JsonObject:
        with self.db.transaction() as conn:
            seq = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM twilio_messages").fetchone()[0]
            conn.execute(
                "INSERT INTO twilio_messages VALUES (?, ?, ?, ?, ?)",
                (data["sid"], account_sid, seq, status_callback, json.dumps(data)),
            )
        return data

    def save_message(self, data: JsonObject) -> JsonObject:
        with self.db.transaction() as conn:
            conn.execute("UPDATE twilio_messages SET data = ? WHERE sid = ?", (json.dumps(data), data["sid"]))
        return data

    def delete_message(self, sid: str) -> None:
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM twilio_messages WHERE sid = ?", (sid,))

    def message(self, account_sid: str, sid: str) -> StoredMessage | None:
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT * FROM twilio_messages WHERE sid = ? AND account_sid = ?", (sid, account_sid)
            ).fetchone()
        return _message(row) if row else None

    def messages(self, account_sid: str | None = None) -> list[StoredMessage]:
        """Newest first."""
        with self.db.transaction() as conn:
            if account_sid is None:
                rows = conn.execute("SELECT * FROM twilio_messages ORDER BY seq DESC").fetchall()
            else:
                rows = conn.execute(
                    "SELECT * FROM twilio_messages WHERE account_sid = ? ORDER BY seq DESC", (account_sid,)
                ).fetchall()
        return [_message(row) for row in rows]

    # -- fates and opt-outs ---------------------------------------------------------------------------------------
    def set_fate(self, phone_number: str, status: str | None, error_code: int = 30003) -> None:
        """Messages to `phone_number` end `failed` or `undelivered` with `error_code` (None: delivered again)."""
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM twilio_fates WHERE phone_number = ?", (phone_number,))
            if status is not None:
                conn.execute("INSERT INTO twilio_fates VALUES (?, ?, ?)", (phone_number, status, error_code))

    def fate(self, phone_number: str) -> tuple[str, int] | None:
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT status, error_code FROM twilio_fates WHERE phone_number = ?", (phone_number,)
            ).fetchone()
        return (row[0], int(row[1])) if row else None

    def opt_out(self, sender: str, recipient: str, opted_out: bool) -> None:
        """`recipient` replied STOP (True) or START (False) to `sender`."""
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM twilio_opt_outs WHERE sender = ? AND recipient = ?", (sender, recipient))
            if opted_out:
                conn.execute("INSERT INTO twilio_opt_outs VALUES (?, ?)", (sender, recipient))

    def opted_out(self, sender: str, recipient: str) -> bool:
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT 1 FROM twilio_opt_outs WHERE sender = ? AND recipient = ?", (sender, recipient)
            ).fetchone()
        return row is not None


def _message(row: sqlite3.Row) -> StoredMessage:
    return StoredMessage(row["sid"], row["account_sid"], row["seq"], row["status_callback"], json.loads(row["data"]))
