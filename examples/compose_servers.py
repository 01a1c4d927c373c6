"""aide's servers composed with a third-party MCP server, in a few lines of library code.

    uv run python examples/compose_servers.py --model openai:gpt-4o-mini

The third-party server here is a small in-file `MCPServer` (a to-do list) standing in for any server you would
spawn over stdio (`stdio("todo", "npx", "some-mcp-server")`), reach over HTTP (`url("todo", "https://…/mcp",
token=…)`) or list in a Claude Desktop `mcpServers` file (`load_mcp_servers(path)`). The model sees every tool as
`server__tool`; the to-do server's `add` is not marked read-only, so the assistant asks `approve` before running it.
"""

from __future__ import annotations

import argparse
import os
import tempfile

import anyio
from mcp.server import MCPServer
from mcp.types import ToolAnnotations

from aide_agent import (
    ApprovalCallback,
    Assistant,
    Model,
    RunResult,
    ServerConfig,
    aide_server,
    ask_on_terminal,
    infer_model,
)
from aide_agent.providers import MissingCredentials

QUESTION = "Add 'book flights' to my to-do list, then tell me what is on it."


def todo_server() -> MCPServer:
    """The stand-in third-party server: its own names, its own annotations."""
    server = MCPServer("todo")
    items: list[str] = []

    @server.tool(annotations=ToolAnnotations(read_only_hint=True))
    def list_items() -> list[str]:
        """Everything on the to-do list."""
        return list(items)

    @server.tool(annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False))
    def add(item: str) -> str:
        """Add an item to the to-do list."""
        items.append(item)
        return f"added {item!r}"

    return server


async def run_demo(model: Model, approve: ApprovalCallback = ask_on_terminal) -> tuple[RunResult, Assistant]:
    servers = [
        aide_server("memory"),
        aide_server("activity"),
        ServerConfig("todo", todo_server(), deny=["delete_*"], timeout=10),
    ]
    async with Assistant(servers, model, approve=approve, learn=None) as assistant:
        result = await assistant.run(QUESTION)
    return result, assistant


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--model", default=os.environ.get("AIDE_AGENT_MODEL", "anthropic:claude-sonnet-4-5"))
    parser.add_argument("--base-url", default=None)
    args = parser.parse_args()
    os.environ.setdefault("AIDE_HOME", tempfile.mkdtemp(prefix="aide-demo-"))
    try:
        model = infer_model(args.model, base_url=args.base_url)
    except MissingCredentials as exc:
        raise SystemExit(f"compose_servers: {exc}") from None  # one line and exit code 1, not a traceback
    result, assistant = anyio.run(run_demo, model)
    print("tools:", ", ".join(info.exposed for info in assistant.toolbox.tools))
    print(result.text)
    print(f"cost: ${result.usage.cost:.4f}; per server: { {k: v.calls for k, v in result.usage.servers.items()} }")


if __name__ == "__main__":
    main()
