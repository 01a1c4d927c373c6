"""aide: long-term memory MCP server on SQLite.

`spec` is the server (`aide_memory.server.spec`, registered under the `aide.servers` entry point as "memory"; run it
with `aide-memory` or `aide serve memory`). It is imported on first use, so `import aide_memory` stays cheap and
does no work: a host that spawns the server over stdio waits for these imports.

Public modules: `server` (`spec`, `main`, `MemorySettings`), `models` (what the tools take and return), `store`
(the memory store), `embeddings` (the pluggable embedders) and `transfer` (import and export formats). The others
(`cli`, `recall`, `sketch`, `timeparse`, `vectors`) are implementation: `aide memory ...` and the store use them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aide_memory.server import spec

__all__ = ["spec"]


def __getattr__(name: str) -> Any:
    """`spec` on first use (it imports the MCP SDK, the store and its embedders)."""
    if name == "spec":
        from aide_memory.server import spec

        return spec
    raise AttributeError(f"module 'aide_memory' has no attribute {name!r}")
