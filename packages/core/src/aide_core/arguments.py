"""A tool call's arguments as a model reads its mistakes: one sentence naming each argument and what is allowed.

The SDK validates arguments with the tool's pydantic model and reports a failure in pydantic's own text (several
lines per error, a link to pydantic's docs), and it ignores arguments the tool does not take. A model corrects
itself best from one line that names the argument, says what it must be and quotes what it sent; and an argument
it misspelt (`queyr`) must not pass as if it had been left out. `AideServer.call_tool` applies both.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from pydantic import ValidationError

__all__ = ["describe", "unknown_arguments"]

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


def unknown_arguments(tool: str, arguments: Mapping[str, Any], known: Collection[str]) -> str | None:
    """The sentence refusing arguments `tool` does not take, or None when there are none."""
    unknown = sorted(name for name in arguments if name not in known)
    if not unknown:
        return None
    names = ", ".join(repr(name[:_MAX_QUOTE]) for name in unknown[:5])
    takes = ", ".join(sorted(known)) or "no arguments"
    plural = "s" if len(unknown) > 1 else ""
    return f"Error executing tool {tool}: unknown argument{plural} {names}; it takes {takes}."
