"""The floor for `bench/startup.py`: the smallest useful server on the same SDK, one tool over stdio.

Whatever an aide server spends beyond this at start-up is aide's own cost (settings, registry, imports).
"""

from mcp.server import MCPServer

server = MCPServer("floor", version="0.0.0")


@server.tool()
def ping() -> str:
    """Answer "pong"."""
    return "pong"


if __name__ == "__main__":
    server.run()
