"""Upstream error bodies and client exceptions become AideErrors a model can act on.

The bodies are the ones in /work/shared/reference/wire-formats.md (1.7 Google, 2.4 Notion, 3.5 Twilio).
"""

from __future__ import annotations

import json

import httpx
import pytest
from stand_ins import (
    GoogleHttpError,
    Httplib2Response,
    NotionAPIResponseError,
    TwilioRestException,
    TwilioServiceException,
)

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
from aide_core.logs import register_secret
from aide_core.retry import NotSent
from aide_core.upstream import from_exception, upstream_error


def google(code: int, message: str, reason: str, status: str = "") -> bytes:
    errors = [{"message": message, "domain": "global", "reason": reason}]
    return json.dumps({"error": {"code": code, "message": message, "errors": errors, "status": status}}).encode()


def notion(status: int, code: str, message: str) -> str:
    return json.dumps({"object": "error", "status": status, "code": code, "message": message, "request_id": "r"})


def twilio(status: int, code: int, message: str) -> dict[str, object]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


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
        ("Notion", 404, notion(404, "object_not_found", "Could not find page with ID: p404."), NotFound,
         "Could not find page with ID: p404"),
        ("Notion", 400, notion(400, "validation_error", "body.parent should be defined."), InvalidInput,
         "body.parent should be defined"),
        ("Notion", 401, notion(401, "unauthorized", "API token is invalid."), PermissionDenied,
         "API token is invalid"),
        ("Notion", 403, notion(403, "restricted_resource", "Insufficient permissions."), PermissionDenied,
         "Insufficient permissions"),
        ("Notion", 409, notion(409, "conflict_error", "Conflict occurred while saving."), Conflict,
         "Conflict occurred while saving"),
        ("Notion", 429, notion(429, "rate_limited", "You have been rate limited."), RateLimited,
         "You have been rate limited"),
        ("Notion", 502, notion(502, "internal_server_error", "Unexpected error."), UpstreamError, "Unexpected error"),
        ("Twilio", 400, twilio(400, 21211, "Invalid 'To' Phone Number: +1555BAD"), InvalidInput,
         "Invalid 'To' Phone Number: +1555BAD"),
        ("Twilio", 401, twilio(401, 20003, "Authenticate"), PermissionDenied, "Authenticate"),
        ("Twilio", 404, twilio(404, 20404, "The requested resource was not found"), NotFound,
         "The requested resource was not found"),
        ("Twilio", 429, twilio(429, 20429, "Too Many Requests"), RateLimited, "Too Many Requests"),
        ("Twilio", 400, {"type": "https://www.twilio.com/docs/errors/21212", "title": "Invalid From Number",
                         "status": 400, "code": 21212, "detail": "The 'From' number +1000 is not valid."},
         InvalidInput, "The 'From' number +1000 is not valid"),
    ],
)  # fmt: skip
def test_each_upstream_error_body_maps_to_the_right_class_and_quotes_the_upstream_message(
    service: str, status: int, body: bytes | str | dict[str, object], expected: type[AideError], upstream_message: str
) -> None:
    error = upstream_error(service, status, body)

    assert type(error) is expected
    assert upstream_message in str(error)
    assert service in str(error)
    assert error.hint


def test_a_401_says_the_sign_in_expired_and_to_sign_in_again() -> None:
    error = upstream_error("Gmail", 401, google(401, "Invalid Credentials", "authError"))
    assert isinstance(error, PermissionDenied)
    assert error.hint is not None and "expired or was revoked" in error.hint and "sign in" in error.hint


def test_a_5xx_says_the_problem_is_on_the_service_side_and_to_retry_later() -> None:
    error = upstream_error("Notion", 500, notion(500, "internal_server_error", "Oops."))
    assert isinstance(error, UpstreamError) and error.status == 500
    assert error.hint is not None and "Notion's side" in error.hint and "retry later" in error.hint


def test_a_recipient_who_replied_stop_is_a_policy_refusal() -> None:
    body = twilio(400, 21610, "Attempt to send to unsubscribed recipient")
    error = upstream_error("Twilio", 400, body)
    assert isinstance(error, PolicyRefused)
    assert "replied STOP" in str(error) and "Do not retry" in str(error)


def test_rate_limits_carry_the_wait_upstream_asked_for() -> None:
    error = upstream_error("Gmail", 429, google(429, "Rate Limit Exceeded", "rateLimitExceeded"), retry_after=12)
    assert isinstance(error, RateLimited) and error.retry_after == 12
    assert "retry in 12 s" in str(error)


