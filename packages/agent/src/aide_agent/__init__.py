"""aide: Composes any set of MCP servers with any LLM provider.

Placeholder package: the issue that builds it has not landed yet, so `aide` reports it as "not available yet".
"""
