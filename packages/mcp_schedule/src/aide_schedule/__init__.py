"""aide: reminders and scheduled jobs, as an MCP server.

`spec` is the server (`aide_schedule.server.spec`, registered under the `aide.servers` entry point as "schedule";
run it with `aide-schedule` or `aide serve schedule`). It is imported on first use, so `import aide_schedule` stays
cheap and does no work.

The server keeps reminders and the ledger of runs, per user, and says what is due; it acts on nothing itself. The
runner that does the work (`aide schedule run`, in `aide_agent.schedule`) needs a model and the other servers, so it
lives with the agent and reaches this server through MCP only, like any client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aide_schedule.server import spec

__all__ = ["spec"]


def __getattr__(name: str) -> Any:
    """`spec` on first use (it imports the MCP SDK)."""
    if name == "spec":
        from aide_schedule.server import spec

        return spec
    raise AttributeError(f"module 'aide_schedule' has no attribute {name!r}")
