"""Notion's error bodies and notion-client's exceptions become AideErrors a model can act on, through Notion's
`ErrorProfile` (the bodies are the ones in /work/shared/reference/wire-formats.md, 2.4 Notion)."""

from __future__ import annotations

import json

import pytest

from aide_core.errors import AideError, Conflict, InvalidInput, NotFound, PermissionDenied, RateLimited, UpstreamError
from aide_core.logs import register_secret
from aide_core.retry import classify
from aide_core.upstream import from_exception, upstream_error
from aide_notion.errors import NOTION_ERRORS


class APIResponseError(Exception):
    """A stand-in for notion_client.APIResponseError (notion-client is not installed yet): `.status`, `.headers`,
    the raw `.body` text, and the `.code` notion-client parses from the body."""

    def __init__(self, status: int, headers: dict[str, str], body: str, *, code: str = "object_not_found") -> None:
        super().__init__("notion")
        self.status, self.headers, self.body, self.code = status, headers, body, code


class RequestTimeoutError(Exception):
    """A stand-in for notion_client.errors.RequestTimeoutError."""


RequestTimeoutError.__module__ = "notion_client.errors"


def notion(status: int, code: str, message: str) -> str:
    return json.dumps({"object": "error", "status": status, "code": code, "message": message, "request_id": "r"})


@pytest.mark.parametrize(
    ("status", "code", "message", "expected"),
    [
        (404, "object_not_found", "Could not find page with ID: p404.", NotFound),
        (400, "validation_error", "body.parent should be defined.", InvalidInput),
        (401, "unauthorized", "API token is invalid.", PermissionDenied),
        (403, "restricted_resource", "Insufficient permissions.", PermissionDenied),
        (409, "conflict_error", "Conflict occurred while saving.", Conflict),
        (429, "rate_limited", "You have been rate limited.", RateLimited),
        (502, "internal_server_error", "Unexpected error.", UpstreamError),
    ],
)
def test_each_notion_error_body_maps_to_the_right_class_and_quotes_notions_message(
    status: int, code: str, message: str, expected: type[AideError]
) -> None:
    error = upstream_error("Notion", status, notion(status, code, message), profile=NOTION_ERRORS)
    assert type(error) is expected
    assert message.rstrip(".") in str(error) and "Notion" in str(error)
    assert error.hint


def test_a_401_says_the_sign_in_expired_and_to_sign_in_again() -> None:
    error = upstream_error("Notion", 401, notion(401, "unauthorized", "API token is invalid."), profile=NOTION_ERRORS)
    assert isinstance(error, PermissionDenied)
    assert error.hint is not None and "expired or was revoked" in error.hint and "sign in" in error.hint


def test_a_5xx_says_the_problem_is_on_notions_side_and_to_retry_later() -> None:
    error = upstream_error("Notion", 500, notion(500, "internal_server_error", "Oops."), profile=NOTION_ERRORS)
    assert isinstance(error, UpstreamError) and error.status == 500
    assert error.hint is not None and "Notion's side" in error.hint and "retry later" in error.hint


def test_rate_limits_carry_the_wait_notion_asked_for_and_the_code_alone_says_rate_limited() -> None:
    body = notion(429, "rate_limited", "Rate Limit Exceeded")
    error = upstream_error("Notion", 429, body, retry_after=12, profile=NOTION_ERRORS)
    assert isinstance(error, RateLimited) and error.retry_after == 12
    assert "retry in 12 s" in str(error)
    assert isinstance(upstream_error("Notion", 400, body, profile=NOTION_ERRORS), RateLimited)


def test_the_status_in_the_body_is_used_when_the_caller_has_none() -> None:
    error = upstream_error("Notion", None, notion(404, "object_not_found", "Gone."), profile=NOTION_ERRORS)
    assert isinstance(error, NotFound)


def test_a_non_json_body_falls_back_to_the_status() -> None:
    assert isinstance(upstream_error("Notion", 404, "not json", profile=NOTION_ERRORS), NotFound)


def test_long_messages_are_clipped_and_registered_secrets_masked() -> None:
    register_secret("sk-test-upstream-0123456789")
    message = "token sk-test-upstream-0123456789 was rejected; " + "x" * 1000
    text = str(upstream_error("Notion", 400, notion(400, "validation_error", message), profile=NOTION_ERRORS))
    assert "sk-test-upstream" not in text
    assert len(text) < 600


def test_from_exception_reads_a_notion_api_response_error() -> None:
    body = notion(404, "object_not_found", "Could not find page with ID: p404.")
    exc = APIResponseError(404, {"Authorization": "Bearer secret_abc"}, body)
    error = from_exception("Notion", exc, NOTION_ERRORS)
    assert isinstance(error, NotFound)
    assert "Could not find page with ID: p404" in str(error) and "secret_abc" not in str(error)


def test_notion_clients_timeout_is_a_retryable_failure_only_with_notions_profile() -> None:
    failure = classify(RequestTimeoutError(), NOTION_ERRORS)
    assert failure is not None and failure.connection and failure.retryable and not failure.not_sent
    assert classify(RequestTimeoutError()) is None
