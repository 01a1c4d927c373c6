"""The script the LLM fakes answer from: a queue of canned replies per endpoint, and the requests received.

    sandbox.llm.queue("openai.chat", Reply(text="Hello"))
    sandbox.llm.queue("anthropic.messages", Reply(tool_calls=[ToolCall("send_sms", {"to": "+1555"}),
                                                               ToolCall("lookup", {"q": "x"})]))
    sandbox.llm.queue("openai.responses", Reply(status=429, retry_after=0.01))
    sandbox.llm.requests("openai.chat")[0].body["messages"]

A reply is served as JSON or as an SSE stream, whichever the request asks for (`"stream": true`), so one script
drives both. An endpoint whose queue is empty answers 500 with `x-should-retry: false` and says so: a test that
forgot to script a turn fails at once instead of retrying. The script lives in memory; `reset()` empties it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

#: The scripted endpoints.
ENDPOINTS = ("openai.chat", "openai.responses", "openai.embeddings", "anthropic.messages")


@dataclass(frozen=True)
class ToolCall:
    """A function/tool call the model makes; `id` defaults to one made from the reply's position."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict[str, Any])
    id: str | None = None


@dataclass(frozen=True)
class Reply:
    """One canned answer: text and/or tool calls (several: parallel calls), or an error `status` (429, 500, ...)
    with an optional Retry-After in seconds (sent as `retry-after` and `retry-after-ms`)."""

    text: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list[ToolCall])
    status: int = 200
    message: str | None = None
    retry_after: float | None = None
    stop_reason: str | None = None
    input_tokens: int = 12
    output_tokens: int = 8

    @staticmethod
    def from_json(data: dict[str, Any]) -> Reply:
        """A reply from the admin API's JSON: `{"text", "tool_calls": [{"name", "arguments"}], "status", ...}`."""
        raw_calls: list[dict[str, Any]] = data.get("tool_calls", [])
        calls = [ToolCall(str(c["name"]), dict(c.get("arguments") or {}), c.get("id")) for c in raw_calls]
        return Reply(
            text=data.get("text"),
            tool_calls=calls,
            status=int(data.get("status", 200)),
            message=data.get("message"),
            retry_after=data.get("retry_after"),
            stop_reason=data.get("stop_reason"),
        )


@dataclass(frozen=True)
class Recorded:
    """A request an endpoint received (whatever it was answered)."""

    endpoint: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class Script:
    """Thread-safe: tests queue on their thread, the server serves on its own."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, list[Reply]] = {name: [] for name in ENDPOINTS}
        self._received: dict[str, list[Recorded]] = {name: [] for name in ENDPOINTS}
        self._served = 0

    def queue(self, endpoint: str, *replies: Reply) -> None:
        with self._lock:
            self._check(endpoint)
            self._queues[endpoint].extend(replies)

    def pending(self, endpoint: str) -> int:
        with self._lock:
            self._check(endpoint)
            return len(self._queues[endpoint])

    def requests(self, endpoint: str) -> list[Recorded]:
        with self._lock:
            self._check(endpoint)
            return list(self._received[endpoint])

    def clear(self) -> None:
        with self._lock:
            for name in ENDPOINTS:
                self._queues[name].clear()
                self._received[name].clear()

    def record(self, recorded: Recorded) -> int:
        """Remember a request; its serial number (ids in answers are made from it)."""
        with self._lock:
            self._received[recorded.endpoint].append(recorded)
            self._served += 1
            return self._served

    def next(self, endpoint: str) -> Reply | None:
        """The next scripted reply of `endpoint` (None: the queue is empty)."""
        with self._lock:
            queue = self._queues[endpoint]
            return queue.pop(0) if queue else None

    @staticmethod
    def _check(endpoint: str) -> None:
        if endpoint not in ENDPOINTS:
            raise KeyError(f"no scripted endpoint {endpoint!r}; there are {', '.join(ENDPOINTS)}")
