"""Host check: langchain-mcp-adapters. A `MultiServerMCPClient` session, the LangChain tools `load_mcp_tools` makes of
it, and each call as an agent makes it: a tool call handed to the tool, which answers with a `ToolMessage` (content
for the model, structured content as its artifact, status "error" for a tool error)."""

from __future__ import annotations

import importlib.metadata
import json
import sys
import uuid
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from common import Result, Session, Tool, main, parse
from langchain_mcp_adapters.client import MultiServerMCPClient
from langchain_mcp_adapters.tools import load_mcp_tools


def connection_for(transport: str, connection: dict[str, Any]) -> dict[str, Any]:
    if transport == "stdio":
        return {"transport": "stdio", "command": connection["command"], "args": connection["args"]} | (
            {"env": connection["env"]} if connection.get("env") else {}
        )
    kind = "streamable_http" if transport == "http" else "sse"
    return {"transport": kind, "url": connection["url"], "headers": connection["headers"]}


def content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(block.get("text", "") if isinstance(block, dict) else str(block) for block in content)


@asynccontextmanager
async def open_session(server: str, transport: str, connection: dict[str, Any]):
    client = MultiServerMCPClient({server: connection_for(transport, connection)})  # type: ignore[dict-item]
    async with client.session(server) as mcp_session:
        tools = {tool.name: tool for tool in await load_mcp_tools(mcp_session)}

        async def list_tools() -> list[Tool]:
            return [Tool(name, t.args_schema if isinstance(t.args_schema, dict) else {}) for name, t in tools.items()]

        async def call(name: str, arguments: dict[str, Any]) -> Result:
            call = {"type": "tool_call", "name": name, "args": arguments, "id": uuid.uuid4().hex}
            message = await tools[name].ainvoke(call)
            text = content_text(message.content)
            artifact = getattr(message, "artifact", None)
            structured = artifact.get("structured_content") if isinstance(artifact, dict) else None
            return Result(message.status == "error", structured or parse(text), text or json.dumps(structured))

        versions = ", ".join(f"{p} {importlib.metadata.version(p)}" for p in ("langchain-mcp-adapters", "mcp"))
        yield Session(list_tools, call, notes=[versions])


if __name__ == "__main__":
    main("langchain-mcp-adapters", open_session)
