"""aide_core: what every aide MCP server stands on.

Import from the submodules (`aide_core.server`, `aide_core.guard`, ...): this package keeps its import light so that
a stdio server starts as fast as a bare MCP server.
"""

__version__ = "0.1.0"
