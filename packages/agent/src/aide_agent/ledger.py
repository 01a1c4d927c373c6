"""What the assistant used, kept: tokens and cost per person, model, server and day, across runs and processes.

`RunUsage` counts one run in memory; the ledger keeps every run's count in SQLite (`<home>/usage.sqlite3`, through
core's store helper: private file, numbered migrations, one transaction per write), so `aide usage` can say what a
week cost and a daily budget (`Limits(max_cost_per_day=)`) holds across runs and restarts. One row per run for the
model and one per server the run called; each belongs to the person the run acted for.

`Ledger` is the interface the assistant uses (`record`, `spent_since`, `totals`); `UsageLedger` is its SQLite
implementation.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol

from aide_agent.usage import RunUsage
from aide_core.stores import migrate, opened

__all__ = ["Ledger", "Total", "UsageLedger"]

SCHEMA_VERSION = 1
_MIGRATIONS: dict[int, tuple[str, ...]] = {
    0: (
        """CREATE TABLE IF NOT EXISTS usage (
            id INTEGER PRIMARY KEY, at REAL NOT NULL, user TEXT NOT NULL, model TEXT NOT NULL,
            server TEXT NOT NULL DEFAULT '', input_tokens INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0, requests INTEGER NOT NULL DEFAULT 0,
            calls INTEGER NOT NULL DEFAULT 0, seconds REAL NOT NULL DEFAULT 0, cost REAL NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX IF NOT EXISTS usage_by_user ON usage (user, at)",
    ),
}

By = Literal["day", "model", "server", "user"]


@dataclass(frozen=True)
class Total:
    """One row of a summary: the group's key, and what it used."""

    key: str
    requests: int
    input_tokens: int
    output_tokens: int
    calls: int
    cost: float


class Ledger(Protocol):
    def record(self, user: str, model: str, usage: RunUsage, *, at: float | None = None) -> None: ...
    def spent_since(self, user: str, since: float) -> float: ...
    def totals(self, by: By, *, since: float | None = None, user: str | None = None) -> list[Total]: ...


class UsageLedger:
    """The ledger in the SQLite file `path`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        with self._db(autocommit=True) as db:
            migrate(db, self.path, "usage", SCHEMA_VERSION, _MIGRATIONS)

    @contextmanager
    def _db(self, *, autocommit: bool = False) -> Iterator[sqlite3.Connection]:
        with opened(self.path, what="usage", autocommit=autocommit) as db:
            if autocommit:
                yield db
            else:
                with db:
                    yield db

    def record(self, user: str, model: str, usage: RunUsage, *, at: float | None = None) -> None:
        """One run: a row for the model, and one per server it called."""
        when = time.time() if at is None else at
        rows = [(when, user, model, "", usage.model.input_tokens, usage.model.output_tokens, usage.model.requests,
                 0, 0.0, usage.cost - sum(s.cost for s in usage.servers.values()))]  # fmt: skip
        rows += [
            (when, user, model, name, 0, 0, 0, entry.calls, entry.seconds, entry.cost)
            for name, entry in usage.servers.items()
        ]
        with self._db() as db:
            db.executemany(
                "INSERT INTO usage (at, user, model, server, input_tokens, output_tokens, requests, calls, seconds,"
                " cost) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def spent_since(self, user: str, since: float) -> float:
        with self._db() as db:
            (spent,) = db.execute(
                "SELECT COALESCE(SUM(cost), 0) FROM usage WHERE user = ? AND at >= ?", (user, since)
            ).fetchone()
        return float(spent)

    def totals(self, by: By, *, since: float | None = None, user: str | None = None) -> list[Total]:
        """Sums grouped `by` day (UTC), model, server ("model" for the model's own row) or user, largest cost first
        (days newest first)."""
        key = {
            "day": "date(at, 'unixepoch')",
            "model": "model",
            "server": "CASE server WHEN '' THEN '(model)' ELSE server END",
            "user": "user",
        }[by]
        clauses, params = ["1 = 1"], list[object]()
        if since is not None:
            clauses.append("at >= ?")
            params.append(since)
        if user is not None:
            clauses.append("user = ?")
            params.append(user)
        order = "key DESC" if by == "day" else "cost DESC, key"
        with self._db() as db:
            rows = db.execute(
                f"SELECT {key} AS key, SUM(requests), SUM(input_tokens), SUM(output_tokens), SUM(calls), SUM(cost) "
                f"FROM usage WHERE {' AND '.join(clauses)} GROUP BY key ORDER BY {order}",
                params,
            ).fetchall()
        return [Total(str(row[0]), int(row[1]), int(row[2]), int(row[3]), int(row[4]), float(row[5])) for row in rows]


def start_of_day(moment: float) -> float:
    """The start of `moment`'s day in UTC, as a timestamp (what a daily budget counts from)."""
    day = datetime.fromtimestamp(moment, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day.timestamp()