def test_a_google_rpc_style_rate_limit_reason_is_a_rate_limit() -> None:
    body = {"error": {"code": 403, "message": "Quota hit.", "status": "RESOURCE_EXHAUSTED",
                      "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                   "reason": "RATE_LIMIT_EXCEEDED"}]}}  # fmt: skip
    assert isinstance(upstream_error("Calendar", 403, body), RateLimited)


def test_a_non_json_body_falls_back_to_the_status_and_is_never_quoted() -> None:
    error = upstream_error("Gmail", 502, b"<html><body>Bad gateway, request id abc</body></html>")
    assert isinstance(error, UpstreamError) and error.status == 502
    assert "HTTP 502 Bad Gateway" in str(error)
    assert "<html" not in str(error)

    assert isinstance(upstream_error("Notion", 404, "not json"), NotFound)
    assert isinstance(upstream_error("Twilio", 400, None), InvalidInput)


def test_the_status_in_the_body_is_used_when_the_caller_has_none() -> None:
    assert isinstance(upstream_error("Notion", None, notion(404, "object_not_found", "Gone.")), NotFound)


def test_long_messages_are_clipped_and_registered_secrets_masked() -> None:
    register_secret("sk-test-upstream-0123456789")
    message = "token sk-test-upstream-0123456789 was rejected; " + "x" * 1000
    text = str(upstream_error("Notion", 400, notion(400, "validation_error", message)))
    assert "sk-test-upstream" not in text
    assert len(text) < 600


def test_from_exception_reads_a_googleapiclient_http_error() -> None:
    exc = GoogleHttpError(
        Httplib2Response(403, {"retry-after": "5", "authorization": "Bearer ya29.secret"}),
        google(403, "Rate Limit Exceeded", "rateLimitExceeded"),
    )
    error = from_exception("Gmail", exc)
    assert isinstance(error, RateLimited) and error.retry_after == 5
    assert "ya29" not in str(error)


def test_from_exception_reads_a_notion_api_response_error() -> None:
    body = notion(404, "object_not_found", "Could not find page with ID: p404.")
    error = from_exception("Notion", NotionAPIResponseError(404, {"Authorization": "Bearer secret_abc"}, body))
    assert isinstance(error, NotFound)
    assert "Could not find page with ID: p404" in str(error) and "secret_abc" not in str(error)


def test_from_exception_reads_twilio_exceptions() -> None:
    uri = "/Accounts/AC123/Messages.json"
    stop = TwilioRestException(400, uri, "Unable to create record: Attempt to send to unsubscribed recipient", 21610)
    assert isinstance(from_exception("Twilio", stop), PolicyRefused)

    invalid = TwilioRestException(400, uri, "Unable to create record: Invalid 'To' Phone Number: +1555BAD", 21211)
    error = from_exception("Twilio", invalid)
    assert isinstance(error, InvalidInput) and "Invalid 'To' Phone Number: +1555BAD" in str(error)

    service = TwilioServiceException(400, 21212, "Invalid From Number", "The 'From' number +1000 is not valid.")
    error = from_exception("Twilio", service)
    assert isinstance(error, InvalidInput) and "+1000 is not valid" in str(error)


def test_from_exception_reads_a_real_httpx_status_error() -> None:
    request = httpx.Request("GET", "https://gmail.example/users/me/messages/x", headers={"Authorization": "Bearer t0k"})
    response = httpx.Response(
        429,
        headers={"Retry-After": "7"},
        content=google(429, "Too many requests.", "rateLimitExceeded"),
        request=request,
    )
    with pytest.raises(httpx.HTTPStatusError) as raised:
        response.raise_for_status()

    error = from_exception("Gmail", raised.value)
    assert isinstance(error, RateLimited) and error.retry_after == 7
    assert "Too many requests" in str(error) and "t0k" not in str(error)


def test_from_exception_says_a_connection_failure_is_a_network_problem() -> None:
    error = from_exception("Calendar", ConnectionResetError("[Errno 104] Connection reset by peer"))
    assert isinstance(error, UpstreamUnreachable) and isinstance(error, UpstreamError)
    assert not isinstance(error, RequestNotSent)
    assert "No answer from Calendar" in str(error) and "retry later" in str(error)
    assert "check first whether it went through" in str(error)
    assert isinstance(from_exception("Gmail", TimeoutError()), UpstreamUnreachable)


def test_from_exception_says_a_failure_to_connect_sent_nothing() -> None:
    for exc in (httpx.ConnectError("[Errno 111] Connection refused"), NotSent("refused"), ConnectionRefusedError()):
        error = from_exception("Calendar", exc)
        assert isinstance(error, RequestNotSent) and isinstance(error, UpstreamUnreachable), exc
        assert "Could not connect to Calendar, so the request was not sent and nothing was done" in str(error)


def test_from_exception_passes_aide_errors_through_and_ignores_bugs() -> None:
    already = RateLimited("Gmail", 3)
    assert from_exception("Gmail", already) is already
    assert from_exception("Gmail", KeyError("x")) is None
