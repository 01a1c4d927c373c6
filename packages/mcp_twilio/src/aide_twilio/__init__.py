"""aide: Twilio SMS MCP server.

`spec` is the server (`aide_twilio.server.spec`, registered under the `aide.servers` entry point as "twilio"; run it
with `aide-twilio` or `aide serve twilio`). It is imported on first use, so `import aide_twilio` stays cheap and does
no work.

Public modules: `server` (`spec`, `main`), `models` (the tools' output models), `segments` (SMS segment counting)
and `inbound` (the interface of an inbound-message handler). The others are the server's implementation: reach the
server through MCP, not through them. `errors` holds Twilio's `ErrorProfile`, loaded at the first failure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aide_twilio.server import spec

__all__ = ["spec"]


def __getattr__(name: str) -> Any:
    """`spec` on first use (it imports the MCP SDK)."""
    if name == "spec":
        from aide_twilio.server import spec

        return spec
    raise AttributeError(f"module 'aide_twilio' has no attribute {name!r}")
