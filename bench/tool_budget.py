"""What each aide server costs a model's context: the tool definitions a host passes on every turn, and the size of
typical results.

For every available server and tier (default, extended) it builds the server in-process with no account signed in
(so every tool of the tier is listed) and measures, per tool, what a host hands the model: the name, the description
and the input schema as compact JSON (`aide tools` counts the same way), the same with every argument (what someone
with several Google accounts is listed: `account` is left out for one), and beside it the output schema (hosts that
support structured output pass it too). Then, against an in-process sandbox, the size of three typical Gmail
results as the model reads them (the text content of the tool result): a 20-row search, the seed newsletter read
with `read_email`, and the long "Q4 offsite planning" thread read with `read_thread`. Tokens are estimated at four
bytes a token (`aide_core.paging.estimate_tokens`).

    uv run python bench/tool_budget.py [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import anyio
from mcp import Client
from mcp.server.mcpserver import MCPServer

GMAIL_DEFAULT_GOAL = 6000
#: The default tier of each server with a goal (the issues' figure), checked after the table.
DEFAULT_GOALS = {"gmail": GMAIL_DEFAULT_GOAL, "calendar": 6000}


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _tokens(size: int) -> int:
    from aide_core.paging import CHARS_PER_TOKEN

    return (size + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def _model_facing(tools: list[Any]) -> int:
    return sum(
        len(tool.name.encode()) + len((tool.description or "").encode()) + len(_compact(tool.input_schema).encode())
        for tool in tools
    )


async def definitions(server: MCPServer) -> dict[str, Any]:
    tools = await server.list_tools()
    # What someone with several accounts is listed: every argument, none left out for them (the SDK's own
    # listing, under aide's per-caller one). Listed tools only, so the two figures compare the same tools.
    listed = {tool.name for tool in tools}
    every_argument = [tool for tool in await MCPServer.list_tools(server) if tool.name in listed]
    output = sum(len(_compact(tool.output_schema).encode()) for tool in tools if tool.output_schema)
    return {
        "tools": len(tools),
        "bytes": _model_facing(tools),
        "every_argument_bytes": _model_facing(every_argument),
        "output_schema_bytes": output,
    }


async def typical_results(server: MCPServer) -> dict[str, int]:
    def size(result: Any) -> int:
        assert not result.is_error, result.content
        return sum(len(getattr(block, "text", "").encode()) for block in result.content)

    async with Client(server) as client:
        search = await client.call_tool("search_emails", {"query": "", "limit": 20})
        news = await client.call_tool("search_emails", {"query": "from:morningbrief.example", "limit": 1})
        assert news.structured_content is not None
        newsletter = await client.call_tool("read_email", {"id": news.structured_content["emails"][0]["id"]})
        offsite = await client.call_tool("search_emails", {"query": 'subject:"Q4 offsite planning"', "limit": 1})
        assert offsite.structured_content is not None
        thread_id = offsite.structured_content["emails"][0]["thread_id"]
        thread = await client.call_tool("read_thread", {"thread_id": thread_id})
    return {
        "search_emails, 20 rows": size(search),
        "read_email, the seed newsletter": size(newsletter),
        "read_thread, the 10-message offsite thread": size(thread),
    }


async def measure() -> dict[str, Any]:
    from aide_core.registry import discover
    from aide_core.settings import load_settings

    settings = load_settings()
    rows: list[dict[str, Any]] = []
    for name, entry in discover().items():
        if entry.spec is None:
            continue
        for tier in entry.spec.tiers:
            config = entry.spec.settings_model.model_validate({"tier": tier})
            runtime = entry.spec.make_runtime(settings, config)
            rows.append({"server": name, "tier": tier} | await definitions(entry.spec.build(runtime=runtime)))
            runtime.close()

    from aide_gmail.server import spec as gmail
    from aide_sandbox.app import start

    with start() as sandbox:
        config = gmail.settings_model.model_validate(
            {"base_url": sandbox.urls["gmail"], "authorized_user": sandbox.authorized_user()}
        )
        runtime = gmail.make_runtime(settings, config)
        try:
            results = await typical_results(gmail.build(runtime=runtime))
        finally:
            runtime.close()
    return {"definitions": rows, "results": results}


def markdown(data: dict[str, Any]) -> str:
    lines = [
        "| server | tier | tools | model-facing bytes (≈tokens) | with several accounts | output schemas bytes |",
        "|---|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {row['server']} | {row['tier']} | {row['tools']} | {row['bytes']:,} (≈{_tokens(row['bytes']):,}) "
        f"| {row['every_argument_bytes']:,} | {row['output_schema_bytes']:,} |"
        for row in data["definitions"]
    ]
    lines += ["", "| typical Gmail result | bytes (≈tokens) |", "|---|---:|"]
    lines += [f"| {what} | {size:,} (≈{_tokens(size):,}) |" for what, size in data["results"].items()]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description="The model-facing size of each server's tools and typical results.")
    parser.add_argument("--json", type=Path, help="Also write the figures as JSON here.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aide-budget-") as home:
        os.environ["AIDE_HOME"] = home  # no account signed in, no user configuration
        os.environ["AIDE_CONFIG"] = str(Path(home) / "config.toml")
        os.environ["AIDE_CREDENTIAL_BACKEND"] = "file"
        data = anyio.run(measure)
    sys.stdout.write(markdown(data))
    for server, goal in DEFAULT_GOALS.items():
        row = next((r for r in data["definitions"] if r["server"] == server and r["tier"] == "default"), None)
        if row is not None:
            verdict = "met" if row["bytes"] < goal else "not met"
            sys.stdout.write(f"\nGoal: {server}'s default tier under {goal:,} bytes: {verdict}.\n")
    if args.json:
        args.json.write_text(json.dumps(data, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
