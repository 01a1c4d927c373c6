"""A test's view of one in-process server: `mcp.Client` calls that assert how they went.

Every server package's tests talk to their server through the protocol (`mcp.Client(server)`, in process), and all
of them need the same two shortcuts: a call that must succeed and hands back its structured result, and a call that
must fail and hands back the model-facing text. They live here once rather than in each package's conftest.

`check_tool_schemas` says whether every tool would be accepted by the tool formats models are given tools in
(Anthropic's, OpenAI's strict function calling); every server's tests run it. `fuzz_tools` is the other thing every
server's tests run: each tool called with arguments generated from its input
schema, valid and not, asserting that bad input is always a `ToolError` the model can act on, never a crash or a
hang. It needs the `testing` extra (hypothesis, hypothesis-jsonschema), imported only when it runs: a server
never loads them.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import anyio
from mcp import Client

if TYPE_CHECKING:
    from pathlib import Path

    from starlette.types import ASGIApp


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


class Answers:
    """An elicitation callback for `mcp.Client(elicitation_callback=...)` that answers the guard's confirmations as
    scripted (`ElicitResult`s, in order) and remembers each question, so a test can assert what the user was shown."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.questions: list[str] = []

    async def __call__(self, context: Any, params: Any) -> Any:
        self.questions.append(params.message)
        return self.answers.pop(0)


@asynccontextmanager
async def serving(app: ASGIApp) -> AsyncGenerator[str]:
    """Serve an ASGI app (`aide_core.http.build_app(...)`) with uvicorn on a free loopback port, as `aide serve`
    does; yields the base URL, and stops the server on exit."""
    from aide_core.http import bind_socket, serve

    sock = bind_socket("127.0.0.1", 0)
    async with anyio.create_task_group() as group:
        group.start_soon(serve, app, sock)
        try:
            yield f"http://127.0.0.1:{sock.getsockname()[1]}"
        finally:
            group.cancel_scope.cancel()


@asynccontextmanager
async def connected(url: str, token: str) -> AsyncGenerator[ToolClient]:
    """A `ToolClient` of the server at `url` over streamable HTTP, authenticated as the holder of `token`: how tests
    put two people on one server."""
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"})
    async with http, Client(streamable_http_client(url, http_client=http)) as client:
        yield ToolClient(client)


# -- schema-driven fuzzing ------------------------------------------------------------------------------------------

#: Text no tool may choke on: NUL, header injection, bidi and joiner marks, combining marks alone, long runs. (No
#: lone surrogates: the transports' JSON parser refuses them, so only an in-process client could ever send one.)
EDGE_STRINGS: tuple[str, ...] = (
    "",
    " \t ",
    "\x00",
    "a\x00b",
    "Hello\r\nBcc: attacker@example.com",
    "\r\n\r\n",
    "\u202etxt.exe\u200d\ufeff\u0301",
    "😀" * 64,
    "x" * 300,
    "y" * 20_000,
    "../../etc/passwd",
    "%s %(x)s {0} {x}",
)
#: Timestamps at the ends of what `datetime` holds, where conversions to epoch seconds overflow.
EDGE_DATETIMES: tuple[str, ...] = (
    "0001-01-01T00:00:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59",
    "9999-12-31T23:59:59-14:00",
    "2024-02-30T00:00:00",
    "yesterday",
)
EDGE_NUMBERS: tuple[Any, ...] = (-1, 0, 2**63, -(2**63) - 1, 10**30, 1e308, -1e308, 0.5)
EDGE_OTHERS: tuple[Any, ...] = (None, True, "1", [], {}, ["\x00"], {"\x00": "\r\n"}, ["x"] * 500)


@dataclass(frozen=True)
class FuzzFailure:
    """One call that crashed, hung or answered with an unexpected kind of error."""

    tool: str
    arguments: dict[str, Any]
    problem: str
    traceback: str = ""

    def describe(self) -> str:
        shown = repr(self.arguments)
        shown = shown if len(shown) <= 600 else shown[:600] + "…"
        text = f"{self.tool}({shown}): {self.problem}"
        return f"{text}\n{self.traceback}" if self.traceback else text


