"""Approval: what the assistant asks the user before a tool acts on the world, and how a server's own questions
(MCP elicitation) reach the user through the same callback.

A call needs approval when its tool is marked destructive, or is not marked read-only (no annotation counts as "may
write"), and its server is not configured as trusted. The callback answers; with no callback the answer is no, so
a library user who wires nothing gets an assistant that cannot act on the world without them.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from mcp_types import ToolAnnotations


@dataclass(frozen=True)
class ApprovalRequest:
    """One question for the user.

    kind "tool": may the assistant run `server`'s `tool` with `arguments`? kind "elicitation": `server` asks
    `message` (while running `tool`, when known), wanting a form matching `schema`.
    """

    kind: Literal["tool", "elicitation"]
    server: str
    message: str
    tool: str | None = None
    arguments: dict[str, Any] = field(default_factory=dict[str, Any])
    schema: dict[str, Any] | None = None


#: The answer: True/False, or for an elicitation the form's content (a dict) to accept with.
Answer = bool | dict[str, Any]
ApprovalCallback = Callable[[ApprovalRequest], Answer | Awaitable[Answer]]


def needs_approval(annotations: ToolAnnotations | None, *, trusted: bool) -> bool:
    if trusted:
        return False
    if annotations is None:
        return True
    return bool(annotations.destructive_hint) or not annotations.read_only_hint


async def ask(callback: ApprovalCallback | None, request: ApprovalRequest) -> Answer:
    """The callback's answer (sync or async callbacks both work); no callback means no."""
    if callback is None:
        return False
    answer = callback(request)
    if inspect.isawaitable(answer):
        answer = await answer
    return answer


def ask_on_terminal(request: ApprovalRequest) -> bool:
    """An `ApprovalCallback` for scripts: asks on the terminal; with no terminal (cron, a pipe, CI) or when input
    has ended, it declines and says so on stderr, rather than waiting or failing."""
    question = request.message if request.kind == "tool" else f"{request.server} asks: {request.message}"
    if not sys.stdin.isatty():
        sys.stderr.write(f"declined (no terminal to ask on): {question}\n")
        return False
    try:
        return input(f"? {question}\n  allow? [y/N] ").strip().lower() in ("y", "yes")
    except EOFError:
        sys.stderr.write("declined (no more input)\n")
        return False


def form_content(answer: Answer, schema: dict[str, Any] | None) -> dict[str, Any] | None:
    """The content to accept an elicitation with, or None to decline. A yes to a form whose fields are all
    booleans (a confirmation) fills them with True; a yes to any other form cannot be answered and declines."""
    if isinstance(answer, dict):
        return answer
    if not answer:
        return None
    properties: dict[str, Any] = (schema or {}).get("properties", {})
    if all(isinstance(p, dict) and p.get("type") == "boolean" for p in properties.values()):
        return dict.fromkeys(properties, True)
    return None
