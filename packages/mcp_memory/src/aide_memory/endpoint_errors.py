"""How an OpenAI-compatible embeddings endpoint says what went wrong (embeddings = "openai"): the `ErrorProfile` the
memory server declares, so that a failing endpoint reads as every upstream's failures do, never as a bug.

Bodies come as `{"error": {"message", "type", "param", "code"}}` (OpenAI's documented shape, which Ollama, vLLM and LM
Studio copy); the code or else the type is the reason. The `openai` SDK raises `APIConnectionError` (and its subclass
`APITimeoutError`) when no answer came: unreachable, like a builtin connection error. A refused key is the one
refusal with its own advice: the key is an environment variable, not a sign-in.

Imports `aide_core.upstream` (and with it the retry library): loaded at the first failure, not at start-up.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aide_core.errors import AideError, PermissionDenied
from aide_core.upstream import ErrorProfile, ParsedError

TIMEOUTS = frozenset({"openai.APIConnectionError"})
RATE_LIMIT_REASONS = frozenset({"rate_limit_exceeded"})
QUOTA_REASONS = frozenset({"insufficient_quota"})
KEY_REFUSED = frozenset({"invalid_api_key"})


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def parse(data: Mapping[str, Any]) -> ParsedError | None:
    """An OpenAI-style error body, or None when `data` is not one."""
    error: Any = data.get("error")
    if not isinstance(error, Mapping):
        return None
    fields: Mapping[str, Any] = error  # pyright: ignore[reportUnknownVariableType]
    code = _text(fields.get("code")) or _text(fields.get("type"))
    return ParsedError(_text(fields.get("message")), code, None, frozenset({code}) if code else frozenset())


def refusal(service: str, parsed: ParsedError) -> AideError | None:
    if parsed.reasons & KEY_REFUSED:
        return PermissionDenied(
            f"{service} refused the API key: {parsed.message or 'invalid API key'}.",
            hint="The user must set a valid key (OPENAI_API_KEY in the memory server's environment) and restart it; "
            "retrying will not help.",
        )
    return None


ENDPOINT_ERRORS = ErrorProfile(
    parse, rate_limit_reasons=RATE_LIMIT_REASONS, quota_reasons=QUOTA_REASONS, timeouts=TIMEOUTS, refusal=refusal
)
