"""Upstream error bodies and client exceptions become AideErrors a model can act on.

The bodies are the ones in /work/shared/reference/wire-formats.md (2.4 Notion, 3.5 Twilio); Google's are read by
aide_google's `ErrorProfile` and tested there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

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
from aide_core.upstream import ErrorProfile, ParsedError, from_exception, upstream_error


def shouting(data: Mapping[str, Any]) -> ParsedError | None:
    """A made-up upstream whose errors read `{"fault": {"text", "why"}}`."""
    fault = data.get("fault")
    if not isinstance(fault, dict):
        return None
    return ParsedError(message=fault.get("text"), reasons=frozenset({str(fault.get("why"))}))


SHOUTING = ErrorProfile(shouting, rate_limit_reasons=frozenset({"slow_down"}), quota_reasons=frozenset({"spent"}))


def fault(text: str, why: str) -> bytes:
    return json.dumps({"fault": {"text": text, "why": why}}).encode()


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
    error = upstream_error("Notion", 401, notion(401, "unauthorized", "API token is invalid."))
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
    error = upstream_error("Notion", 429, notion(429, "rate_limited", "Rate Limit Exceeded"), retry_after=12)
    assert isinstance(error, RateLimited) and error.retry_after == 12
    assert "retry in 12 s" in str(error)


def test_an_error_profile_reads_its_upstreams_own_shape_and_reasons() -> None:
    denied = upstream_error("Shout", 403, fault("You may not.", "forbidden"), profile=SHOUTING)
    assert isinstance(denied, PermissionDenied) and "You may not" in str(denied)
    slowed = upstream_error("Shout", 403, fault("Slow down.", "slow_down"), profile=SHOUTING)
    assert isinstance(slowed, RateLimited) and "Slow down" in str(slowed)
    spent = upstream_error("Shout", 403, fault("No more today.", "spent"), profile=SHOUTING)
    assert type(spent) is UpstreamError and spent.hint is not None and "quota" in spent.hint
    # without the profile the body is not understood: the status alone speaks, and nothing counts as a rate limit
    plain = upstream_error("Shout", 403, fault("Slow down.", "slow_down"))
    assert isinstance(plain, PermissionDenied) and "HTTP 403 Forbidden" in str(plain)
    # an OAuth token endpoint's error is read whatever the profile
    body = {"error": "invalid_grant", "error_description": "Bad grant."}
    oauth = upstream_error("Shout", 400, body, profile=SHOUTING)
    assert isinstance(oauth, InvalidInput) and "Bad grant" in str(oauth)


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


def test_from_exception_reads_an_httplib2_clients_http_error_with_the_upstreams_profile() -> None:
    exc = GoogleHttpError(
        Httplib2Response(403, {"retry-after": "5", "authorization": "Bearer ya29.secret"}),
        fault("Slow down.", "slow_down"),
    )
    error = from_exception("Shout", exc, SHOUTING)
    assert isinstance(error, RateLimited) and error.retry_after == 5
    assert "ya29" not in str(error)
    assert isinstance(from_exception("Shout", exc), PermissionDenied)


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
        content=json.dumps({"message": "Too many requests."}).encode(),
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
