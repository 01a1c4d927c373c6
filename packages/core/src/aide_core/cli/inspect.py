"""`aide tools` (what each tool costs a model's context, and the prompts each server offers) and `aide call` (one tool
from the shell)."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any, cast

import anyio
import typer
from mcp import Client
from mcp.server.mcpserver import MCPServer
from rich.prompt import Confirm
from rich.table import Table

from aide_core.cli.common import build_servers, console, console_err, one_server, settings_or_exit
from aide_core.errors import ConfigError
from aide_core.paging import estimate_tokens


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


async def _tool_rows(servers: dict[str, MCPServer]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for name, server in servers.items():
        for tool in await server.list_tools():
            description = tool.description or ""
            model_reads = len(tool.name) + len(description.encode()) + len(_compact(tool.input_schema).encode())
            output = len(_compact(tool.output_schema).encode()) if tool.output_schema else 0
            rows.append(
                {
                    "server": name,
                    "tool": tool.name,
                    "description": description.strip().splitlines()[0] if description.strip() else "",
                    "bytes": model_reads,
                    "tokens": estimate_tokens("x" * model_reads),
                    "output_schema_bytes": output,
                    "input_schema": tool.input_schema,
                }
            )
    return rows


async def _prompt_rows(servers: dict[str, MCPServer]) -> list[dict[str, Any]]:
    """The prompts each server lists for this configuration (as a host's slash menu would show them)."""
    rows: list[dict[str, Any]] = []
    for name, server in servers.items():
        for prompt in await server.list_prompts():
            arguments = [
                {"name": a.name, "description": a.description or "", "required": bool(a.required)}
                for a in prompt.arguments or []
            ]
            rows.append(
                {
                    "server": name,
                    "prompt": prompt.name,
                    "title": prompt.title or "",
                    "description": prompt.description or "",
                    "arguments": arguments,
                }
            )
    return rows


async def _rows(servers: dict[str, MCPServer]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return await _tool_rows(servers), await _prompt_rows(servers)


def tools(
    servers: Annotated[list[str] | None, typer.Argument(help="Servers to list (default: all available).")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help='Machine-readable output: {"tools": [...], "prompts": [...]}.')
    ] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="The README's tools and prompts tables.")] = False,
    sandbox: Annotated[bool, typer.Option("--sandbox", help="Against local emulators: no account needed.")] = False,
) -> None:
    """List every tool with the size of what a model reads about it, then the prompts (slash commands) servers
    offer."""
    settings = settings_or_exit(sandbox=sandbox)
    rows, prompts = anyio.run(_rows, build_servers(servers, settings))
    if as_json:
        sys.stdout.write(json.dumps({"tools": rows, "prompts": prompts}, indent=2) + "\n")
        return
    if markdown:
        sys.stdout.write(markdown_table(rows) + "\n" + markdown_prompts(prompts))
        return
    table = Table("server", "tool", "description", "bytes", "≈tokens", "output schema bytes")
    for row in rows:
        table.add_row(
            row["server"],
            row["tool"],
            row["description"],
            str(row["bytes"]),
            str(row["tokens"]),
            str(row["output_schema_bytes"]),
        )
    total = sum(row["bytes"] for row in rows)
    table.caption = f"{len(rows)} tools; a model reads {total} bytes (≈{estimate_tokens('x' * total)} tokens)"
    console.print(table)
    if prompts:
        listed = Table("server", "prompt", "arguments (* required)", "description")
        for prompt in prompts:
            listed.add_row(prompt["server"], prompt["prompt"], _signature(prompt), prompt["description"])
        listed.caption = f"{len(prompts)} prompt{'' if len(prompts) == 1 else 's'}: hosts show them as slash commands"
        console.print(listed)


def _signature(prompt: dict[str, Any]) -> str:
    return ", ".join(f"{a['name']}{'*' if a['required'] else ''}" for a in prompt["arguments"])


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """The README's tools table, generated so that it cannot drift from the servers (a test compares them)."""
    lines = ["| server | tool | what it does | schema bytes (≈tokens) |", "|---|---|---|---|"]
    lines += [
        f"| {row['server']} | `{row['tool']}` | {row['description']} | {row['bytes']} (≈{row['tokens']}) |"
        for row in rows
    ]
    return "\n".join(lines) + "\n"


def markdown_prompts(rows: list[dict[str, Any]]) -> str:
    """The README's prompts table, generated like the tools table."""
    lines = ["| server | prompt | arguments (* required) | what it does |", "|---|---|---|---|"]
    lines += [f"| {row['server']} | `{row['prompt']}` | {_signature(row)} | {row['description']} |" for row in rows]
    return "\n".join(lines) + "\n"


