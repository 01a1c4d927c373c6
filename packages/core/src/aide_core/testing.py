"""A test's view of one in-process server: `mcp.Client` calls that assert how they went.

Every server package's tests talk to their server through the protocol (`mcp.Client(server)`, in process), and all
of them need the same two shortcuts: a call that must succeed and hands back its structured result, and a call that
must fail and hands back the model-facing text. They live here once rather than in each package's conftest.
"""

from __future__ import annotations

from typing import Any

from mcp import Client


class ToolClient:
    """Wraps a connected `mcp.Client`; subclasses add shortcuts for their own tools."""

    def __init__(self, client: Client) -> None:
        self.client = client

    async def call(self, tool: str, **arguments: Any) -> dict[str, Any]:
        """Call `tool`; it must succeed with structured content, which is returned."""
        result = await self.client.call_tool(tool, arguments)
        assert not result.is_error, result.content
        assert result.structured_content is not None
        return result.structured_content

    async def error(self, tool: str, **arguments: Any) -> str:
        """Call `tool`; it must fail, and the text the model would read is returned."""
        result = await self.client.call_tool(tool, arguments)
        assert result.is_error, result.structured_content
        return " ".join(getattr(block, "text", "") for block in result.content)

    async def tools(self) -> list[str]:
        return [tool.name for tool in (await self.client.list_tools()).tools]
