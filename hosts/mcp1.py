"""Host check: the `mcp` 1.x `ClientSession`, the client most Python hosts embed (stdio, streamable HTTP, SSE)."""

from __future__ import annotations

import sys
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from common import Result, Session, Tool, main, parse
from mcp import ClientSession, StdioServerParameters
from mcp.client.sse import sse_client
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamablehttp_client


@asynccontextmanager
async def open_session(server: str, transport: str, connection: dict[str, Any]):
    async with AsyncExitStack() as stack:
        if transport == "stdio":
            params = StdioServerParameters(
                command=connection["command"], args=connection["args"], env=connection.get("env")
            )
            read, write = await stack.enter_async_context(stdio_client(params))
        elif transport == "http":
            read, write, _ = await stack.enter_async_context(
                streamablehttp_client(connection["url"], headers=connection["headers"])
            )
        else:
            read, write = await stack.enter_async_context(sse_client(connection["url"], headers=connection["headers"]))
        session = await stack.enter_async_context(ClientSession(read, write))
        initialized = await session.initialize()

        async def list_tools() -> list[Tool]:
            listed = await session.list_tools()
            return [
                Tool(t.name, t.inputSchema, bool(t.annotations and t.annotations.readOnlyHint)) for t in listed.tools
            ]

        async def call(name: str, arguments: dict[str, Any]) -> Result:
            result = await session.call_tool(name, arguments)
            text = "".join(getattr(block, "text", "") for block in result.content)
            return Result(result.isError, result.structuredContent or parse(text), text)

        yield Session(list_tools, call, notes=[f"protocol {initialized.protocolVersion}"])


if __name__ == "__main__":
    main("mcp 1.x ClientSession", open_session)
