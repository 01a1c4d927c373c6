"""Upstream error bodies and client exceptions become AideErrors a model can act on.

Core reads only standard shapes (OAuth's, `{"message", ...}`, RFC 9457's) and whatever an `ErrorProfile` declares,
here a made-up upstream's; each real upstream's profile is tested in the package that declares it (aide_google,
aide_notion, aide_twilio).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx
import pytest
from stand_ins import FieldsOnlyError, GoogleHttpError, Httplib2Response, StatusBodyError

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


def plain(status: int, code: str, message: str) -> str:
    """The common `{"message", "code", "status"}` shape."""
    return json.dumps({"status": status, "code": code, "message": message})


@pytest.mark.parametrize(
    ("service", "status", "body", "expected", "upstream_message"),
    [
        ("Example", 404, plain(404, "not_found", "Could not find page p404."), NotFound, "Could not find page p404"),
        ("Example", 400, plain(400, "invalid", "body.parent should be defined."), InvalidInput,
         "body.parent should be defined"),
        ("Example", 401, plain(401, "unauthorized", "API token is invalid."), PermissionDenied,
         "API token is invalid"),
        ("Example", 403, plain(403, "restricted", "Insufficient permissions."), PermissionDenied,
         "Insufficient permissions"),
        ("Example", 409, plain(409, "conflict", "Conflict occurred while saving."), Conflict,
         "Conflict occurred while saving"),
        ("Example", 429, plain(429, "slow", "You have been rate limited."), RateLimited, "You have been rate limited"),
        ("Example", 502, plain(502, "internal", "Unexpected error."), UpstreamError, "Unexpected error"),
        ("Example", 400, {"type": "https://example.com/errors/21212", "title": "Invalid From Number",
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
    error = upstream_error("Example", 401, plain(401, "unauthorized", "API token is invalid."))
    assert isinstance(error, PermissionDenied)
    assert error.hint is not None and "expired or was revoked" in error.hint and "sign in" in error.hint


def test_a_5xx_says_the_problem_is_on_the_service_side_and_to_retry_later() -> None:
    error = upstream_error("Example", 500, plain(500, "internal", "Oops."))
    assert isinstance(error, UpstreamError) and error.status == 500
    assert error.hint is not None and "Example's side" in error.hint and "retry later" in error.hint


def refuse_banned(service: str, parsed: ParsedError) -> AideError | None:
    return PolicyRefused(f"{service} will not: banned.", hint="Do not retry.") if parsed.code == "banned" else None


def test_a_profiles_refusal_speaks_before_the_status_and_only_under_that_profile() -> None:
    profile = ErrorProfile(shouting, refusal=refuse_banned)
    error = upstream_error("Shout", 400, plain(400, "banned", "No."), profile=profile)
    assert isinstance(error, PolicyRefused) and "Shout will not: banned" in str(error)
    assert isinstance(upstream_error("Shout", 400, plain(400, "banned", "No.")), InvalidInput)


def test_rate_limits_carry_the_wait_upstream_asked_for() -> None:
    error = upstream_error("Example", 429, plain(429, "slow", "Rate Limit Exceeded"), retry_after=12)
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

    assert isinstance(upstream_error("Example", 404, "not json"), NotFound)
    assert isinstance(upstream_error("Example", 400, None), InvalidInput)


def test_the_status_in_the_body_is_used_when_the_caller_has_none() -> None:
    assert isinstance(upstream_error("Example", None, plain(404, "not_found", "Gone.")), NotFound)


def test_long_messages_are_clipped_and_registered_secrets_masked() -> None:
    register_secret("sk-test-upstream-0123456789")
    message = "token sk-test-upstream-0123456789 was rejected; " + "x" * 1000
    text = str(upstream_error("Example", 400, plain(400, "invalid", message)))
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


def test_from_exception_reads_the_raw_body_of_an_exception_with_a_status() -> None:
    body = plain(404, "not_found", "Could not find page p404.")
    error = from_exception("Example", StatusBodyError(404, {"Authorization": "Bearer secret_abc"}, body))
    assert isinstance(error, NotFound)
    assert "Could not find page p404" in str(error) and "secret_abc" not in str(error)


def test_from_exception_reads_an_exception_that_keeps_no_body_through_the_profiles_fields() -> None:
    def fields(exc: BaseException) -> Mapping[str, Any] | None:
        return {"message": exc.msg, "code": str(exc.code)} if isinstance(exc, FieldsOnlyError) else None

    exc = FieldsOnlyError(400, "Invalid 'To' Phone Number: +1555BAD", 21211)
    error = from_exception("Shout", exc, ErrorProfile(shouting, fields=fields))
    assert isinstance(error, InvalidInput) and "Invalid 'To' Phone Number: +1555BAD" in str(error)
    bare = from_exception("Shout", exc)
    assert isinstance(bare, InvalidInput) and "HTTP 400 Bad Request" in str(bare)


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


@pytest.mark.anyio
async def test_a_server_reads_an_escaped_upstream_exception_with_the_error_profile_it_declared() -> None:
    """A tool that lets its client's exception escape gets the upstream's own message (read with the profile the
    server declared on its spec), not "internal error"; a server declaring no upstream still hides it."""
    from mcp import Client

    from aide_core.server import ServerSpec

    def raising(name: str, **declared: Any) -> ServerSpec[None]:
        spec = ServerSpec[None](name, **declared)

        @spec.tool()
        def lookup() -> dict[str, str]:
            """Look something up upstream."""
            raise StatusBodyError(429, {"retry-after": "7"}, fault("Too fast.", "slow_down").decode())

        return spec

    declared = raising("faulty", upstream="Faulty", errors="stand_ins:FAULTS")
    async with Client(declared.build()) as client:
        mapped = await client.call_tool("lookup", {})
    async with Client(raising("bare").build()) as client:
        hidden = await client.call_tool("lookup", {})
    assert mapped.is_error and mapped.content[0].text == (  # type: ignore[union-attr]
        "Error executing tool lookup: Faulty is rate limiting requests (Too fast). Do not repeat the call at once; "
        "retry in 7 s."
    )
    assert hidden.is_error and "internal error (trace id" in hidden.content[0].text  # type: ignore[union-attr]


def test_an_error_profile_is_declared_as_a_path_with_the_service_it_belongs_to() -> None:
    from aide_core.server import ServerSpec

    with pytest.raises(ValueError, match="'module:attribute' path"):
        ServerSpec[None]("faulty", errors="stand_ins:FAULTS")
    with pytest.raises(ValueError, match="'module:attribute' path"):
        ServerSpec[None]("faulty", upstream="Faulty", errors="stand_ins.FAULTS")
