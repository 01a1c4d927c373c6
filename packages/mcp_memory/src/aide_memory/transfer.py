"""Moving memories in and out: the reference MCP memory server's JSONL graph, and our own JSON Lines export (a
backup that `aide memory import --from aide` restores with its ids, times and history).

The reference server (`@modelcontextprotocol/server-memory`) keeps one JSON object per line: entities
`{"type": "entity", "name", "entityType", "observations": [...]}` and relations
`{"type": "relation", "from", "to", "relationType"}`. Each observation becomes a memory about its entity, and each
relation a fact, so nothing the user told the old server is lost.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any, BinaryIO

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from aide_core.errors import InvalidInput
from aide_memory.models import (
    MAX_CONTENT_CHARS,
    AboutTime,
    Category,
    NewMemory,
    StoredTime,
    Tags,
    clean_content,
)
from aide_memory.reads import as_datetime, row_fields
from aide_memory.store import MemoryStore, Scope

PERSON_TYPES = {"person", "people", "user", "contact", "friend", "family", "colleague"}


def read_reference_graph(path: Path, *, position: BinaryIO | None = None) -> Iterator[NewMemory]:
    """Memories from the reference server's file; a malformed line stops the import with its line number. With
    `position` (the same file opened in binary), it is kept at the end of the line read so far, for progress."""
    with path.open(encoding="utf-8-sig") as handle:  # a byte-order mark (Windows editors) is not content
        for number, line in enumerate(handle, start=1):
            if position is not None:
                position.seek(len(line.encode()), 1)
            if not line.strip():
                continue
            try:
                record: Any = json.loads(line)
                yield from _from_record(record)
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                what = "cannot be stored" if isinstance(exc, ValidationError) else "not a memory-server record"
                raise InvalidInput(
                    f"{path}:{number}: {what} ({_first_problem(exc)})",
                    hint="Import the reference server's memory.jsonl, or an `aide memory export` file with --from aide",
                ) from None


def _first_problem(exc: Exception) -> str:
    """What is wrong with a line, in one line: a validation error's first complaint (pydantic's own text runs over
    several lines, with a link), or the exception's message."""
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{where}: {first['msg']}" if where else first["msg"]
    return str(exc).replace("\n", " ")


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


# Marks each line of `aide memory export`, so that `import --from aide` knows it reads a backup and of which form.
EXPORT_FORMAT = "aide-memory/1"


class Exported(BaseModel):
    """One memory as `aide memory export` writes it: everything a restore needs, the text exactly as stored (a
    backup is not shown to a model, so nothing is defanged)."""

    model_config = ConfigDict(extra="ignore")

    format: str = EXPORT_FORMAT
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{1,100}$")]  # printable: ids are shown and typed back
    # The same rules as `remember`'s (NewMemory), so a record that passes the file check can be stored, and every
    # time in the UTC range a store can read back: a record that fails comes out at its line before anything is
    # written, not as a half-done import or a store that can no longer be listed.
    content: Annotated[str, Field(min_length=1, max_length=MAX_CONTENT_CHARS), AfterValidator(clean_content)]
    category: Category = "note"
    confidence: Annotated[float, Field(ge=0, le=1)] = 0.8
    source: Annotated[str, Field(max_length=200)] = "conversation"
    source_ref: Annotated[str | None, Field(max_length=500)] = None
    tags: Tags = []
    # Not `remember`'s 4,000-character limit: a memory stored before it came in must restore as it was.
    metadata: dict[str, Any] = {}
    about_time: AboutTime = None
    created_at: StoredTime
    updated_at: StoredTime
    valid_from: StoredTime
    valid_to: StoredTime | None = None
    superseded_by: Annotated[str | None, Field(pattern=r"^[A-Za-z0-9_.:-]{1,100}$")] = None
    forgotten: bool = False
    # When it was forgotten (written since this version; a backup without it restores the last update's time).
    forgotten_at: StoredTime | None = None

    def as_new(self) -> NewMemory:
        # Checked already, as a record; the one rule of NewMemory's it may break is the metadata limit, which a
        # memory stored before it came in may (see `metadata`).
        return NewMemory.model_construct(
            content=self.content,
            category=self.category,
            confidence=self.confidence,
            source=self.source,
            source_ref=self.source_ref,
            tags=self.tags,
            metadata=self.metadata,
            about_time=self.about_time,
        )


def export_lines(store: MemoryStore, scope: Scope, *, history: bool) -> Iterator[str]:
    """One JSON object per memory (`Exported`), oldest first; with `history`, superseded and forgotten versions
    too. `aide memory import --from aide` reads it back."""
    rows = store.rows(scope, order="created_at, rowid", include_superseded=history, include_forgotten=history)
    for row in rows:
        # The text as stored (a backup is not defanged), and not checked again: what the store holds is written
        # out whole, whatever rules came in since (a backup that fails on an old row is no backup).
        record = Exported.model_construct(**row_fields(row), forgotten_at=as_datetime(row["forgotten_at"]))
        yield record.model_dump_json()


def read_export(path: Path, *, position: BinaryIO | None = None) -> Iterator[Exported]:
    """The records of an `aide memory export` file; anything else stops the import at its line, in one sentence."""
    with path.open(encoding="utf-8-sig") as handle:  # a byte-order mark (Windows editors) is not content
        for number, line in enumerate(handle, start=1):
            if position is not None:
                position.seek(len(line.encode()), 1)
            if not line.strip():
                continue
            try:
                record = Exported.model_validate_json(line)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(part) for part in first["loc"]) or "the line"
                raise InvalidInput(
                    f"{path}:{number}: not an aide memory export record ({where}: {first['msg']})",
                    hint="Import a file written by `aide memory export`, or use --from reference.",
                ) from None
            if record.format != EXPORT_FORMAT:
                raise InvalidInput(f"{path}:{number}: export format {record.format!r} is not {EXPORT_FORMAT!r}")
            yield record


def check_backup(records: list[Exported], stored: Callable[[str], bool]) -> None:
    """A backup's records hold together: each id once, and each `superseded_by` naming a record of the file or a
    memory `stored` already. Otherwise a memory would be restored behind a link to nothing, hidden from recall and
    impossible to correct or forget; the import stops before anything is written, naming the id."""
    ids: set[str] = set()
    for record in records:
        if record.id in ids:
            raise InvalidInput(
                f"the backup holds the id {record.id!r} twice", hint="Restore the file `aide memory export` wrote."
            )
        ids.add(record.id)
    for record in records:
        if record.superseded_by and record.superseded_by not in ids and not stored(record.superseded_by):
            raise InvalidInput(
                f"{record.id!r} is superseded by {record.superseded_by!r}, which is neither in the backup nor stored",
                hint="Restore the whole file `aide memory export` wrote (it keeps each memory's history).",
            )
