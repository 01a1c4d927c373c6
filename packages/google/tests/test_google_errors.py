"""Google's error bodies, read by `GOOGLE_ERRORS`, become AideErrors a model can act on; a 403 rate limit is retried.

The bodies are the ones in /work/shared/reference/wire-formats.md (1.7 Google).
"""

from __future__ import annotations

import json

import httplib2
import pytest
from googleapiclient.errors import HttpError

from aide_core.errors import AideError, Conflict, InvalidInput, NotFound, PermissionDenied, RateLimited, UpstreamError
from aide_core.retry import Failure, call_with_retry, classify
from aide_core.upstream import from_exception, upstream_error
from aide_google.errors import GOOGLE_ERRORS


def google(code: int, message: str, reason: str, status: str = "") -> bytes:
    errors = [{"message": message, "domain": "global", "reason": reason}]
    return json.dumps({"error": {"code": code, "message": message, "errors": errors, "status": status}}).encode()


def http_error(status: int, body: bytes, headers: dict[str, str] | None = None) -> HttpError:
    """googleapiclient's own exception, as `execute()` raises it."""
    return HttpError(httplib2.Response({"status": str(status), **(headers or {})}), body, uri="https://gmail/x")


@pytest.mark.parametrize(
    ("service", "status", "body", "expected", "upstream_message"),
    [
        ("Gmail", 404, google(404, "Requested entity was not found.", "notFound", "NOT_FOUND"), NotFound,
         "Requested entity was not found"),
        ("Gmail", 400, google(400, "Invalid label id", "invalid", "INVALID_ARGUMENT"), InvalidInput,
         "Invalid label id"),
        ("Gmail", 401, google(401, "Invalid Credentials", "authError", "UNAUTHENTICATED"), PermissionDenied,
         "Invalid Credentials"),
        ("Gmail", 403, google(403, "Insufficient Permission", "insufficientPermissions"), PermissionDenied,
         "Insufficient Permission"),
        ("Gmail", 403, google(403, "User-rate limit exceeded.", "userRateLimitExceeded"), RateLimited,
         "User-rate limit exceeded"),
        ("Calendar", 409, google(409, "The requested identifier already exists.", "duplicate"), Conflict,
         "The requested identifier already exists"),
        ("Calendar", 412, google(412, "Precondition Failed", "conditionNotMet"), Conflict, "Precondition Failed"),
        ("Calendar", 410, google(410, "Sync token is no longer valid.", "fullSyncRequired"), NotFound,
         "Sync token is no longer valid"),
        ("Calendar", 503, google(503, "The service is currently unavailable.", "backendError"), UpstreamError,
         "The service is currently unavailable"),
    ],
)  # fmt: skip
def test_each_google_error_body_maps_to_the_right_class_and_quotes_googles_message(
    service: str, status: int, body: bytes, expected: type[AideError], upstream_message: str
) -> None:
    error = upstream_error(service, status, body, profile=GOOGLE_ERRORS)

    assert type(error) is expected
    assert upstream_message in str(error)
    assert service in str(error)
    assert error.hint


def test_a_google_rpc_style_rate_limit_reason_is_a_rate_limit() -> None:
    body = {"error": {"code": 403, "message": "Quota hit.", "status": "RESOURCE_EXHAUSTED",
                      "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                   "reason": "RATE_LIMIT_EXCEEDED"}]}}  # fmt: skip
    assert isinstance(upstream_error("Calendar", 403, body, profile=GOOGLE_ERRORS), RateLimited)


def test_a_used_up_quota_says_retrying_soon_will_not_help() -> None:
    body = google(403, "Daily Limit Exceeded", "dailyLimitExceeded")
    error = upstream_error("Gmail", 403, body, profile=GOOGLE_ERRORS)
    assert type(error) is UpstreamError and error.hint is not None and "retrying soon will not help" in error.hint


def test_the_status_in_a_google_body_is_used_when_the_caller_has_none() -> None:
    assert isinstance(upstream_error("Gmail", None, google(404, "Gone.", "notFound"), profile=GOOGLE_ERRORS), NotFound)


def test_from_exception_reads_a_googleapiclient_http_error() -> None:
    headers = {"retry-after": "5", "authorization": "Bearer ya29"}
    exc = http_error(403, google(403, "Rate Limit Exceeded", "rateLimitExceeded"), headers)
    error = from_exception("Gmail", exc, GOOGLE_ERRORS)
    assert isinstance(error, RateLimited) and error.retry_after == 5
    assert "ya29" not in str(error)


def test_a_google_403_rate_limit_is_retried_but_a_missing_scope_is_not() -> None:
    assert classify(http_error(403, google(403, "Slow", "userRateLimitExceeded")), GOOGLE_ERRORS) == Failure(
        403, None, False, rate_limited=True
    )
    waits: list[float] = []
    answers = iter([http_error(403, google(403, "Slow", "userRateLimitExceeded")), None])

    def attempt() -> str:
        failure = next(answers)
        if failure is not None:
            raise failure
        return "ok"

    assert call_with_retry(attempt, service="Gmail", idempotent=True, sleep=waits.append, profile=GOOGLE_ERRORS) == "ok"
    assert len(waits) == 1

    calls: list[int] = []

    def refused() -> str:
        calls.append(1)
        raise http_error(403, google(403, "Insufficient Permission", "insufficientPermissions"))

    with pytest.raises(HttpError):
        call_with_retry(refused, service="Gmail", idempotent=True, sleep=waits.append, profile=GOOGLE_ERRORS)
    assert len(calls) == 1
