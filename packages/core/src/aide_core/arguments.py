"""A tool call's arguments as a model reads its mistakes: one sentence naming each argument and what is allowed.

The SDK validates arguments with the tool's pydantic model and reports a failure in pydantic's own text (several
lines per error, a link to pydantic's docs), and it ignores arguments the tool does not take. A model corrects
itself best from one line that names the argument, says what it must be and quotes what it sent; and an argument
it misspelt (`queyr`) must not pass as if it had been left out. `AideServer.call_tool` applies both.

Hosts that send tools in OpenAI's strict form make every optional argument required-but-nullable, so the model
sends something for each one it leaves out: `null` (`limit: null`), and often `""` or `[]` for text and lists it
means to leave alone (`account: ""`). `as_given` reads those as "not given": a null for an optional property at any
depth, and an empty text or list for an optional argument of the tool itself, so each gets its default instead of
failing validation ("No account named ''"). An empty text is then never a meaningful value of an optional top-level
argument of an aide tool; a server that needs "clear this" says so with a value of its own.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, cast

from pydantic import ValidationError

__all__ = ["as_given", "describe", "unknown_arguments"]

_MAX_QUOTE = 40


def describe(tool: str, error: ValidationError) -> str:
    """`error` as one sentence: `tool: bad arguments: limit must be a valid integer (not 'many'); query is
    required.`"""
    problems: list[str] = []
    for item in error.errors(include_url=False):
        where = ".".join(str(part) for part in item["loc"]) or "the arguments"
        if item["type"] == "missing":
            problems.append(f"{where} is required")
            continue
        message = str(item["msg"])
        if message.startswith("Input should"):
            message = "must" + message[len("Input should") :]
        elif message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        quoted = repr(item.get("input"))
        if len(quoted) > _MAX_QUOTE:
            quoted = quoted[: _MAX_QUOTE - 1] + "…"
        problems.append(f"{where}: {message} (not {quoted})")
    return f"Error executing tool {tool}: bad arguments: {'; '.join(problems)}."


def as_given(arguments: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """`arguments` without what only stands for "not given" (see the module docstring): nulls for optional
    properties at any depth of the tool's input `schema` (`aide_core.strict.without_nulls`), and `""` or `[]` for
    its optional top-level text and list arguments. Required arguments keep whatever they were given."""
    from aide_core.strict import without_nulls

    cleaned = cast(dict[str, Any], without_nulls(dict(arguments), dict(schema)))
    required = set(cast(list[str], schema.get("required") or []))
    return {key: value for key, value in cleaned.items() if key in required or value not in ("", [])}


def unknown_arguments(tool: str, arguments: Mapping[str, Any], known: Collection[str]) -> str | None:
    """The sentence refusing arguments `tool` does not take, or None when there are none."""
    unknown = sorted(name for name in arguments if name not in known)
    if not unknown:
        return None
    names = ", ".join(repr(name[:_MAX_QUOTE]) for name in unknown[:5])
    takes = ", ".join(sorted(known)) or "no arguments"
    plural = "s" if len(unknown) > 1 else ""
    return f"Error executing tool {tool}: unknown argument{plural} {names}; it takes {takes}."
