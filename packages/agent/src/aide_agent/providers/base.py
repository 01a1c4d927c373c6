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
