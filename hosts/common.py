"""What every host check does, whichever framework drives the calls: the scenario per server, and the report.

Each host script (`hosts/<host>.py`) runs in its own isolated environment (`uv run --isolated --no-project --with
<the host's packages>`, see `hosts/run.py`), with whatever `mcp` version the host pins, so this module imports the
standard library only. A host script supplies one thing: `open_session(server, transport, connection)`, an async
context manager yielding a `Session` (list the tools, call one) built from that framework's own MCP client and tool
wrappers. `main` runs the scenario of each requested cell (server x transport) on it and prints one JSON line per
cell, which the runner reads.

The scenario per server: list the tools (the expected ones must be there), one read, and one action through the
confirmation token, as a host that cannot elicit does it: the first call returns `confirmation_required` with a
one-time token, the same call with the token acts. Arguments carry a fresh nonce, so a host never meets another
host's idempotency key (which would replay that host's result instead of asking).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Result:
    """One tool call's outcome as the host saw it: the structured data (from structured content, or the JSON of
    the text), the text, and whether the host saw an error."""

    is_error: bool
    data: dict[str, Any] | None = None
    text: str = ""


@dataclass
class Tool:
    name: str
    input_schema: dict[str, Any]
    read_only: bool = False


@dataclass
class Session:
    """What a host script provides: its framework's way to list the tools and to call one."""

    list_tools: Callable[[], Any]  # async () -> list[Tool]
    call: Callable[[str, dict[str, Any]], Any]  # async (name, arguments) -> Result
    notes: list[str] = field(default_factory=list)


OpenSession = Callable[[str, str, dict[str, Any]], AbstractAsyncContextManager[Session]]


class CheckFailed(Exception):
    pass


def parse(text: str) -> dict[str, Any] | None:
    """The JSON object in a tool's text, or None (aide's servers put the structured result's JSON in the text)."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def _need(result: Result, what: str) -> dict[str, Any]:
    expect(not result.is_error, f"{what} failed: {result.text[:300]}")
    expect(result.data is not None, f"{what} gave no structured result: {result.text[:300]}")
    assert result.data is not None
    return result.data


def allows_null(schema: dict[str, Any]) -> bool:
    kinds = schema.get("type")
    if kinds == "null" or (isinstance(kinds, list) and "null" in kinds):
        return True
    return any(allows_null(option) for option in schema.get("anyOf", []) + schema.get("oneOf", []))


def strict_value(schema: dict[str, Any]) -> Any:
    """What a model bound by a strict schema (every property required) sends for an argument it has nothing to say
    about: the default when one is shown, null where null is allowed, else the type's empty value."""
    if "default" in schema:
        return schema["default"]
    if allows_null(schema):
        return None
    kinds = schema.get("type")
    kind = kinds[0] if isinstance(kinds, list) else kinds
    if "enum" in schema:
        return schema["enum"][0]
    if kind in ("integer", "number"):
        return schema.get("minimum", 0)
    return {"string": "", "array": [], "boolean": False, "object": {}}.get(str(kind))


def strict_arguments(input_schema: dict[str, Any], arguments: dict[str, Any]) -> dict[str, Any]:
    """`arguments` completed the way a strict host's model completes them: every top-level property present."""
    properties: dict[str, Any] = input_schema.get("properties") or {}
    return {name: strict_value(prop) for name, prop in properties.items()} | arguments


