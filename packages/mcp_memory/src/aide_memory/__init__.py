"""aide: Long-term memory MCP server on SQLite.

Placeholder package: the issue that builds it has not landed yet, so `aide` reports it as "not available yet".
"""