@dataclass
class FuzzReport:
    """What `fuzz_tools` tried and what went wrong."""

    calls: dict[str, int] = field(default_factory=lambda: {})
    failures: list[FuzzFailure] = field(default_factory=lambda: [])

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    def assert_clean(self) -> None:
        """Fail with every failing input listed (not just the first), so one run says all there is to fix."""
        if self.failures:
            listing = "\n\n".join(failure.describe() for failure in self.failures)
            raise AssertionError(f"{len(self.failures)} of {self.total_calls} fuzzed calls failed:\n\n{listing}")


async def fuzz_tools(
    client: Client,
    *,
    valid_examples: int = 25,
    junk_examples: int = 10,
    edge_cases: bool = True,
    known: Mapping[str, Sequence[Any]] | None = None,
    fixed: Mapping[str, Any] | None = None,
    bases: Mapping[str, Mapping[str, Any]] | None = None,
    tools: Iterable[str] | None = None,
    call_timeout: float = 10.0,
) -> FuzzReport:
    """Call every tool `client` lists with arguments generated from its input schema, and report each call that
    did not end as a success or a deliberate `ToolError`.

    Per tool: `valid_examples` argument sets that satisfy the schema (hypothesis-jsonschema, so odd unicode, NUL and
    boundary lengths come for free), `junk_examples` sets whose values are arbitrary JSON of any type, and, with
    `edge_cases`, each property in turn set to each of the edge values above (wrong types included), plus the empty
    call and an unknown argument. `known` maps a property name to values that mean something to the server (ids of
    stored objects, real cursors), mixed into the valid examples so that calls also get past "not found"; `fixed`
    maps a property name to a value every call carries. Edge values replace one argument of `bases[tool]` (a call
    known to get far into the tool: a draft with a real recipient) or else of the first valid example, so that they
    reach the code past the first check; each `known` value is tried in the base too. Generation is derandomized,
    so a run is the same every time and in CI.

    A failure is: an "internal error" (an unexpected exception that `aide_core.errors.to_tool_error` hid behind a
    trace id), the SDK's bare "Error executing tool X" (an exception raised outside our wrappers, or a result that
    does not fit the output schema), a protocol error, or no answer within `call_timeout` seconds. Each failure carries
    the traceback that was logged for it.
    """
    from mcp.shared.exceptions import MCPError

    report = FuzzReport()
    wanted = set(tools) if tools is not None else None
    listed = [tool for tool in (await client.list_tools()).tools if wanted is None or tool.name in wanted]
    capture = _TracebackCapture()
    logging.getLogger().addHandler(capture)
    try:
        for tool in listed:
            schema = dict(tool.input_schema)
            cases = _generate(schema, valid_examples, junk_examples, known or {})
            base = dict((bases or {}).get(tool.name) or (cases[0] if cases else {}))
            cases.append(base)
            properties = cast(dict[str, Any], schema.get("properties") or {})
            cases += [
                {**base, name: value}
                for name, values in (known or {}).items()
                if name in properties
                for value in values
            ]
            if edge_cases:
                cases += _edge_cases(schema, base)
            for arguments in cases:
                arguments = {**arguments, **(fixed or {})}
                report.calls[tool.name] = report.calls.get(tool.name, 0) + 1
                capture.records.clear()
                try:
                    with anyio.fail_after(call_timeout):
                        result = await client.call_tool(tool.name, arguments)
                except TimeoutError:
                    report.failures.append(FuzzFailure(tool.name, arguments, f"no answer within {call_timeout} s"))
                    break  # the server may still be busy with it: the next call would only time out too
                except MCPError as exc:
                    report.failures.append(
                        FuzzFailure(tool.name, arguments, f"protocol error: {exc}", capture.tracebacks())
                    )
                    continue
                except Exception as exc:  # the client refused the answer (say, a result outside the output schema)
                    report.failures.append(
                        FuzzFailure(tool.name, arguments, f"the client failed: {exc!r}", capture.tracebacks())
                    )
                    continue
                if not result.is_error:
                    continue
                text = " ".join(getattr(block, "text", "") for block in result.content)
                if "internal error (trace id" in text or text.strip() == f"Error executing tool {tool.name}":
                    report.failures.append(FuzzFailure(tool.name, arguments, text, capture.tracebacks()))
    finally:
        logging.getLogger().removeHandler(capture)
    return report


