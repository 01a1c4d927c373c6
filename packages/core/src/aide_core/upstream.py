"""Upstream API errors as `AideError`s whose messages say what was wrong and what to do next.

`upstream_error` reads the error bodies of the services aide talks to:

- Google (Gmail, Calendar): `{"error": {"code", "message", "errors": [{"reason"}], "status"}}`, also the
  google.rpc form whose `details` carry the reason, and the OAuth form `{"error", "error_description"}`;
- Notion: `{"object": "error", "status", "code", "message"}`;
- Twilio: `{"code", "message", "more_info", "status"}` and the RFC 9457 form `{type, title, status, code, detail}`;

and falls back to the HTTP status alone for anything else (an HTML error page is never quoted). `from_exception`
pulls status, body and Retry-After out of the client libraries' exceptions by duck typing (see `aide_core.retry`).

Messages quote the upstream's own message (clipped, with registered secrets masked) but never headers, tokens or
request bodies.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, cast

from aide_core.errors import (
    AideError,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PolicyRefused,
    RateLimited,
    RequestNotSent,
    UpstreamError,
    UpstreamUnreachable,
)
from aide_core.logs import redact
from aide_core.retry import GOOGLE_RATE_LIMIT_REASONS, classify, response_body

_MAX_DETAIL = 300
_TWILIO_OPTED_OUT = "21610"
_TWILIO_TOO_MANY_REQUESTS = "20429"
_GOOGLE_QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})


@dataclass(frozen=True)
class _Parsed:
    message: str | None = None
    code: str | None = None  # the upstream's own error code, as text: Notion "object_not_found", Twilio "21211"
    status: int | None = None  # the status the body states, used when the caller has none
    reasons: frozenset[str] = frozenset()  # Google `errors[].reason` / `details[].reason`


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _code(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    return str(value) if isinstance(value, int | str) and str(value) else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _as_mapping(body: bytes | str | Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    if body is None or isinstance(body, Mapping):
        return body
    try:
        data: Any = json.loads(body)
    except ValueError:  # includes UnicodeDecodeError
        return None
    return cast("dict[str, Any]", data) if isinstance(data, dict) else None


def _parse(body: bytes | str | Mapping[str, Any] | None) -> _Parsed:
    data = _as_mapping(body)
    if data is None:
        return _Parsed()
    error: Any = data.get("error")
    if isinstance(error, Mapping):  # Google
        google = cast("Mapping[str, Any]", error)
        entries: list[Any] = [*(google.get("errors") or []), *(google.get("details") or [])]
        reasons = frozenset(
            reason
            for entry in entries
            if isinstance(entry, Mapping)
            for reason in [_text(cast("Mapping[str, Any]", entry).get("reason"))]
            if reason is not None
        )
        return _Parsed(_text(google.get("message")), _text(google.get("status")), _int(google.get("code")), reasons)
    if isinstance(error, str):  # OAuth token endpoint
        return _Parsed(_text(data.get("error_description")) or error, error)
    # Notion ({"object": "error", ...}), Twilio classic ({"code", "message", ...}), Twilio RFC 9457 ({"type",
    # "title", "detail", ...}) and anything shaped like them.
    message = _text(data.get("message")) or _text(data.get("detail")) or _text(data.get("title"))
    return _Parsed(message, _code(data.get("code")), _int(data.get("status")))


def _clip(text: str) -> str:
    text = re.sub(r"\s+", " ", redact(text)).strip().rstrip(".")
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1].rstrip() + "…"


def _phrase(status: int | None) -> str:
    if status is None:
        return "unknown error"
    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def upstream_error(
    service: str,
    status: int | None,
    body: bytes | str | Mapping[str, Any] | None,
    *,
    retry_after: float | None = None,
) -> AideError:
    """The `AideError` for an upstream error answer: `status` is the HTTP status, `body` the error body as sent."""
    parsed = _parse(body)
    status = status if status is not None else parsed.status
    detail = _clip(parsed.message) if parsed.message else _phrase(status)

    if parsed.code == _TWILIO_OPTED_OUT:
        return PolicyRefused(
            f"{service} refused to send: the recipient replied STOP and has opted out of messages from this number.",
            hint="Do not retry or send to this number again; only the recipient can opt back in, by texting START.",
        )
    if (
        status == 429
        or parsed.reasons & GOOGLE_RATE_LIMIT_REASONS
        or parsed.code in ("rate_limited", _TWILIO_TOO_MANY_REQUESTS)
    ):
        return RateLimited(service, retry_after, detail=detail)
    if parsed.reasons & _GOOGLE_QUOTA_REASONS:
        return UpstreamError(
            service,
            status,
            detail,
            hint="The account's quota for this API is used up; retrying soon will not help. Tell the user.",
        )
    if status in (400, 413, 422):
        return InvalidInput(
            f"{service} rejected the request as invalid: {detail}.",
            hint="Correct the arguments before calling again; the same call will fail the same way.",
        )
    if status == 401:
        return PermissionDenied(
            f"{service} did not accept aide's credentials: {detail}.",
            hint=f"The sign-in has expired or was revoked; ask the user to sign in to {service} again, then retry.",
        )
    if status == 403:
        return PermissionDenied(
            f"{service} denied access: {detail}.",
            hint="The account lacks a permission or scope for this; retrying will not help. Ask the user to grant "
            "access or share the item.",
        )
    if status == 404:
        return NotFound(
            f"{service} found no such item: {detail}.",
            hint="Check the ID (list or search to find the right one); it may be deleted or not shared with this "
            "account.",
        )
    if status == 410:
        return NotFound(
            f"{service} says it is gone: {detail}.",
            hint="It was deleted, or a sync token or cursor expired; start again without it.",
        )
    if status in (409, 412):
        return Conflict(
            f"{service} reported a conflict: {detail}.",
            hint="The item changed since it was read, or already exists; read it again and act on the current state.",
        )
    if status is not None and 500 <= status <= 599:
        return UpstreamError(
            service,
            status,
            detail,
            hint=f"The problem is on {service}'s side, not in the request; retry later. If the call sent or created "
            "something, check first whether it went through.",
        )
    return UpstreamError(service, status, detail)


def _twilio_fields(exc: BaseException) -> dict[str, Any] | None:
    """twilio keeps no raw body: `TwilioRestException` has `.msg`/`.code`, `TwilioServiceException` `.title`."""
    title, msg = getattr(exc, "title", None), getattr(exc, "msg", None)
    if isinstance(title, str):
        return {"title": title, "detail": getattr(exc, "detail", None), "code": getattr(exc, "code", None)}
    if isinstance(msg, str):
        return {"message": msg, "code": getattr(exc, "code", None)}
    return None


def from_exception(service: str, exc: BaseException) -> AideError | None:
    """The `AideError` for an exception raised by an upstream client, or None when it is not an upstream failure.

    An `AideError` is returned as it is. Knows httpx/httpx2, requests, googleapiclient, notion-client and twilio
    errors and builtin connection/timeout errors (see `aide_core.retry.classify`).
    """
    if isinstance(exc, AideError):
        return exc
    failure = classify(exc)
    if failure is None:
        return None
    if failure.connection:
        return RequestNotSent(service) if failure.not_sent else UpstreamUnreachable(service)
    body = response_body(exc)
    return upstream_error(
        service, failure.status, body if body is not None else _twilio_fields(exc), retry_after=failure.retry_after
    )
