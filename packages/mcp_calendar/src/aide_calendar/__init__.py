"""aide: Google Calendar and Tasks MCP server.

`spec` is the server (`aide_calendar.server.spec`, registered under the `aide.servers` entry point as "calendar";
run it with `aide-calendar` or `aide serve calendar`). It is imported on first use, so `import aide_calendar` stays
cheap and does no work.

Public modules: `server` (`spec`, `main`), `models` (the tools' output models) and `slots` (the free-slot algorithm,
pure). The others are the server's implementation: reach the server through MCP, not through them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aide_calendar.server import spec

__all__ = ["spec"]


def __getattr__(name: str) -> Any:
    """`spec` on first use (it imports the MCP SDK)."""
    if name == "spec":
        from aide_calendar.server import spec

        return spec
    raise AttributeError(f"module 'aide_calendar' has no attribute {name!r}")
