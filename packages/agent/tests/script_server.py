"""A tiny server run over stdio by the tests: it reports its process id and can be made to die mid-call."""

from __future__ import annotations

import os

from mcp.server import MCPServer
from mcp.types import ToolAnnotations

server = MCPServer("script")
READ = ToolAnnotations(read_only_hint=True, destructive_hint=False)


@server.tool(annotations=READ)
def pid() -> int:
    """This server's process id."""
    return os.getpid()


@server.tool(annotations=READ)
def crash() -> str:
    """End the process without answering."""
    os._exit(3)


if __name__ == "__main__":
    server.run()
