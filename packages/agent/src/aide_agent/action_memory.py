"""Learning from actions: what the assistant did (an event created, a mail sent, a task added) is remembered, with
its source, so that "what did we decide about the offsite?" finds it later.

After a call that acts on the world really happened (a tool that is not read-only, approved by the user or run on a
trusted server, that succeeded: for a guarded action, the guard's outcome says `done`, not declined, previewed or
replayed), one short factual line is kept through the memory server's `remember` tool, over MCP like the other
memory steps: when, which tool, and what it did in words. The words are the preview the guard's `done` outcome
carries (its head: who is reached and what is done, "Send 'Offsite plan' to ann@example.com", whether the user was
asked by elicitation, by token, or not at all), else, for a tool the guard does not wrap, the call's own arguments
("title: Book the offsite venue; due: Friday"). Nothing is asked of the model: the line costs no tokens and cannot
be invented.

The line quotes outside text (a subject being answered), so it is data: one line, control characters and marker
look-alikes defanged (`aide_core.fencing.defang_field`), and cut to `MAX_SUMMARY_CHARS`. The memory server fences or
defangs it again when it is read back.

It is stored as category `event` (a thing that happened, in the categories every memory server knows), with
`source` `action:<server>.<tool>`, the conversation's id as `source_ref`, tags `action`, the server and the tool, and
`about_time` the moment it was done. Calls to the memory server itself are never remembered this way.

On by default (`Assistant(remember_actions=...)`, None switches it off): it only runs when a memory server is
composed, which is where the user asked to be remembered; it only keeps what the user approved; and a record that
cannot be written is a notice, never a failed run.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from aide_agent.memory import memory_server
from aide_core.fencing import defang_field

if TYPE_CHECKING:
    from aide_agent.assistant import Assistant

log = logging.getLogger(__name__)

#: The longest "what it did" kept: enough for a preview's head (who, what, when), short enough to read in a recall.
MAX_SUMMARY_CHARS = 300
#: The keys of a guarded action's outcome (`aide_core.guard.ActionOutcome`), to tell it from a plain result.
_OUTCOME_KEYS = {"status", "message", "result", "preview", "confirmation_token"}
#: Arguments that say nothing a person would recall (the guard's, and bodies that the subject already names).
_SKIPPED = {"confirmation_token", "idempotency_key", "account", "body", "description", "attachments"}


@dataclass(frozen=True)
class ActionDone:
    """One call that acted: `preview` is what the guard's `done` outcome says was done (`preview_of`), if any."""

    server: str
    tool: str
    arguments: Mapping[str, Any]
    structured: Any
    preview: str | None
    at: float


RememberAction = Callable[["Assistant", ActionDone], Awaitable[dict[str, Any] | None]]


def _guard_outcome(structured: Any) -> dict[str, Any] | None:
    """`structured` when it is a guarded action's outcome, else None."""
    if isinstance(structured, dict):
        outcome = cast(dict[str, Any], structured)
        if "status" in outcome and "message" in outcome and set(outcome) <= _OUTCOME_KEYS:
            return outcome
    return None


def really_done(structured: Any) -> bool:
    """Whether a successful call's result says it acted: a guarded action's outcome only when `done` (declined,
    dry-run, a preview waiting for a token, and a replay of an earlier call did nothing now); any other result
    yes."""
    outcome = _guard_outcome(structured)
    return outcome is None or outcome["status"] == "done"


def preview_of(structured: Any) -> str | None:
    """The preview a guarded action's `done` outcome carries (the guard's head of what it did), else None."""
    outcome = _guard_outcome(structured)
    preview = outcome.get("preview") if outcome is not None and outcome["status"] == "done" else None
    return preview if isinstance(preview, str) and preview.strip() else None


def summary(done: ActionDone) -> str:
    """What was done, in words: the guard's preview, else the call's arguments; one bounded, defanged line."""
    if done.preview:
        text = done.preview
    else:
        parts = [
            f"{key}: {_value(value)}"
            for key, value in done.arguments.items()
            if key not in _SKIPPED and value not in (None, "", [], {})
        ]
        text = "; ".join(parts) or "(no arguments)"
    text = " ".join(defang_field(text).split())
    return text if len(text) <= MAX_SUMMARY_CHARS else text[: MAX_SUMMARY_CHARS - 1] + "…"


def _value(value: Any) -> str:
    shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return shown if len(shown) <= 80 else shown[:79] + "…"


def memory_item(done: ActionDone, conversation_id: str) -> dict[str, Any]:
    """The `remember` item for one action (see the module docstring for each field)."""
    when = datetime.fromtimestamp(done.at, UTC)
    return {
        "content": f"Done on {when:%Y-%m-%d %H:%M} UTC with {done.server}.{done.tool}: {summary(done)}",
        "category": "event",
        "confidence": 1.0,
        "source": f"action:{done.server}.{done.tool}"[:200],
        "source_ref": conversation_id or None,
        "tags": ["action", done.server[:64], done.tool[:64]],
        "about_time": when.isoformat(),
    }


async def remember_action(assistant: Assistant, done: ActionDone) -> dict[str, Any] | None:
    """Remember `done` with the composed memory server's `remember` tool; the item kept, or None (no memory
    server, the action was memory's own, or memory refused it: logged, not raised)."""
    server = memory_server(assistant.toolbox)
    if server is None or server == done.server:
        return None
    item = memory_item(done, assistant.conversation_id)
    outcome = await assistant.toolbox.call_server(server, "remember", {"items": [item]})
    if outcome.is_error:
        log.warning("the action %s.%s was not remembered: %s", done.server, done.tool, outcome.text[:200])
        return None
    return item
