"""OpenAI chat completions through the official `openai` SDK, and any OpenAI-compatible endpoint (Ollama, vLLM,
LM Studio) through `base_url`.

Tools are function tools, strict where the schema allows it (`aide_core.strict.openai_strict`). Arguments arrive as
a JSON string, parsed here; text that is not a JSON object is passed to the loop as `invalid_arguments`, which the
model is told about instead of the call failing silently.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, cast

from aide_agent.messages import Message, ModelResponse, ResponseDone, StreamEvent, TextDelta, ToolCall, ToolSpec, Usage
from aide_agent.providers.base import Model, api_errors, check_allowed, context_window_for
from aide_core.strict import Converted, drop_nulls, openai_strict

if TYPE_CHECKING:
    from openai import AsyncOpenAI


def to_openai_messages(messages: list[Message]) -> list[dict[str, Any]]:
    """Our messages as chat-completions messages."""
    out: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "tool":
            out.append({"role": "tool", "tool_call_id": message.tool_call_id, "content": message.text})
        elif message.role == "assistant":
            entry: dict[str, Any] = {"role": "assistant", "content": message.text or None}
            if message.tool_calls:
                entry["tool_calls"] = [
                    {
                        "id": call.id,
                        "type": "function",
                        "function": {
                            "name": call.name,
                            "arguments": call.invalid_arguments
                            if call.invalid_arguments is not None
                            else json.dumps(call.arguments, separators=(",", ":")),
                        },
                    }
                    for call in message.tool_calls
                ]
            out.append(entry)
        else:
            out.append({"role": message.role, "content": message.text})
    return out


def to_openai_tool(spec: ToolSpec, converted: Converted | None = None) -> dict[str, Any]:
    converted = converted or openai_strict(spec.parameters)
    function: dict[str, Any] = {"name": spec.name, "description": spec.description, "parameters": converted.schema}
    if converted.strict:
        function["strict"] = True
    return {"type": "function", "function": function}


def parse_arguments(
    call_id: str, name: str, raw: str | None, optional: frozenset[str] = frozenset(), converted: Converted | None = None
) -> ToolCall:
    """A tool call from the function name and its JSON-string arguments, without the nulls strict mode made the
    model send for what it left out (at any depth, when the conversion is given)."""
    text = raw or "{}"
    try:
        value: Any = json.loads(text)
    except json.JSONDecodeError:
        return ToolCall(id=call_id, name=name, invalid_arguments=text)
    if not isinstance(value, dict):
        return ToolCall(id=call_id, name=name, invalid_arguments=text)
    arguments = cast(dict[str, Any], value)
    cleaned = converted.clean(arguments) if converted is not None else drop_nulls(arguments, optional)
    return ToolCall(id=call_id, name=name, arguments=cleaned)


class OpenAIModel(Model):
    """`openai:<model>`. Pass `client=` to reuse an `AsyncOpenAI` (tests point one at the sandbox's fake)."""

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        client: AsyncOpenAI | None = None,
        max_tokens: int | None = None,
        max_retries: int = 2,
        context_window: int | None = None,
    ) -> None:
        self.model = model
        self.name = f"openai:{model}"
        self.max_tokens = max_tokens
        self.context_window = context_window or context_window_for(model, base_url=base_url)
        self._owns_client = client is None
        if client is None:
            from openai import AsyncOpenAI

            client = AsyncOpenAI(base_url=base_url, api_key=api_key, max_retries=max_retries)
        self.client = client
        self._converted: dict[str, tuple[str, Converted]] = {}

    async def aclose(self) -> None:
        if self._owns_client:
            await self.client.close()

    def _tools(self, tools: list[ToolSpec]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for spec in tools:
            key = json.dumps(spec.parameters, sort_keys=True)
            cached = self._converted.get(spec.name)
            if cached is None or cached[0] != key:
                cached = (key, openai_strict(spec.parameters))
                self._converted[spec.name] = cached
            out.append(to_openai_tool(spec, cached[1]))
        return out

    def _conversion(self, name: str) -> Converted | None:
        cached = self._converted.get(name)
        return cached[1] if cached else None

    def _arguments(self, messages: list[Message], tools: list[ToolSpec]) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"model": self.model, "messages": to_openai_messages(messages)}
        if tools:
            kwargs["tools"] = self._tools(tools)
        if self.max_tokens:
            kwargs["max_completion_tokens"] = self.max_tokens
        return kwargs

    async def request(self, messages: list[Message], tools: list[ToolSpec]) -> ModelResponse:
        check_allowed(self.name)
        with api_errors(self.name, self.client):
            completion: Any = await self.client.chat.completions.create(**self._arguments(messages, tools))
        return self.parse_completion(completion)

    def parse_completion(self, completion: Any) -> ModelResponse:
        """A `ChatCompletion` (or anything shaped like one) as our response."""
        choice = completion.choices[0]
        message = choice.message
        calls = [
            parse_arguments(c.id, c.function.name, c.function.arguments, converted=self._conversion(c.function.name))
            for c in (message.tool_calls or [])
        ]
        usage = completion.usage
        return ModelResponse(
            text=message.content or "",
            tool_calls=calls,
            usage=Usage(
                input_tokens=getattr(usage, "prompt_tokens", 0) or 0,
                output_tokens=getattr(usage, "completion_tokens", 0) or 0,
                requests=1,
            ),
            model=getattr(completion, "model", None) or self.model,
            stop_reason=choice.finish_reason,
        )

    async def stream(self, messages: list[Message], tools: list[ToolSpec]) -> AsyncIterator[StreamEvent]:
        check_allowed(self.name)
        text: list[str] = []
        calls: dict[int, dict[str, str]] = {}
        usage = Usage(requests=1)
        finish: str | None = None
        model = self.model
        with api_errors(self.name, self.client):
            stream: Any = await self.client.chat.completions.create(
                **self._arguments(messages, tools), stream=True, stream_options={"include_usage": True}
            )
            async for chunk in stream:
                model = getattr(chunk, "model", None) or model
                if getattr(chunk, "usage", None):
                    usage = Usage(
                        input_tokens=chunk.usage.prompt_tokens or 0,
                        output_tokens=chunk.usage.completion_tokens or 0,
                        requests=1,
                    )
                for choice in chunk.choices or []:
                    delta = choice.delta
                    if delta.content:
                        text.append(delta.content)
                        yield TextDelta(text=delta.content)
                    for piece in delta.tool_calls or []:
                        entry = calls.setdefault(piece.index, {"id": "", "name": "", "arguments": ""})
                        entry["id"] = piece.id or entry["id"]
                        if piece.function is not None:
                            entry["name"] = piece.function.name or entry["name"]
                            entry["arguments"] += piece.function.arguments or ""
                    finish = choice.finish_reason or finish
        tool_calls = [
            parse_arguments(e["id"], e["name"], e["arguments"], converted=self._conversion(e["name"]))
            for _, e in sorted(calls.items())
        ]
        response = ModelResponse(
            text="".join(text), tool_calls=tool_calls, usage=usage, model=model, stop_reason=finish
        )
        yield ResponseDone(response=response)
