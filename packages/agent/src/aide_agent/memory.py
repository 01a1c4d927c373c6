"""The loop's memory steps: retrieve before the model is called, learn after it has answered.

Both talk to the memory server through MCP only (`memory://profile`, `recall`, `remember`), so any server with the
same tools works. Each is a plain async function that an `Assistant` takes as a parameter, to replace or switch off.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any, cast

from aide_agent import prompts
from aide_agent.messages import Message

if TYPE_CHECKING:
    from aide_agent.assistant import Assistant
    from aide_agent.toolbox import Toolbox

log = logging.getLogger(__name__)

CATEGORIES = {"preference", "fact", "habit", "person", "event", "task", "note"}


def memory_server(toolbox: Toolbox) -> str | None:
    """The configuration name of the first running server with `recall` and `remember` tools."""
    for name, connection in toolbox.connections.items():
        tools = {tool.name for tool in connection.tools}
        if connection.client is not None and {"recall", "remember"} <= tools:
            return name
    return None


async def retrieve(assistant: Assistant, text: str) -> str | None:
    """The profile and what `recall` finds for the user's message, as context for the model (None: nothing)."""
    server = memory_server(assistant.toolbox)
    if server is None:
        return None
    profile = await assistant.toolbox.read_resource(server, "memory://profile") or ""
    outcome = await assistant.toolbox.call_server(server, "recall", {"query": text[:2000], "limit": 5})
    hits: list[dict[str, Any]] = []
    if not outcome.is_error and isinstance(outcome.structured, dict):
        hits = cast(list[dict[str, Any]], cast(dict[str, Any], outcome.structured).get("results", []))
    recalled = [f"- {hit.get('content')} ({hit.get('category')}, id {hit.get('id')})" for hit in hits]
    if not recalled and (not profile or profile.startswith("No preferences")):
        return None
    return prompts.load("context", profile=profile or "(empty)", recalled="\n".join(recalled) or "(nothing)")


def parse_memories(text: str) -> list[dict[str, Any]]:
    """The JSON array in the model's answer, keeping only well-formed items."""
    start, end = text.find("["), text.rfind("]")
    if start < 0 or end < start:
        return []
    try:
        value: Any = json.loads(text[start : end + 1])
    except json.JSONDecodeError:
        return []
    items: list[dict[str, Any]] = []
    for raw in cast(list[Any], value) if isinstance(value, list) else []:
        if not isinstance(raw, dict):
            continue
        entry = cast(dict[str, Any], raw)
        content = str(entry.get("content") or "").strip()
        if not content:
            continue
        category = str(entry.get("category") or "note").lower()
        try:
            confidence = min(1.0, max(0.0, float(entry.get("confidence", 0.8))))
        except (TypeError, ValueError):
            confidence = 0.8
        items.append(
            {
                "content": content[:2000],
                "category": category if category in CATEGORIES else "note",
                "confidence": confidence,
            }
        )
    return items


async def learn(assistant: Assistant, exchange: list[Message]) -> list[dict[str, Any]]:
    """Ask the model what in this exchange is worth remembering, and `remember` it (source: the conversation)."""
    server = memory_server(assistant.toolbox)
    if server is None:
        return []
    transcript = "\n".join(
        f"{m.role}: {m.text}" for m in exchange if m.role in ("user", "assistant") and m.text.strip()
    )
    if not transcript:
        return []
    request = [Message.system(prompts.load("extract")), Message.user(transcript)]
    response = await assistant.request_model(request, tools=[])
    items = parse_memories(response.text)
    if not items:
        return []
    for item in items:
        item["source"] = "conversation"
        item["source_ref"] = assistant.conversation_id
    outcome = await assistant.toolbox.call_server(server, "remember", {"items": items})
    if outcome.is_error:
        log.warning("remember failed: %s", outcome.text)
        return []
    return items
