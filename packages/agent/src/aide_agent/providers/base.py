"""The provider interface: messages and tools in, a response (text, tool calls, usage) out, or a stream of events.

Kept small on purpose (pydantic-ai's shape): a provider module only converts between `aide_agent.messages` and its
SDK's wire shapes. `ALLOW_MODEL_REQUESTS` is the switch tests turn off, so no test reaches a real model by accident.
"""

from __future__ import annotations

import abc
import sys
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from aide_agent.messages import Message, ModelResponse, ResponseDone, StreamEvent, TextDelta, ToolSpec

#: Set to False (the agent's tests do) to make every network-backed provider refuse to send a request.
ALLOW_MODEL_REQUESTS = True


class ModelRequestsDisabled(RuntimeError):
    """A network-backed model was asked for a response while `ALLOW_MODEL_REQUESTS` is False."""


class MissingCredentials(RuntimeError):
    """No API key for a provider; the message names the environment variable to set."""


class ModelError(RuntimeError):
    """A provider answered with an error or could not be reached. `status` is the HTTP status (None: no answer),
    `retry_after` the seconds the provider asked to wait; the SDK's own exception is the `__cause__`. One type for
    every provider, so a caller (`aide chat`, a library user) handles rate limits and outages without importing SDKs.
    """

    def __init__(self, model: str, status: int | None, detail: str, retry_after: float | None = None) -> None:
        self.model = model
        self.status = status
        self.retry_after = retry_after
        what = {429: "rate limited"}.get(status or 0) or (
            "could not be reached" if status is None else f"failed (HTTP {status})"
        )
        wait = f", retry in {retry_after:g} s" if retry_after is not None else ""
        super().__init__(f"{model}: {what}{wait}: {detail}")

    @property
    def retryable(self) -> bool:
        return self.status is None or self.status in (408, 409, 429) or self.status >= 500


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """The wait a 429 or 503 asks for, from `retry-after-ms` or `retry-after` (seconds); None when absent."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        try:
            return float(headers[name]) / scale
        except (KeyError, ValueError):
            continue
    return None


@contextmanager
def api_errors(model: str, client: object) -> Iterator[None]:
    """The SDK's errors (raised after its own retries) as `ModelError`s. The openai and anthropic SDKs share the
    exception shapes (`APIStatusError` with `status_code`, `message`, `response`; `APIConnectionError`), found in
    the module the client comes from."""
    sdk: Any = sys.modules[type(client).__module__.partition(".")[0]]
    status_error: type[Exception] = sdk.APIStatusError
    connection_error: type[Exception] = sdk.APIConnectionError
    try:
        yield
    except status_error as exc:
        failed: Any = exc
        retry_after = retry_after_seconds(failed.response.headers)
        raise ModelError(model, failed.status_code, _detail(failed), retry_after) from exc
    except connection_error as exc:
        raise ModelError(model, None, str(exc)) from exc


def _detail(exc: Any) -> str:
    """The provider's own message from the error body (OpenAI: `{"message"}` as the body; Anthropic: `{"error":
    {"message"}}`), without the SDK's "Error code: 429 - {...}" wrapping."""
    body: Any = exc.body
    error: Any = body.get("error", body) if isinstance(body, dict) else None
    message: Any = error.get("message") if isinstance(error, dict) else None
    return message if isinstance(message, str) else str(exc.message)


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

    async def aclose(self) -> None:
        """Release the HTTP client the model made for itself (one passed in as `client=` is the caller's to close).
        Not done by an `Assistant` on exit, since one model may serve several assistants in turn."""
        return None

    async def stream(self, messages: list[Message], tools: list[ToolSpec]) -> AsyncIterator[StreamEvent]:
        """Text as it arrives, then the whole response. The default streams the response in one piece."""
        response = await self.request(messages, tools)
        if response.text:
            yield TextDelta(text=response.text)
        yield ResponseDone(response=response)
