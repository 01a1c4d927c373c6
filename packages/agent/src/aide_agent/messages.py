"""The conversation as the loop sees it, independent of any provider: each provider module maps these to and from
its own wire shapes, so the loop, the store and the tests never depend on an SDK.

They are pydantic models because conversations are persisted (as JSON in SQLite) and resumed.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Role = Literal["system", "user", "assistant", "tool"]


class ToolCall(BaseModel):
    """One call the model asked for; `name` is the exposed name (`server__tool`), mapped back by the tool table."""

    id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    #: The raw text when the model sent arguments that are not a JSON object; the loop answers with an error.
    invalid_arguments: str | None = None


class Message(BaseModel):
    """One turn. A `tool` message answers one tool call (`tool_call_id`) with text the model reads."""

    role: Role
    text: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    tool_call_id: str | None = None
    tool_name: str | None = None
    is_error: bool = False

    @classmethod
    def system(cls, text: str) -> Message:
        return cls(role="system", text=text)

    @classmethod
    def user(cls, text: str) -> Message:
        return cls(role="user", text=text)

    @classmethod
    def assistant(cls, text: str = "", tool_calls: list[ToolCall] | None = None) -> Message:
        return cls(role="assistant", text=text, tool_calls=tool_calls or [])

    @classmethod
    def tool(cls, call: ToolCall, text: str, *, is_error: bool = False) -> Message:
        return cls(role="tool", text=text, tool_call_id=call.id, tool_name=call.name, is_error=is_error)


class ToolSpec(BaseModel):
    """A tool as offered to a model: the exposed name, a description and the input JSON Schema."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})


class Usage(BaseModel):
    input_tokens: int = 0
    output_tokens: int = 0
    requests: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            requests=self.requests + other.requests,
        )


class ModelResponse(BaseModel):
    """What one model request returns: text, tool calls (possibly several, to run concurrently), usage."""

    text: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    model: str = ""
    stop_reason: str | None = None

    def as_message(self) -> Message:
        return Message.assistant(self.text, self.tool_calls)


class TextDelta(BaseModel):
    """A piece of streamed text."""

    kind: Literal["text"] = "text"
    text: str


class ResponseDone(BaseModel):
    """The end of a streamed response: the whole response, put back together."""

    kind: Literal["done"] = "done"
    response: ModelResponse


StreamEvent = TextDelta | ResponseDone
