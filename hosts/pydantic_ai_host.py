"""Host check: pydantic-ai. An `Agent` over an `MCPToolset` (pydantic-ai V2's MCP client, built on FastMCP's), driven
by pydantic-ai's own `FunctionModel`, so no LLM is needed: each call is a model turn that asks for one tool, and the
tool's return reaches the model as pydantic-ai hands it over. Tool listing is what the model is shown."""

from __future__ import annotations

import importlib.metadata
import json
import sys
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from common import Result, Session, Tool, main, parse
from fastmcp import Client
from fastmcp.client.transports import SSETransport, StdioTransport, StreamableHttpTransport
from pydantic_ai import Agent
from pydantic_ai.mcp import MCPToolset
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    RetryPromptPart,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel


def transport_for(transport: str, connection: dict[str, Any]) -> Any:
    if transport == "stdio":
        return StdioTransport(connection["command"], connection["args"], env=connection.get("env"))
    if transport == "http":
        return StreamableHttpTransport(connection["url"], headers=connection["headers"])
    return SSETransport(connection["url"], headers=connection["headers"])


def as_result(part: ToolReturnPart | RetryPromptPart) -> Result:
    if isinstance(part, RetryPromptPart):  # a tool error: pydantic-ai sends it back to the model as a retry prompt
        return Result(True, None, part.model_response())
    content = part.content
    if isinstance(content, dict):
        return Result(False, content, json.dumps(content))
    text = content if isinstance(content, str) else json.dumps(content, default=str)
    return Result(False, parse(text), text)


@asynccontextmanager
async def open_session(server: str, transport: str, connection: dict[str, Any]):
    toolset = MCPToolset(Client(transport_for(transport, connection)))
    plan: dict[str, Any] = {}

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        plan["tools"] = info.function_tools
        last = messages[-1]
        answers = [p for p in last.parts if isinstance(p, ToolReturnPart | RetryPromptPart)]
        if isinstance(last, ModelRequest) and answers:
            plan["answer"] = answers[0]
            return ModelResponse(parts=[TextPart("done")])
        if "call" not in plan:
            return ModelResponse(parts=[TextPart("nothing to call")])
        name, arguments = plan.pop("call")
        return ModelResponse(parts=[ToolCallPart(name, arguments)])

    agent = Agent(FunctionModel(model), toolsets=[toolset])

    async def list_tools() -> list[Tool]:
        await agent.run("list")
        return [Tool(t.name, t.parameters_json_schema) for t in plan["tools"]]

    async def call(name: str, arguments: dict[str, Any]) -> Result:
        plan["call"] = (name, arguments)
        plan.pop("answer", None)
        await agent.run(f"call {name}")
        assert "answer" in plan, f"pydantic-ai did not return {name}'s result to the model"
        return as_result(plan["answer"])

    async with agent:
        packages = ("pydantic-ai-slim", "fastmcp-slim", "mcp")
        versions = ", ".join(f"{p} {importlib.metadata.version(p)}" for p in packages)
        yield Session(list_tools, call, notes=[versions])


if __name__ == "__main__":
    main("pydantic-ai", open_session)
