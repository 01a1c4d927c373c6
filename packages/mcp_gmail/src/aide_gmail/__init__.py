"""aide: Gmail MCP server, across several Google accounts.

`spec` is the server (`aide_gmail.server.spec`, registered under the `aide.servers` entry point as "gmail"; run it
with `aide-gmail` or `aide serve gmail`). It is imported on first use, so `import aide_gmail` stays cheap and does no
work: a host that spawns the server over stdio waits for these imports.

Public modules: `server` (`spec`, `main`) and `models` (the tools' output models). The others (`app`, `tools`,
`extended`, `client`, `state`, `message`, `reading`, `outgoing`, `compose`, `text`) are the server's implementation:
reach the server through MCP, not through them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aide_gmail.server import spec

__all__ = ["spec"]


def __getattr__(name: str) -> Any:
    """`spec` on first use (it imports the MCP SDK and Google's client libraries)."""
    if name == "spec":
        from aide_gmail.server import spec

        return spec
    raise AttributeError(f"module 'aide_gmail' has no attribute {name!r}")
