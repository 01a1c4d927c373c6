"""`aide chat --demo`: the whole assembly at work in seconds, with no account and no model key.

A scripted model (`providers.scripted`) asks what a real one would for "what needs my attention this week?": the
important unread mail, the week's events and what memory holds about meetings, all in one turn (the assistant runs
them concurrently), then answers from what the tools returned. The servers are aide's own against the sandbox's
emulators, through MCP like any other run: only the model is scripted, so what the demo shows (tool calls, results,
the answer built from them) is what the servers really did. Learning is left out: the script has no turn for it.
"""

from __future__ import annotations

import json
from typing import Any

from aide_agent.messages import Message, ToolSpec
from aide_agent.providers.scripted import ScriptedModel, call

__all__ = ["QUESTION", "demo_model"]

QUESTION = "What needs my attention this week?"
#: What the scripted model asks each server; a real model picks its own arguments.
_MAIL = "is:unread in:inbox -category:promotions -category:updates -category:social"


def _result(messages: list[Message], tool: str) -> dict[str, Any] | None:
    """The structured result of `tool` in this run, or None when it was not called or failed."""
    for message in reversed(messages):
        if message.role == "tool" and message.tool_name == tool and not message.is_error:
            try:
                value: Any = json.loads(message.text)
            except ValueError:
                return None
            return value if isinstance(value, dict) else None
    return None


def _answer(messages: list[Message], tools: list[ToolSpec]) -> str:
    """The answer, from what the tools returned (a server that is missing or failed is said so, not invented)."""
    lines: list[str] = []
    mail = _result(messages, "gmail__search_emails")
    if mail is None:
        lines.append("Mail: not available.")
    else:
        rows: list[dict[str, Any]] = mail.get("emails") or []
        lines.append(f"Mail: {len(rows)} important unread message(s).")
        lines += [f"  - {row.get('sender', '?')}: {row.get('subject', '')}" for row in rows[:5]]
    events = _result(messages, "calendar__list_events")
    if events is None:
        lines.append("Calendar: not available.")
    else:
        found: list[dict[str, Any]] = events.get("events") or []
        lines.append(f"Calendar: {len(found)} event(s) this week.")
        lines += [f"  - {row.get('start', '?')}: {row.get('summary', '')}" for row in found[:5]]
    memory = _result(messages, "memory__recall")
    hits: list[dict[str, Any]] = (memory or {}).get("results") or []
    lines.append(
        f"Memory: {len(hits)} thing(s) remembered about meetings." if memory is not None else "Memory: not available."
    )
    return "\n".join(lines)


def demo_model() -> ScriptedModel:
    """The demo's scripted model (see the module docstring)."""
    return ScriptedModel(
        [
            [
                call("gmail__search_emails", query=_MAIL, limit=5),
                call("calendar__list_events", start="today", end="in 7 days"),
                call("memory__recall", query="meetings"),
            ],
            _answer,
        ],
        name="scripted:demo",
    )
