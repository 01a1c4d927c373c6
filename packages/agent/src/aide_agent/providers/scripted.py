"""A model double that replays a script, shipped so users can test their assistants without a network or mocks.

    model = ScriptedModel([
        [call("memory__recall", query="meetings")],     # first turn: a tool call (several run concurrently)
        "You prefer afternoons.",                       # second turn: the answer
    ])

A turn may also be a function of the conversation (`(messages, tools) -> turn`), which is how a test answers with
what a tool returned, or a whole `ModelResponse`. `FunctionModel`-style use is `ScriptedModel(fn)`: the function
answers every request. Usage is estimated (four characters a token) so limits and costs can be tested too.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

from aide_agent.messages import Message, ModelResponse, ToolCall, ToolSpec, Usage
from aide_agent.providers.base import Model, ModelError

Turn = str | list[ToolCall] | ModelResponse
TurnFn = Callable[[list[Message], list[ToolSpec]], Turn]

_ids = itertools.count(1)


def call(name: str, /, **arguments: Any) -> ToolCall:
    """A tool call for a script: `call("memory__recall", query="x")`."""
    return ToolCall(id=f"call_{next(_ids)}", name=name, arguments=arguments)


class ScriptExhausted(ModelError):
    """The model was asked for more turns than its script has: a `ModelError`, so `aide chat` and a library's
    caller report it in one line like any model failure; retrying cannot help."""

    def __init__(self, model: str, request: int) -> None:
        self.model, self.status, self.retry_after = model, None, None
        RuntimeError.__init__(
            self,
            f"{model}: the script has no turn left for request {request} (add one: a string answers, a list of "
            '{"tool": "server__tool", "arguments": {...}} calls tools)',
        )

    @property
    def retryable(self) -> bool:
        return False


SCRIPT_FORM = (
    'a JSON list of turns (a string answers; a list of {"tool": "server__tool", "arguments": {...}} calls tools)'
)


def load_script(path: str | Path) -> list[Turn]:
    """A script from JSON: a list of turns, each a string (an answer) or a list of
    `{"tool": "server__tool", "arguments": {...}}` (tool calls). A file that cannot be read or is not such a list is a
    `ValueError` naming it and what is wrong, checked whole before any turn is played."""
    try:
        data: Any = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read the script {path} ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"the script {path} is not JSON ({exc}): write {SCRIPT_FORM}") from None
    if not isinstance(data, list):
        raise ValueError(f"the script {path} is not a list: write {SCRIPT_FORM}")
    turns: list[Turn] = []
    for number, raw in enumerate(cast(list[Any], data), start=1):
        if isinstance(raw, str):
            turns.append(raw)
        elif isinstance(raw, list) and raw and all(_is_call(item) for item in cast(list[Any], raw)):
            turns.append([call(item["tool"], **item.get("arguments", {})) for item in cast(list[dict[str, Any]], raw)])
        else:
            raise ValueError(
                f"turn {number} of the script {path} is neither an answer nor tool calls: write {SCRIPT_FORM}"
            )
    return turns


def _is_call(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and isinstance(cast(dict[str, Any], item).get("tool"), str)
        and isinstance(cast(dict[str, Any], item).get("arguments", {}), dict)
    )


def estimate_tokens(text: str) -> int:
    return max(1, len(text) // 4) if text else 0


class ScriptedModel(Model):
    """Replays `script` one turn per request, or asks `script(messages, tools)` when it is a function."""

    def __init__(self, script: Sequence[Turn | TurnFn] | TurnFn, *, name: str = "scripted") -> None:
        self.name = name
        self._function = script if callable(script) else None
        self._turns: list[Turn | TurnFn] = [] if callable(script) else list(script)
        #: Every request received, for assertions: (messages, tools).
        self.requests: list[tuple[list[Message], list[ToolSpec]]] = []

    def extend(self, turns: Sequence[Turn | TurnFn]) -> None:
        """Add turns to the end of the script (a test of several conversations scripts each in turn)."""
        self._turns.extend(turns)

    @property
    def remaining(self) -> int:
        return len(self._turns)

    async def request(self, messages: list[Message], tools: list[ToolSpec]) -> ModelResponse:
        self.requests.append((list(messages), list(tools)))
        if self._function is not None:
            turn: Turn | TurnFn = self._function
        elif self._turns:
            turn = self._turns.pop(0)
        else:
            raise ScriptExhausted(self.name, len(self.requests))
        if callable(turn):
            turn = turn(messages, tools)
        if isinstance(turn, ModelResponse):
            return turn
        prompt = sum(estimate_tokens(m.text) for m in messages) + sum(estimate_tokens(str(t.parameters)) for t in tools)
        if isinstance(turn, str):
            usage = Usage(input_tokens=prompt, output_tokens=estimate_tokens(turn), requests=1)
            return ModelResponse(text=turn, usage=usage, model=self.name, stop_reason="end_turn")
        output = sum(estimate_tokens(str(c.arguments)) for c in turn)
        usage = Usage(input_tokens=prompt, output_tokens=output, requests=1)
        return ModelResponse(tool_calls=list(turn), usage=usage, model=self.name, stop_reason="tool_use")
