"""aide: Notion MCP server, across several workspaces.

`spec` is the server (`aide_notion.server.spec`, registered under the `aide.servers` entry point as "notion"; run it
with `aide-notion` or `aide serve notion`). It is imported on first use, so `import aide_notion` stays cheap and
does no work.

Public modules: `server` (`spec`, `main`), `models` (the tools' output models), `markdown` and `render` (Markdown to
Notion blocks and back), `errors` (Notion's `ErrorProfile`). The others are the server's implementation: reach the
server through MCP, not through them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aide_notion.server import spec

__all__ = ["spec"]


def __getattr__(name: str) -> Any:
    """`spec` on first use (it imports the MCP SDK)."""
    if name == "spec":
        from aide_notion.server import spec

        return spec
    raise AttributeError(f"module 'aide_notion' has no attribute {name!r}")
