"""How Google's APIs say what went wrong: the `ErrorProfile` every Google client passes to aide's retry policy and
error mapping.

Bodies come as `{"error": {"code", "message", "errors": [{"reason"}], "status"}}`, or in the newer google.rpc form
whose `details` carry the reason. googleapiclient retries a 403 only for the rate-limit reasons below; so do we
(`RATE_LIMIT_EXCEEDED` is the same reason in the google.rpc `ErrorInfo` form). A used-up quota is told apart: retrying
soon will not cure it.

Imports `aide_core.upstream` (and with it the retry library): load it at the first call, not at start-up.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from aide_core.upstream import ErrorProfile, ParsedError

RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"})
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def parse(data: Mapping[str, Any]) -> ParsedError | None:
    """A Google error body, or None when `data` is not one (the OAuth form `{"error": "invalid_grant"}` is read by
    core)."""
    error: object = data.get("error")
    if not isinstance(error, Mapping):
        return None
    body = cast("Mapping[str, Any]", error)
    entries: list[Any] = [*(body.get("errors") or []), *(body.get("details") or [])]
    reasons = frozenset(
        reason
        for entry in entries
        if isinstance(entry, Mapping)
        for reason in [_text(cast("Mapping[str, Any]", entry).get("reason"))]
        if reason is not None
    )
    code: object = body.get("code")
    status = code if isinstance(code, int) and not isinstance(code, bool) else None
    return ParsedError(_text(body.get("message")), _text(body.get("status")), status, reasons)


GOOGLE_ERRORS = ErrorProfile(parse, rate_limit_reasons=RATE_LIMIT_REASONS, quota_reasons=QUOTA_REASONS)
