"""Anthropic messages through the official `anthropic` SDK.

The system prompt goes at the top level; tool results are `tool_result` blocks in a user turn; consecutive turns of
one role are merged, since the API wants user and assistant to alternate. Tools are sent with their JSON Schema as
`input_schema` unchanged (Anthropic accepts it as is).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, cast

from aide_agent.messages import Message, ModelResponse, ResponseDone, StreamEvent, TextDelta, ToolCall, ToolSpec, Usage
from aide_agent.providers.base import Model, api_errors, check_allowed, context_window_for

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic


def to_anthropic_messages(messages: list[Message]) -> tuple[str, list[dict[str, Any]]]:
    """(system, messages) for the messages API."""
    system = "\n\n".join(m.text for m in messages if m.role == "system")
    out: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            continue
        blocks: list[dict[str, Any]] = []
        role = "assistant" if message.role == "assistant" else "user"
        if message.role == "tool":
            block: dict[str, Any] = {
                "type": "tool_result",
                "tool_use_id": message.tool_call_id,
                "content": message.text,
            }
            if message.is_error:
                block["is_error"] = True
            blocks.append(block)
        else:
            if message.text:
                blocks.append({"type": "text", "text": message.text})
            blocks.extend(
                {"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments}
                for call in message.tool_calls
            )
        if not blocks:
            continue
        if out and out[-1]["role"] == role:
            cast(list[dict[str, Any]], out[-1]["content"]).extend(blocks)
        else:
            out.append({"role": role, "content": blocks})
    return system, out


def to_anthropic_tool(spec: ToolSpec) -> dict[str, Any]:
    schema = spec.parameters if spec.parameters.get("type") == "object" else {"type": "object", "properties": {}}
    return {"name": spec.name, "description": spec.description, "input_schema": schema}


def parse_message(message: Any, model: str) -> ModelResponse:
    """A `Message` (or anything shaped like one) as our response."""
    text: list[str] = []
    calls: list[ToolCall] = []
    for block in message.content or []:
        if block.type == "text":
            text.append(block.text)
        elif block.type == "tool_use":
            arguments = block.input if isinstance(block.input, dict) else {}
            calls.append(ToolCall(id=block.id, name=block.name, arguments=cast(dict[str, Any], arguments)))
    usage = message.usage
    return ModelResponse(
        text="".join(text),
        tool_calls=calls,
        usage=Usage(
            input_tokens=getattr(usage, "input_tokens", 0) or 0,
            output_tokens=getattr(usage, "output_tokens", 0) or 0,
            requests=1,
        ),
        model=getattr(message, "model", None) or model,
        stop_reason=getattr(message, "stop_reason", None),
    )


class AnthropicModel(Model):
    """`anthropic:<model>`. Pass `client=` to reuse an `AsyncAnthropic` (tests point one at the sandbox's fake)."""

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        client: AsyncAnthropic | None = None,
        max_tokens: int = 4096,
        max_retries: int = 2,
        context_window: int | None = None,
    ) -> None:
        self.model = model
        self.name = f"anthropic:{model}"
        self.max_tokens = max_tokens
        self.context_window = context_window or context_window_for(model, default=200_000)
        self._owns_client = client is None
        if client is None:
            from anthropic import AsyncAnthropic

            client = AsyncAnthropic(base_url=base_url, api_key=api_key, max_retries=max_retries)
        self.client = client

    async def aclose(self) -> None:
        if self._owns_client:
            await self.client.close()

    def _arguments(self, messages: list[Message], tools: list[ToolSpec]) -> dict[str, Any]:
        system, converted = to_anthropic_messages(messages)
        kwargs: dict[str, Any] = {"model": self.model, "max_tokens": self.max_tokens, "messages": converted}
        if system:
            kwargs["system"] = system
        if tools:
            kwargs["tools"] = [to_anthropic_tool(spec) for spec in tools]
        return kwargs

    async def request(self, messages: list[Message], tools: list[ToolSpec]) -> ModelResponse:
        check_allowed(self.name)
        with api_errors(self.name, self.client):
            message = await self.client.messages.create(**self._arguments(messages, tools))
        return parse_message(message, self.model)

    async def stream(self, messages: list[Message], tools: list[ToolSpec]) -> AsyncIterator[StreamEvent]:
        check_allowed(self.name)
        with api_errors(self.name, self.client):
            async with self.client.messages.stream(**self._arguments(messages, tools)) as stream:
                async for piece in stream.text_stream:
                    yield TextDelta(text=piece)
                final = await stream.get_final_message()
        yield ResponseDone(response=parse_message(final, self.model))
