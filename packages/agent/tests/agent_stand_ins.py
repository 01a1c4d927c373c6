"""Small MCP servers the agent tests compose, each counting what actually ran (asserted on the server side)."""

from __future__ import annotations

from dataclasses import dataclass, field

from mcp.server import MCPServer
from mcp.types import ToolAnnotations

READ = ToolAnnotations(read_only_hint=True, destructive_hint=False)
WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=True)


@dataclass
class Counter:
    calls: list[str] = field(default_factory=list[str])


def notes_server(name: str = "notes", prefix: str = "") -> tuple[MCPServer, Counter]:
    """`search` (read-only) and `delete` (destructive): what a third-party server looks like."""
    server = MCPServer(name)
    counter = Counter()

    @server.tool(annotations=READ)
    def search(query: str) -> str:
        """Search the notes."""
        counter.calls.append(f"search:{query}")
        return f"{prefix}found {query}"

    @server.tool(annotations=WRITE)
    def delete(note_id: str) -> str:
        """Delete a note."""
        counter.calls.append(f"delete:{note_id}")
        return f"deleted {note_id}"

    return server, counter
