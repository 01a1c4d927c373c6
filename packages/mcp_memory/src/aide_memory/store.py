"""The memory store: one SQLite file, shared safely by every process that opens it.

Split by job: the connection and write transaction (`connection.py`), the schema and its migrations (`schema.py`),
writes (`writes.py`), typed reads (`reads.py`), keyword search (`lexical.py`), text normalisation (`text.py`) and
filters (`filters.py`). Dense search is `vectors.py`, ranking `recall.py`, embedders `embeddings.py`.
"""

from __future__ import annotations

from aide_memory.connection import BUSY_TIMEOUT_MS, Scope
from aide_memory.reads import Reads, as_datetime, row_to_memory
from aide_memory.schema import CONTEXT_CHARS, MIGRATIONS, SCHEMA_VERSION
from aide_memory.text import near_duplicate, normalise, words
from aide_memory.writes import Writes, new_id

__all__ = [
    "BUSY_TIMEOUT_MS",
    "CONTEXT_CHARS",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "MemoryStore",
    "Scope",
    "as_datetime",
    "near_duplicate",
    "new_id",
    "normalise",
    "row_to_memory",
    "words",
]


class MemoryStore(Reads, Writes):
    """Every read and write of memories, on one SQLite file (see the modules named above)."""