class _TracebackCapture(logging.Handler):
    """Keeps the records with a traceback logged during the current call (the server logs each crash once)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.records.append(record)

    def tracebacks(self) -> str:
        formatter = logging.Formatter("%(name)s: %(message)s")
        return "\n".join(formatter.format(record) for record in self.records)


def _draw(strategy: Any, count: int) -> list[Any]:
    """`count` values of a hypothesis strategy, the same ones on every run. Drawn through `@given` (not
    `.example()`, which hypothesis reserves for the REPL) with only the generate phase: no shrinking, no database."""
    from hypothesis import HealthCheck, Phase, given, settings

    drawn: list[Any] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=cast(list[HealthCheck], list(HealthCheck)),  # an enum's members, seen as the metaclass
    )
    @given(strategy)
    def collect(value: Any) -> None:
        drawn.append(value)

    collect()
    return drawn


def _generate(
    schema: dict[str, Any], valid: int, junk: int, known: Mapping[str, Sequence[Any]]
) -> list[dict[str, Any]]:
    from hypothesis import strategies as st
    from hypothesis_jsonschema import from_schema  # pyright: ignore[reportUnknownVariableType]  # its JSON type

    properties = cast(dict[str, Any], schema.get("properties") or {})
    required = set(cast(list[str], schema.get("required") or []))
    defs = {key: schema[key] for key in ("$defs", "definitions") if key in schema}

    def value_strategy(name: str, sub: Any) -> Any:
        strategy: Any = from_schema({**cast(dict[str, Any], sub), **defs})  # pyright: ignore[reportUnknownVariableType]
        values = known.get(name)
        return st.one_of(st.sampled_from(list(values)), strategy) if values else strategy

    def arguments(strategies: dict[str, Any]) -> Any:
        return st.fixed_dictionaries(
            {name: s for name, s in strategies.items() if name in required},
            optional={name: s for name, s in strategies.items() if name not in required},
        )

    cases: list[dict[str, Any]] = []
    if valid:
        cases += _draw(arguments({name: value_strategy(name, sub) for name, sub in properties.items()}), valid)
    if junk and properties:

        def nested(inner: Any) -> Any:
            # A named function, not a lambda: hypothesis reads the source to check that `inner` is used, and a lambda
            # inside a call spanning lines is not always found.
            return st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)

        scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
        anything = st.recursive(scalars | st.text(), nested, max_leaves=8)
        cases += _draw(arguments(dict.fromkeys(properties, anything)), junk)
    return cases


def _edge_cases(schema: dict[str, Any], base: dict[str, Any]) -> list[dict[str, Any]]:
    """The empty call, an unknown argument, and each property (and each field of an object inside a list, such as
    the items of a batch) in turn set to each edge value, the others kept from a valid example."""
    properties = cast(dict[str, Any], schema.get("properties") or {})
    cases: list[dict[str, Any]] = [{}, {**base, "unexpected_argument": "\x00"}]
    for name, sub in properties.items():
        cases += [{**base, name: value} for value in _edge_values(sub)]
        items = _resolve(cast(dict[str, Any], sub).get("items"), schema)
        fields = cast(dict[str, Any], items.get("properties") or {})
        given = base.get(name)
        first: Any = cast(list[Any], given)[0] if isinstance(given, list) and given else {}
        if not fields or not isinstance(first, dict):
            continue
        for field_name, field_schema in fields.items():
            cases += [
                {**base, name: [{**cast(dict[str, Any], first), field_name: value}]}
                for value in _edge_values(field_schema)
            ]
    return cases


def _edge_values(schema: Any) -> tuple[Any, ...]:
    values: tuple[Any, ...] = EDGE_STRINGS + EDGE_NUMBERS + EDGE_OTHERS
    return EDGE_DATETIMES + values if "date-time" in json.dumps(schema) else values


def _resolve(sub: Any, root: dict[str, Any]) -> dict[str, Any]:
    """`sub` with a local `$ref` ("#/$defs/Name") followed; {} when it is not an object schema."""
    if not isinstance(sub, dict):
        return {}
    node = cast(dict[str, Any], sub)
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = cast(dict[str, Any], target).get(part, {}) if isinstance(target, dict) else {}
        return cast(dict[str, Any], target) if isinstance(target, dict) else {}
    return node


#: Tool names both OpenAI's function tools and Anthropic's tools accept.
_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
#: Property names every provider's tool format accepts (Gemini's is the narrowest).
_PROPERTY_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_.-]{0,63}$")
#: What OpenAI refuses at the top of a function's parameters, and Anthropic at the top of an input_schema.
_TOP_LEVEL_FORBIDDEN = ("anyOf", "oneOf", "allOf", "not", "enum")


def check_tool_schemas(tools: Iterable[Any], *, open_objects: Mapping[str, str] | None = None) -> list[str]:
    """What would make a host refuse one of `tools` (as `list_tools` returns them), one line each; empty when every
    tool is accepted.

    Checked against both tool formats a model is given tools in: Anthropic's `input_schema` (a JSON Schema 2020-12
    whose top is `type: object`; the Messages API `ToolParam`) and OpenAI's function `parameters` (an object, with
    none of `anyOf`, `oneOf`, `allOf`, `not`, `enum` at its top), tool names of 1-64 letters, digits, `_` or `-`,
    property names every provider accepts, and a schema that validates as JSON Schema. Each tool must also convert
    to OpenAI's strict form (`aide_core.strict.openai_strict`, what aide's agent sends: closed objects, every
    property required, no free-form objects), so a model's arguments are held to the schema; a tool that takes an
    object keyed by the user's own names (a database's properties) cannot, and is named in `open_objects` with the
    reason, which the check then only confirms is still true.
    """
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    from aide_core.strict import openai_strict

    exempt = dict(open_objects or {})
    problems: list[str] = []
    for tool in tools:
        name: str = tool.name
        schema: dict[str, Any] = tool.input_schema
        if not _TOOL_NAME.match(name):
            problems.append(f"{name}: the name is not 1-64 letters, digits, '_' or '-'")
        if schema.get("type") != "object":
            problems.append(f"{name}: the input schema's top is not type: object")
        if forbidden := [key for key in _TOP_LEVEL_FORBIDDEN if key in schema]:
            problems.append(f"{name}: {', '.join(forbidden)} at the top of the input schema")
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            problems.append(f"{name}: not a valid JSON Schema ({exc.message})")
        problems.extend(f"{name}: property name {prop!r} is not accepted" for prop in _property_names(schema))
        strict = openai_strict(schema).strict
        if not strict and name not in exempt:
            problems.append(
                f"{name}: cannot be sent in OpenAI's strict form (an open object or an unsupported keyword)"
            )
        elif strict and name in exempt:
            problems.append(f"{name}: listed in open_objects but converts to strict form; remove it from the list")
    return problems


def _property_names(node: Any) -> list[str]:
    """Property names anywhere in a schema that a provider would refuse."""
    bad: list[str] = []
    if isinstance(node, list):
        for item in cast(list[Any], node):
            bad.extend(_property_names(item))
    elif isinstance(node, dict):
        schema = cast(dict[str, Any], node)
        for key, value in schema.items():
            if key == "properties" and isinstance(value, dict):
                properties = cast(dict[str, Any], value)
                bad.extend(prop for prop in properties if not _PROPERTY_NAME.match(prop))
                for sub in properties.values():
                    bad.extend(_property_names(sub))
            else:
                bad.extend(_property_names(value))
    return bad


async def call_as_strict_hosts_do(
    client: Client, bases: Mapping[str, Mapping[str, Any] | Callable[[], Awaitable[Mapping[str, Any]]]]
) -> list[str]:
    """Call each tool of `bases` (a call known to succeed: its required arguments, or an async function making
    them afresh for a call that cannot repeat, such as correcting a memory) the way hosts that convert schemas to
    OpenAI's strict form call it: with every optional argument present, once as null and once empty (`""` for text,
    `[]` for a list), as a model told "all fields are required" sends them. Each must succeed like the base call;
    the answer lists, one line each, the calls that did not (empty when all did)."""
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    problems: list[str] = []
    for name, make in bases.items():
        tool = tools.get(name)
        if tool is None:
            problems.append(f"{name}: not listed")
            continue
        properties = cast(dict[str, Any], tool.input_schema.get("properties") or {})
        required = set(cast(list[str], tool.input_schema.get("required") or []))
        for label in ("null", "empty"):
            base = dict(await make()) if callable(make) else dict(make)
            optional = [prop for prop in properties if prop not in required and prop not in base]
            if label == "null":
                extra: dict[str, Any] = dict.fromkeys(optional)
            else:
                extra = {prop: value for prop in optional if (value := _empty(properties[prop])) is not None}
            result = await client.call_tool(name, {**base, **extra})
            if result.is_error:
                text = " ".join(getattr(block, "text", "") for block in result.content)
                problems.append(f"{name} with every optional argument {label}: {text[:300]}")
    return problems


def _empty(schema: Any) -> Any:
    """The empty value of a property's type (`""`, `[]`), or None when it has none (or when text must have a form,
    an enum or a format, which `""` would not meet)."""
    if not isinstance(schema, dict):
        return None
    prop = cast(dict[str, Any], schema)
    declared: Any = prop.get("type")
    kinds: list[Any] = cast(list[Any], declared) if isinstance(declared, list) else [declared]
    if "string" in kinds and not {"enum", "format", "pattern"} & set(prop):
        return ""
    if "array" in kinds:
        return []
    return None


_STARTUP = """
import json, sys
import anyio
from aide_core.registry import load_one
from aide_core.settings import load_settings

