"""Host check: openai-agents. Its MCP servers (`MCPServerStdio`, `MCPServerStreamableHttp`, `MCPServerSse`) and the
`FunctionTool`s it makes of their tools with strict schema conversion on (what an Agent with
`mcp_config={"convert_schemas_to_strict": True}` hands the model); each call goes through the tool's
`on_invoke_tool` with every property present, as a model bound by the strict schema sends it. No LLM is needed: the
calls are what the model would send."""

from __future__ import annotations

import importlib.metadata
import json
import sys
import uuid
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from agents import Agent, RunContextWrapper
from agents.mcp import MCPServerSse, MCPServerStdio, MCPServerStreamableHttp
from agents.mcp.util import MCPUtil
from agents.tool_context import ToolContext
from common import Result, Session, Tool, main, parse, strict_arguments


def server_for(name: str, transport: str, connection: dict[str, Any]) -> Any:
    timeout = 30  # seconds; the default 5 is short for a first call that starts the sandbox's Google client
    if transport == "stdio":
        params = {"command": connection["command"], "args": connection["args"], "env": connection.get("env")}
        return MCPServerStdio(params, name=name, client_session_timeout_seconds=timeout)
    params = {"url": connection["url"], "headers": connection["headers"]}
    if transport == "http":
        return MCPServerStreamableHttp(params, name=name, client_session_timeout_seconds=timeout)
    return MCPServerSse(params, name=name, client_session_timeout_seconds=timeout)


def output_text(output: Any) -> str:
    if isinstance(output, str):
        return output
    if isinstance(output, list):
        return "".join(item.get("text", "") if isinstance(item, dict) else str(item) for item in output)
    if isinstance(output, dict):
        return output.get("text", json.dumps(output))
    return str(output)


@asynccontextmanager
async def open_session(server: str, transport: str, connection: dict[str, Any]):
    async with server_for(server, transport, connection) as mcp_server:
        agent = Agent(name="hosts-check", mcp_servers=[mcp_server])
        context = RunContextWrapper(context=None)
        tools = {t.name: t for t in await MCPUtil.get_function_tools(mcp_server, True, context, agent)}
        loose = sorted(name for name, tool in tools.items() if not tool.strict_json_schema)

        async def list_tools() -> list[Tool]:
            return [Tool(name, tool.params_json_schema) for name, tool in tools.items()]

        async def call(name: str, arguments: dict[str, Any]) -> Result:
            tool = tools[name]
            sent = json.dumps(strict_arguments(tool.params_json_schema, arguments))
            call_id = uuid.uuid4().hex
            tool_context = ToolContext(context=None, tool_name=name, tool_call_id=call_id, tool_arguments=sent)
            text = output_text(await tool.on_invoke_tool(tool_context, sent))
            data = parse(text)
            return Result(data is None, data, text)  # aide answers JSON; its errors are plain sentences

        notes = ["versions " + ", ".join(f"{p} {importlib.metadata.version(p)}" for p in ("openai-agents", "mcp"))]
        if loose:
            notes.append(f"not strict (openai-agents fell back): {', '.join(loose)}")
        yield Session(list_tools, call, notes=notes)


if __name__ == "__main__":
    main("openai-agents", open_session)
