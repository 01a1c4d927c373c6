"""aide: Google Calendar MCP server.

Placeholder package: the issue that builds it has not landed yet, so `aide` reports it as "not available yet".
"""
