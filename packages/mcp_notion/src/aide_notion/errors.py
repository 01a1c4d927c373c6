"""How Notion's API says what went wrong: the `ErrorProfile` a Notion client passes to aide's retry policy and
error mapping (core reads no Notion body).

Bodies come as `{"object": "error", "status", "code", "message", "request_id"}`; the code `rate_limited` (with a 429)
is a rate limit. notion-client raises `RequestTimeoutError` when Notion does not answer in time: a timeout, retried
like any other. Its `APIResponseError` keeps the raw `.body`, `.status` and `.headers`, which core reads itself.

Imports `aide_core.upstream` (and with it the retry library): load it at the first call, not at start-up.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aide_core.upstream import ErrorProfile, ParsedError

RATE_LIMIT_REASONS = frozenset({"rate_limited"})
TIMEOUTS = frozenset({"notion_client.RequestTimeoutError"})


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def parse(data: Mapping[str, Any]) -> ParsedError | None:
    """A Notion error body, or None when `data` is not one (its `code` is also its reason)."""
    if data.get("object") != "error":
        return None
    code = _text(data.get("code"))
    status: object = data.get("status")
    return ParsedError(
        _text(data.get("message")),
        code,
        status if isinstance(status, int) and not isinstance(status, bool) else None,
        frozenset({code}) if code else frozenset(),
    )


NOTION_ERRORS = ErrorProfile(parse, rate_limit_reasons=RATE_LIMIT_REASONS, timeouts=TIMEOUTS)
