"""Upstream API errors as `AideError`s whose messages say what was wrong and what to do next.

Core names no upstream: the package that talks to one declares how its errors read, as an `ErrorProfile` (its body
parser, the reasons that mean a rate limit or a used-up quota, its client's own timeouts, the fields of exceptions
that keep no body, and the refusals only its own codes tell) and passes it in. Without one, `upstream_error` reads
only standard shapes:

- the OAuth form `{"error", "error_description"}` (RFC 6749's token endpoint errors);
- a JSON object with a `message`, or RFC 9457's `{type, title, status, detail}`, and a `code` and `status` beside;

and falls back to the HTTP status alone for anything else (an HTML error page is never quoted). `from_exception`
pulls status, body and Retry-After out of the client libraries' exceptions by duck typing (see `aide_core.retry`).

Messages quote the upstream's own message (clipped, with registered secrets masked) but never headers, tokens or
request bodies.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, cast

from aide_core.errors import (
    AideError,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
    RequestNotSent,
    UpstreamError,
    UpstreamUnreachable,
)
from aide_core.logs import redact
from aide_core.retry import classify, response_body

_MAX_DETAIL = 300


@dataclass(frozen=True)
class ParsedError:
    """What an error body says."""

    message: str | None = None
    code: str | None = None  # the upstream's own error code, as text ("object_not_found", "21211")
    status: int | None = None  # the status the body states, used when the caller has none
    reasons: frozenset[str] = frozenset()  # machine-readable reasons, for an `ErrorProfile`'s reason sets


@dataclass(frozen=True)
class ErrorProfile:
    """What one upstream's error bodies say beyond their HTTP status, declared by the package that talks to it.

    `parse` reads the upstream's body shape (None: not its shape, read the body as core does); a body whose reasons
    meet `rate_limit_reasons` is a rate limit whatever its status (and a 403 that says so is retried), one whose
    reasons meet `quota_reasons` a used-up quota that retrying soon will not cure. `timeouts` names the upstream
    client's own timeout errors (`"package.ClassName"`, matched along the exception's classes): no answer, retried
    like a builtin timeout. `fields` gives the body an exception implies when its client keeps none (only parsed
    attributes). `refusal(service, parsed)` returns the error for what only the upstream's own codes tell (a
    recipient who opted out), before the status is read."""

    parse: Callable[[Mapping[str, Any]], ParsedError | None]
    rate_limit_reasons: frozenset[str] = frozenset()
    quota_reasons: frozenset[str] = frozenset()
    timeouts: frozenset[str] = frozenset()
    fields: Callable[[BaseException], Mapping[str, Any] | None] | None = None
    refusal: Callable[[str, ParsedError], AideError | None] | None = None

    def reasons(self, body: bytes | str | Mapping[str, Any] | None) -> frozenset[str]:
        data = _as_mapping(body)
        parsed = self.parse(data) if data is not None else None
        return parsed.reasons if parsed is not None else frozenset()

    def rate_limited(self, body: bytes | str | Mapping[str, Any] | None) -> bool:
        """Whether `body` names a rate limit."""
        return bool(self.reasons(body) & self.rate_limit_reasons)


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


def _parse(body: bytes | str | Mapping[str, Any] | None, profile: ErrorProfile | None) -> ParsedError:
    data = _as_mapping(body)
    if data is None:
        return ParsedError()
    if profile is not None and (parsed := profile.parse(data)) is not None:
        return parsed
    error: Any = data.get("error")
    if isinstance(error, str):  # OAuth token endpoint
        return ParsedError(_text(data.get("error_description")) or error, error)
    # {"message", "code", "status"} as many APIs answer, and RFC 9457 problem details ({"type", "title", "detail"})
    message = _text(data.get("message")) or _text(data.get("detail")) or _text(data.get("title"))
    return ParsedError(message, _code(data.get("code")), _int(data.get("status")))


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
    profile: ErrorProfile | None = None,
) -> AideError:
    """The `AideError` for an upstream error answer: `status` is the HTTP status, `body` the error body as sent,
    `profile` how to read the upstream's own body shape."""
    parsed = _parse(body, profile)
    rate_limit_reasons = profile.rate_limit_reasons if profile is not None else frozenset[str]()
    quota_reasons = profile.quota_reasons if profile is not None else frozenset[str]()
    status = status if status is not None else parsed.status
    detail = _clip(parsed.message) if parsed.message else _phrase(status)

    if profile is not None and profile.refusal is not None and (refused := profile.refusal(service, parsed)):
        return refused
    # A used-up quota first: OpenAI answers it with a 429, but unlike a rate limit it does not pass by waiting.
    if parsed.reasons & quota_reasons:
        return UpstreamError(
            service,
            status,
            detail,
            hint="The account's quota for this API is used up; retrying soon will not help. Tell the user.",
        )
    if status == 429 or parsed.reasons & rate_limit_reasons:
        return RateLimited(service, retry_after, detail=detail)
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


def from_exception(service: str, exc: BaseException, profile: ErrorProfile | None = None) -> AideError | None:
    """The `AideError` for an exception raised by an upstream client, or None when it is not an upstream failure;
    `profile` reads the upstream's own body shape (and, for a client that keeps no body, its exception's fields).

    An `AideError` is returned as it is. Knows httpx/httpx2, requests and httplib2-based API clients, exceptions that
    carry a `.status`, and builtin connection/timeout errors (see `aide_core.retry.classify`).
    """
    if isinstance(exc, AideError):
        return exc
    failure = classify(exc, profile)
    if failure is None:
        return None
    if failure.connection:
        return RequestNotSent(service) if failure.not_sent else UpstreamUnreachable(service)
    body: bytes | str | Mapping[str, Any] | None = response_body(exc)
    if body is None and profile is not None and profile.fields is not None:
        body = profile.fields(exc)
    return upstream_error(
        service,
        failure.status,
        body,
        retry_after=failure.retry_after,
        profile=profile,
    )