def parse_arguments(pairs: list[str], schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """`key=value` pairs, read by the tool's input schema: a value for a string argument is the text as typed
    (`query=123` searches for "123"); any other value that parses as JSON is passed as JSON (`limit=5`,
    `to='["a@b.c"]'`), and anything else as a string."""
    properties: dict[str, Any] = (schema or {}).get("properties") or {}
    arguments: dict[str, Any] = {}
    for key, raw in split_arguments(pairs):
        if _is_text(properties.get(key)):
            arguments[key] = raw
            continue
        try:
            arguments[key] = json.loads(raw)
        except json.JSONDecodeError:
            arguments[key] = raw
    return arguments


def split_arguments(pairs: list[str]) -> list[tuple[str, str]]:
    """Each `name=value` pair as (name, value); one that is not raises `ConfigError` (exit 2), so that `call` says so
    before it connects to the server rather than from inside the client's task group."""
    split: list[tuple[str, str]] = []
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"each argument is name=value (such as query=invoices), not {pair!r}")
        split.append((key, raw))
    return split


def _is_text(prop: Any) -> bool:
    """Whether a property's schema takes a string only (`{"type": "string"}`, or a string that may be null)."""
    if not isinstance(prop, dict):
        return False
    schema = cast(dict[str, Any], prop)
    kinds: list[Any] = []
    declared: Any = schema.get("type")
    if isinstance(declared, str | list):
        kinds = cast(list[Any], declared) if isinstance(declared, list) else [declared]
    elif isinstance(schema.get("anyOf"), list):
        options = cast(list[Any], schema["anyOf"])
        kinds = [cast(dict[str, Any], option).get("type") for option in options if isinstance(option, dict)]
    return {kind for kind in kinds if kind != "null"} == {"string"}


class _TerminalAnswers:
    """Elicitation from the server (the side-effect guard asking to confirm), asked on the terminal. Without a
    terminal nobody can answer: the preview is shown, the action declined, and `declined` makes the command fail
    (a script must not read "declined" as done), saying to pass --yes."""

    def __init__(self) -> None:
        self.declined = False

    async def __call__(self, context: Any, params: Any) -> Any:
        from mcp.types import ElicitResult

        console_err.print(params.message, markup=False, highlight=False)
        if not sys.stdin.isatty():
            self.declined = True
            return ElicitResult(action="decline")
        agreed = await anyio.to_thread.run_sync(lambda: Confirm.ask("Confirm", console=console_err, default=False))
        return ElicitResult(action="accept", content={"confirm": agreed}) if agreed else ElicitResult(action="decline")


async def _confirm(context: Any, params: Any) -> Any:
    """`--yes`: the confirmation is given by whoever ran the command; the preview is still shown on stderr."""
    from mcp.types import ElicitResult

    console_err.print(params.message, markup=False, highlight=False)
    console_err.print("confirmed (--yes)", highlight=False)
    return ElicitResult(action="accept", content={"confirm": True})


def call(
    server: Annotated[str, typer.Argument(help="Server name, e.g. gmail.")],
    tool: Annotated[str, typer.Argument(help="Tool name, e.g. search_emails.")],
    arguments: Annotated[list[str] | None, typer.Argument(help="key=value arguments.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print only the structured result as JSON.")] = False,
    sandbox: Annotated[bool, typer.Option("--sandbox", help="Against local emulators: no account needed.")] = False,
    yes: Annotated[
        bool, typer.Option("--yes", help="Confirm what the tool asks to confirm (for scripts that decided already).")
    ] = False,
) -> None:
    """Call one tool and print its structured result."""
    split_arguments(arguments or [])
    settings = settings_or_exit(sandbox=sandbox)
    runtime, built = one_server(server, settings)

    answers = _TerminalAnswers()

    async def run() -> Any:
        async with Client(built, elicitation_callback=_confirm if yes else answers) as client:
            listed = {listed.name: listed for listed in (await client.list_tools()).tools}
            if tool not in listed:
                console_err.print(
                    f"aide: {server} has no tool {tool!r} (tools: {', '.join(sorted(listed)) or 'none'})",
                    markup=False,
                    highlight=False,
                )
                return None  # exit outside the client's task group, which would wrap typer.Exit in a group
            return await client.call_tool(tool, parse_arguments(arguments or [], listed[tool].input_schema))

    try:
        result = anyio.run(run)
    finally:
        runtime.close()
    if result is None:
        raise typer.Exit(2)
    if answers.declined:
        console_err.print(
            "aide: confirmation needed but there is no terminal to ask on, so it was declined. Pass --yes to "
            "approve it.",
            markup=False,
            highlight=False,
        )
        raise typer.Exit(1)
    if result.is_error:
        text = " ".join(getattr(block, "text", "") for block in result.content)
        console_err.print(f"aide: {text}", markup=False, highlight=False)
        raise typer.Exit(1)
    payload = result.structured_content
    if payload is None:
        payload = [getattr(block, "text", None) or block.model_dump() for block in result.content]
    if as_json:
        sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")
    else:
        console.print_json(json.dumps(payload, default=str))
