"""Strict hosts' view of every server, in openai-agents' own environment.

1. Every tool's input schema goes through `agents.strict_schema.ensure_strict_json_schema`, exactly as
   openai-agents' `MCPUtil.to_function_tool` calls it with `convert_schemas_to_strict=True`. A tool it cannot convert
   is sent to the model non-strict (openai-agents falls back quietly): that fails the check unless
   `hosts/strict-expected.txt` lists the tool with its reason; a listed tool that now converts fails too (stale).
2. Every read-only tool (`readOnlyHint`) is called twice with every argument present: once with what a model bound
   by the strict schema sends for the optional ones when it has nothing to say (the default, null, or the type's
   empty value), once with plausible values of the right type. Each call must succeed or fail with a clear ToolError
   about a value that is legitimately not there (an id this check made up); a validation error, an internal
   error or any other refusal fails.

Reached over streamable HTTP with openai-agents' `MCPServerStreamableHttp`.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import sys
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from agents.mcp import MCPServerStreamableHttp
from agents.strict_schema import ensure_strict_json_schema
from common import CheckFailed, Result, Session, Tool, main, parse, strict_arguments

EXPECTED = Path(__file__).with_name("strict-expected.txt")

#: What a made-up id may legitimately get: the server's own "not there" answer.
NOT_THERE = re.compile(
    r"not found|no such|does not exist|doesn't exist|unknown|has no |"
    r"no (?:memory|message|event|task|page|database|calendar|list|account)|not one of|nothing (?:was )?found",
    re.IGNORECASE,
)
#: What no made-up value may cause.
BROKEN = re.compile(r"internal error|validation error|input should|traceback|field required", re.IGNORECASE)

#: Plausible text by argument name (a made-up id is fine: the answer is "not found").
BY_NAME = {
    "query": "postmortem",
    "cursor": "",  # a model has no cursor before a first page: it sends the empty value (a made-up one is refused)
    "account": "default",
    "email": "friend@example.net",
    "phone": "+14155550100",
    "number": "+14155550100",
    "to": "+14155550100",
    "timezone": "Europe/Paris",
    "time_zone": "Europe/Paris",
    "zone": "Europe/Paris",
    "category": "note",
    "calendar": "primary",
    "calendar_id": "primary",
    "list": "all",
    "attendee": "friend@example.net",
    "sid": "SM" + "0" * 32,
}
#: Plausible text by what the description asks for.
BY_DESCRIPTION = {"HH:MM-HH:MM": "09:00-17:00", "HH:MM": "09:00", "Mon..": "Sat"}
#: Arguments that are a date (or a phrase for one), and how many days from today.
DATES = {"start": 0, "since": -7, "due_after": -7, "end": 7, "until": 7, "due_before": 7}
CANDIDATES = ("note", "a", "abc", "+14155550100", "friend@example.net", "2026-12-07", "primary", "1")


def expected() -> dict[tuple[str, str], str]:
    """`server tool  # reason` lines; every entry needs its reason."""
    entries: dict[tuple[str, str], str] = {}
    for number, line in enumerate(EXPECTED.read_text(encoding="utf-8").splitlines(), 1):
        entry, _, reason = line.partition("#")
        if not entry.strip():
            continue
        parts = entry.split()
        if len(parts) != 2 or not reason.strip():
            raise SystemExit(f"{EXPECTED}:{number}: not 'server tool  # reason'")
        entries[(parts[0], parts[1])] = reason.strip()
    return entries


def resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def plausible(name: str, schema: dict[str, Any], root: dict[str, Any]) -> Any:
    """A value of the right type that a model might send for `name`."""
    schema = resolve(schema, root)
    options = [o for o in schema.get("anyOf", []) + schema.get("oneOf", []) if resolve(o, root).get("type") != "null"]
    if options:
        return plausible(name, options[0], root)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return next(value for value in schema["enum"] if value is not None)
    kinds = schema.get("type")
    kind = next((k for k in kinds if k != "null"), None) if isinstance(kinds, list) else kinds
    now = dt.datetime.now(dt.UTC)
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "date-time":
            return now.replace(microsecond=0).isoformat().replace("+00:00", "Z")
        if fmt == "date":
            return now.date().isoformat()
        if fmt == "email":
            return "friend@example.net"
        hint = next((v for k, v in BY_DESCRIPTION.items() if k in schema.get("description", "")), None)
        if name in DATES:
            value = (now + dt.timedelta(days=DATES[name])).date().isoformat()
        elif name in BY_NAME or hint:
            value = BY_NAME.get(name, hint or "")
        elif name == "id" or name.endswith("_id"):
            value = "0123456789abcdef0123456789abcdef"  # a well-formed id that no service has
        else:
            value = "hosts check"
        if pattern := schema.get("pattern"):
            value = next((c for c in (value, *CANDIDATES) if re.search(pattern, c)), value)
        return value
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1)
        value = max(low, 1)
        return min(value, schema["maximum"]) if "maximum" in schema else value
    if kind == "boolean":
        return True
    if kind == "array":
        items = resolve(schema.get("items", {}), root)
        if "description" not in items and "description" in schema:
            items = {**items, "description": schema["description"]}  # "Mon.. or dates." is said of the list
        item = plausible(name.removesuffix("s"), items, root)
        return [item] if item is not None else []
    if kind == "object":
        properties: dict[str, Any] = schema.get("properties") or {}
        return {key: plausible(key, prop, root) for key, prop in properties.items()}
    return None


def arguments_for(tool: Tool, how: str) -> dict[str, Any]:
    schema = tool.input_schema
    properties: dict[str, Any] = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    given = {name: plausible(name, properties[name], schema) for name in required}
    if how == "strict":
        return strict_arguments(schema, given)
    return {name: plausible(name, prop, schema) for name, prop in properties.items()} | given


def judge(result: Result) -> str | None:
    """None when the call is acceptable; else why not."""
    if not result.is_error:
        return None
    if BROKEN.search(result.text) or not NOT_THERE.search(result.text):
        return result.text[:300]
    return None


async def strict_scenario(server: str, session: Session, excused: dict[tuple[str, str], str]) -> str:
    tools = await session.list_tools()
    problems: list[str] = []
    loose: list[str] = []
    for tool in tools:
        try:
            ensure_strict_json_schema(copy.deepcopy(tool.input_schema), _reject_open_objects=tool.input_schema != {})
            converts = True
        except Exception as exc:
            converts = False
            if (server, tool.name) not in excused:
                problems.append(f"{tool.name}: openai-agents cannot make it strict ({exc})")
            loose.append(tool.name)
        if converts and (server, tool.name) in excused:
            problems.append(f"{tool.name}: listed in {EXPECTED.name} but converts to strict now; remove the entry")
    called = 0
    not_there: list[str] = []
    for tool in tools:
        if not tool.read_only:
            continue
        for how in ("strict", "plausible"):
            arguments = arguments_for(tool, how)
            result = await session.call(tool.name, arguments)
            why = judge(result)
            called += 1
            if why:
                problems.append(f"{tool.name} ({how} arguments {arguments}): {why}")
            elif result.is_error:
                not_there.append(f"{tool.name} ({how}): {result.text[:80]}")
    if problems:
        raise CheckFailed("; ".join(problems))
    excused_here = f"; non-strict as listed: {', '.join(loose)}" if loose else ""
    answers = f" ({len(not_there)} answered 'not there': {'; '.join(not_there)})" if not_there else ""
    return f"{len(tools)} schemas through ensure_strict_json_schema; {called} read-only calls{answers}{excused_here}"


def field(value: Any, name: str, camel: str) -> Any:
    """A field of an `mcp` type by its 2.x name or its 1.x alias (openai-agents takes either major version)."""
    return getattr(value, name) if hasattr(value, name) else getattr(value, camel)


def read_only(tool: Any) -> bool:
    annotations = tool.annotations
    return bool(annotations and field(annotations, "read_only_hint", "readOnlyHint"))


@asynccontextmanager
async def open_session(server: str, transport: str, connection: dict[str, Any]):
    params = {"url": connection["url"], "headers": connection["headers"]}
    async with MCPServerStreamableHttp(params, name=server, client_session_timeout_seconds=30) as mcp_server:

        async def list_tools() -> list[Tool]:
            listed = await mcp_server.list_tools()
            return [Tool(t.name, field(t, "input_schema", "inputSchema"), read_only(t)) for t in listed]

        async def call(name: str, arguments: dict[str, Any]) -> Result:
            result = await mcp_server.call_tool(name, arguments)
            text = "".join(getattr(block, "text", "") for block in result.content)
            structured = field(result, "structured_content", "structuredContent")
            return Result(bool(field(result, "is_error", "isError")), structured or parse(text), text)

        yield Session(list_tools, call)


if __name__ == "__main__":
    excused = expected()

    def scenario_for(server: str) -> Any:
        async def scenario(session: Session) -> str:
            return await strict_scenario(server, session, excused)

        return scenario

    main("strict (openai-agents)", open_session, transports=("http",), scenarios=scenario_for)