spec = load_one(sys.argv[1]).spec
server = spec.build(load_settings(check_tables=False))
tools = anyio.run(server.list_tools)
loaded = {name for name in sys.modules} | {name.split(".")[0] for name in sys.modules}
print(json.dumps({
    "loaded": sorted(name for name in json.loads(sys.argv[2]) if name in loaded),
    "tools": sorted(tool.name for tool in tools),
}))
"""


@dataclass(frozen=True)
class Startup:
    """What a fresh interpreter loaded by the time a server answered `tools/list`, among the modules asked about,
    and the tools it listed."""

    loaded: list[str]
    tools: list[str]


def start_fresh(server: str, heavy: Iterable[str], home: Path, config: Path) -> Startup:
    """Build server `server` and list its tools in a fresh interpreter (as `python -m aide_core.launch` does before
    it answers a host), with `AIDE_HOME`/`AIDE_CONFIG` set and no other `AIDE_*` variable; report which of `heavy`
    (modules, or top-level packages) were imported. A stdio host waits for `tools/list`: what a server imports
    before it is start-up time every user pays."""
    import os
    import subprocess
    import sys

    env = {key: value for key, value in os.environ.items() if not key.startswith("AIDE_")}
    env |= {"AIDE_HOME": str(home), "AIDE_CONFIG": str(config)}
    done = subprocess.run(
        [sys.executable, "-c", _STARTUP, server, json.dumps(list(heavy))],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    if done.returncode != 0:
        raise AssertionError(f"{server} did not start: {done.stderr}")
    found = json.loads(done.stdout)
    return Startup(loaded=found["loaded"], tools=found["tools"])
