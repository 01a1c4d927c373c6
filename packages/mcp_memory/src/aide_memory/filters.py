"""What a recall may be narrowed to (category, tag, source, time range), as SQL for the searches themselves.

The filters run inside the lexical and the dense search, not on their results: a ranked list cut to its best 200
and filtered afterwards loses the one "coffee" preference among 300 "coffee" events.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


def timestamp(moment: datetime | None) -> float | None:
    """Epoch seconds; a naive time is read as UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


@dataclass(frozen=True)
class Filters:
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    since: float | None = None  # about_time (or created_at when it has none) >= since
    until: float | None = None  # ... < until
    include_superseded: bool = False

    @classmethod
    def of(
        cls,
        *,
        categories: Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
        sources: Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        include_superseded: bool = False,
    ) -> Filters:
        return cls(
            tuple(categories or ()),
            tuple(tags or ()),
            tuple(sources or ()),
            timestamp(since),
            timestamp(until),
            include_superseded,
        )

    @property
    def narrows(self) -> bool:
        """True when some current memories of the scope may be left out."""
        return bool(self.categories or self.tags or self.sources or self.since is not None or self.until is not None)

    def sql(self, alias: str = "m") -> tuple[str, list[Any]]:
        """`AND ...` clauses over the memories table under `alias` (never empty: forgotten memories are out)."""
        clauses = [f"{alias}.forgotten_at IS NULL"]
        params: list[Any] = []
        if not self.include_superseded:
            clauses.append(f"{alias}.superseded_by IS NULL")
        if self.categories:
            clauses.append(f"{alias}.category IN ({','.join('?' * len(self.categories))})")
            params += self.categories
        if self.sources:
            clauses.append(f"{alias}.source IN ({','.join('?' * len(self.sources))})")
            params += self.sources
        if self.tags:
            clauses.append(
                f"EXISTS (SELECT 1 FROM json_each({alias}.tags) WHERE value IN ({','.join('?' * len(self.tags))}))"
            )
            params += self.tags
        moment = f"COALESCE({alias}.about_time, {alias}.created_at)"
        if self.since is not None:
            clauses.append(f"{moment} >= ?")
            params.append(self.since)
        if self.until is not None:
            clauses.append(f"{moment} < ?")
            params.append(self.until)
        return " AND " + " AND ".join(clauses), params

    def passes(self, row: dict[str, Any]) -> bool:
        """The same test in Python, for memories that join the ranking without a search (a hit's neighbours)."""
        if row["forgotten_at"] is not None:
            return False
        if row["superseded_by"] is not None and not self.include_superseded:
            return False
        if self.categories and row["category"] not in self.categories:
            return False
        if self.sources and row["source"] not in self.sources:
            return False
        if self.tags and not set(self.tags) & set(json.loads(row["tags"])):
            return False
        moment = row["about_time"] if row["about_time"] is not None else row["created_at"]
        if self.since is not None and moment < self.since:
            return False
        return not (self.until is not None and moment >= self.until)
