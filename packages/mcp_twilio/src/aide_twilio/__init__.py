"""aide: Twilio SMS MCP server.

Placeholder package: the issue that builds it has not landed yet, so `aide` reports it as "not available yet".

It has no public names yet. `errors` holds Twilio's `ErrorProfile` (core reads no Twilio error body), loaded by
the server to come at its first call.
"""

__all__: list[str] = []
