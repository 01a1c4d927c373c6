"""aide: Google Calendar MCP server.

Placeholder package: the issue that builds it has not landed yet, so `aide` reports it as "not available yet".

It has no public names and no modules yet.
"""

__all__: list[str] = []
