"""The provider interface: messages and tools in, a response (text, tool calls, usage) out, or a stream of events.

Kept small on purpose (pydantic-ai's shape): a provider module only converts between `aide_agent.messages` and its
SDK's wire shapes. `ALLOW_MODEL_REQUESTS` is the switch tests turn off, so no test reaches a real model by accident.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator

from aide_agent.messages import Message, ModelResponse, ResponseDone, StreamEvent, TextDelta, ToolSpec

#: Set to False (the agent's tests do) to make every network-backed provider refuse to send a request.
ALLOW_MODEL_REQUESTS = True


class ModelRequestsDisabled(RuntimeError):
    """A network-backed model was asked for a response while `ALLOW_MODEL_REQUESTS` is False."""


class MissingCredentials(RuntimeError):
    """No API key for a provider; the message names the environment variable to set."""


def check_allowed(name: str) -> None:
    from aide_agent.providers import base

    if not base.ALLOW_MODEL_REQUESTS:
        raise ModelRequestsDisabled(f"model requests are disabled (ALLOW_MODEL_REQUESTS is False): {name}")


#: Context windows of known models (tokens), by model name without the provider; users pass `context_window=` for
#: others. Endpoints given by base URL (Ollama, vLLM, LM Studio) often run with much less than the model allows.
CONTEXT_WINDOWS: dict[str, int] = {
    "gpt-4o": 128_000,
    "gpt-4o-mini": 128_000,
    "gpt-4.1": 1_000_000,
    "gpt-4.1-mini": 1_000_000,
    "claude-sonnet-4-5": 200_000,
    "claude-opus-4-1": 200_000,
    "claude-haiku-4-5": 200_000,
}
LOCAL_CONTEXT_WINDOW = 8_192


def context_window_for(model: str, *, base_url: str | None = None, default: int = 128_000) -> int:
    if model in CONTEXT_WINDOWS:
        return CONTEXT_WINDOWS[model]
    return LOCAL_CONTEXT_WINDOW if base_url else default


class Model(abc.ABC):
    """A chat model with tool calling. `name` is the model string (`openai:gpt-4o-mini`), used for prices."""

    name: str
    #: Tokens the model accepts in one request; the loop trims the conversation to fit.
    context_window: int = 128_000

    @abc.abstractmethod
    async def request(self, messages: list[Message], tools: list[ToolSpec]) -> ModelResponse:
        """One response to the conversation so far."""

    async def stream(self, messages: list[Message], tools: list[ToolSpec]) -> AsyncIterator[StreamEvent]:
        """Text as it arrives, then the whole response. The default streams the response in one piece."""
        response = await self.request(messages, tools)
        if response.text:
            yield TextDelta(text=response.text)
        yield ResponseDone(response=response)
