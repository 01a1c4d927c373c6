"""Moving memories in and out: the reference MCP memory server's JSONL graph, and our own JSON Lines export.

The reference server (`@modelcontextprotocol/server-memory`) keeps one JSON object per line: entities
`{"type": "entity", "name", "entityType", "observations": [...]}` and relations
`{"type": "relation", "from", "to", "relationType"}`. Each observation becomes a memory about its entity, and each
relation a fact, so nothing the user told the old server is lost.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from aide_core.errors import InvalidInput
from aide_memory.models import NewMemory
from aide_memory.store import MemoryStore, Scope, row_to_memory

PERSON_TYPES = {"person", "people", "user", "contact", "friend", "family", "colleague"}


def read_reference_graph(path: Path, *, position: BinaryIO | None = None) -> Iterator[NewMemory]:
    """Memories from the reference server's file; a malformed line stops the import with its line number. With
    `position` (the same file opened in binary), it is kept at the end of the line read so far, for progress."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if position is not None:
                position.seek(len(line.encode()), 1)
            if not line.strip():
                continue
            try:
                record: Any = json.loads(line)
                yield from _from_record(record)
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise InvalidInput(f"{path}:{number}: not a memory-server record ({exc})") from None


def _from_record(record: dict[str, Any]) -> Iterator[NewMemory]:
    kind = record.get("type")
    if kind == "entity":
        name = str(record["name"])
        entity_type = str(record.get("entityType", "thing"))
        category = "person" if entity_type.lower() in PERSON_TYPES else "fact"
        for observation in record.get("observations", []):
            yield NewMemory(
                content=f"{name}: {observation}",
                category=category,
                source="import:reference",
                tags=[entity_type.lower()[:64]],
                metadata={"entity": name, "entity_type": entity_type},
            )
    elif kind == "relation":
        subject, relation, target = str(record["from"]), str(record["relationType"]), str(record["to"])
        yield NewMemory(
            content=f"{subject} {relation.replace('_', ' ')} {target}",
            category="fact",
            source="import:reference",
            tags=["relation"],
            metadata={"from": subject, "relation": relation, "to": target},
        )
    else:
        raise ValueError(f"unknown type {kind!r}")


def batches(items: Iterable[NewMemory], size: int = 100) -> Iterator[list[NewMemory]]:
    batch: list[NewMemory] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def export_lines(store: MemoryStore, scope: Scope, *, history: bool) -> Iterator[str]:
    """One JSON object per memory, oldest first; with `history`, superseded and forgotten versions too."""
    rows = store.rows(scope, order="created_at, rowid", include_superseded=history, include_forgotten=history)
    for row in rows:
        yield row_to_memory(row).model_dump_json()