async def _confirmed(session: Session, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """The guarded call as a host without elicitation makes it: preview and token first, then the call with it."""
    first = _need(await session.call(tool, arguments), f"{tool} (first call)")
    expect(first.get("status") == "confirmation_required", f"{tool} did not ask for confirmation: {first}")
    token = first.get("confirmation_token")
    expect(isinstance(token, str) and bool(token), f"{tool} gave no confirmation_token: {first}")
    done = _need(await session.call(tool, {**arguments, "confirmation_token": token}), f"{tool} (with the token)")
    expect(done.get("status") == "done", f"{tool} with the token did not act: {done}")
    return done


async def _tools(session: Session, wanted: set[str]) -> list[Tool]:
    tools = await session.list_tools()
    missing = wanted - {tool.name for tool in tools}
    expect(not missing, f"tools/list lacks {sorted(missing)}")
    return tools


async def memory_scenario(session: Session) -> str:
    tools = await _tools(session, {"remember", "recall", "forget_memories"})
    nonce = uuid.uuid4().hex[:12]
    items = [{"content": f"hosts check {nonce} likes tea"}]
    stored = _need(await session.call("remember", {"items": items}), "remember")
    memory_id = stored["ids"][0]
    found = _need(await session.call("recall", {"query": f"hosts check {nonce}"}), "recall")
    expect(memory_id in [hit["id"] for hit in found["results"]], f"recall did not find {memory_id}: {found}")
    done = await _confirmed(session, "forget_memories", {"ids": [memory_id]})
    expect(done["result"]["ids"] == [memory_id], f"forget_memories forgot {done['result']} rather than {memory_id}")
    _FORGOT.add(_CELL["transport"])
    return f"{len(tools)} tools; recall found the memory; forget_memories acted with the token"


async def gmail_scenario(session: Session) -> str:
    tools = await _tools(session, {"search_emails", "send_email"})
    found = _need(await session.call("search_emails", {"query": "postmortem"}), "search_emails")
    expect(bool(found["emails"]), f"search_emails found nothing in the sandbox's seed mail: {found}")
    nonce = uuid.uuid4().hex[:12]
    arguments = {"to": ["friend@example.net"], "subject": f"hosts check {nonce}", "body": "Sent by the host check."}
    done = await _confirmed(session, "send_email", arguments)
    expect(bool(done["result"]["id"]), f"send_email gave no message id: {done}")
    return f"{len(tools)} tools; search found {len(found['emails'])}; send_email acted with the token"


async def activity_scenario(session: Session) -> str:
    await _tools(session, {"list_activity"})
    page = _need(await session.call("list_activity", {"server": "memory"}), "list_activity")
    forgets = [a for a in page["actions"] if a["tool"] == "forget_memories" and a["outcome"] == "done"]
    if _CELL["transport"] in _FORGOT:  # memory's forget acted on this same aide (data folder, subject): it is logged
        expect(bool(forgets), f"list_activity does not show the forget that just acted: {page}")
    return f"list_activity shows {len(page['actions'])} memory actions, {len(forgets)} forget(s) done"


#: The transports on which the memory scenario's forget acted, for the activity scenario that runs after it there
#: (stdio: both launched by `aide config claude-desktop`'s commands, one data folder; HTTP and SSE: one server).
_FORGOT: set[str] = set()
_CELL: dict[str, str] = {"transport": ""}

SCENARIOS = {"memory": memory_scenario, "gmail": gmail_scenario, "activity": activity_scenario}

#: The scenario for a server, given its name (None: not this host's to check): async (session) -> what it found.
Scenarios = Callable[[str], Callable[[Session], Awaitable[str]] | None]


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]
    return [exc]


async def run_cell(
    host: str, open_session: OpenSession, scenario: Callable[[Session], Awaitable[str]], server: str, transport: str,
    connection: dict[str, Any],
) -> None:  # fmt: skip
    started = time.monotonic()
    _CELL["transport"] = transport
    try:
        async with open_session(server, transport, connection) as session:
            detail = await scenario(session)
            if session.notes:
                detail += "; " + "; ".join(session.notes)
        ok = True
    except Exception as exc:  # a host's own exception is the finding: report it and go on with the next cell
        leaves = _leaves(exc)  # the clients' task groups wrap what was raised inside them
        failed = [leaf for leaf in leaves if isinstance(leaf, CheckFailed)]
        ok = False
        detail = "; ".join(str(leaf) for leaf in failed) or "; ".join(
            "".join(traceback.format_exception_only(leaf)).strip()[-800:] for leaf in leaves
        )
        if not failed:
            traceback.print_exc(file=sys.stderr)
    report = {"host": host, "server": server, "transport": transport, "ok": ok, "detail": detail}
    report["seconds"] = round(time.monotonic() - started, 2)
    sys.stdout.write(json.dumps(report) + "\n")
    sys.stdout.flush()


def main(
    host: str,
    open_session: OpenSession,
    transports: tuple[str, ...] = ("stdio", "http", "sse"),
    scenarios: Scenarios = SCENARIOS.get,
) -> None:
    """`python hosts/<host>.py --connections FILE [--cells memory:stdio,gmail:http,...]`: run each cell the host
    supports (all of them by default) and print one JSON line per cell."""
    parser = argparse.ArgumentParser(description=f"aide host check: {host}")
    parser.add_argument("--connections", required=True, help="JSON written by hosts/run.py: how to reach each server")
    parser.add_argument("--cells", default="", help="server:transport,... (default: every cell in the file)")
    args = parser.parse_args()
    with open(args.connections, encoding="utf-8") as file:
        connections: dict[str, dict[str, dict[str, Any]]] = json.load(file)
    cells = [tuple(cell.split(":", 1)) for cell in args.cells.split(",") if cell] or [
        (server, transport) for transport, by_server in connections.items() for server in by_server
    ]

    async def run_all() -> None:
        for server, transport in cells:
            scenario = scenarios(server)
            if transport in transports and scenario is not None:
                await run_cell(host, open_session, scenario, server, transport, connections[transport][server])

    asyncio.run(run_all())
