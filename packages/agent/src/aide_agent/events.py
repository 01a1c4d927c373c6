"""What a run reports as it goes, for a user interface (`aide chat` renders these) or a log."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aide_agent.messages import ToolCall


@dataclass(frozen=True)
class TextChunk:
    """Streamed text of the model's answer."""

    text: str


@dataclass(frozen=True)
class ToolStarted:
    call: ToolCall
    server: str
    tool: str


@dataclass(frozen=True)
class ToolFinished:
    call: ToolCall
    server: str
    tool: str
    text: str
    is_error: bool
    seconds: float


@dataclass(frozen=True)
class Notice:
    """Something the user should know that is not the answer: a server failed, restarted, a limit was hit."""

    text: str


@dataclass(frozen=True)
class Learned:
    memories: list[dict[str, Any]]


Event = TextChunk | ToolStarted | ToolFinished | Notice | Learned
EventHandler = Callable[[Event], None]
