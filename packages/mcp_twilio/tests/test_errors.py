"""Twilio's error bodies and the twilio library's exceptions become AideErrors a model can act on, through Twilio's
`ErrorProfile` (the bodies are the ones in /work/shared/reference/wire-formats.md, 3.5 Twilio)."""

from __future__ import annotations

import pytest

from aide_core.errors import AideError, InvalidInput, NotFound, PermissionDenied, PolicyRefused, RateLimited
from aide_core.retry import Failure, classify
from aide_core.upstream import from_exception, upstream_error
from aide_twilio.errors import TWILIO_ERRORS


class TwilioRestException(Exception):
    """A stand-in for twilio.base.exceptions.TwilioRestException (twilio is not installed yet): parsed fields only,
    no body, no headers."""

    def __init__(self, status: int, uri: str, msg: str, code: int) -> None:
        super().__init__(msg)
        self.status, self.uri, self.msg, self.code, self.method, self.details = status, uri, msg, code, "POST", None


class TwilioServiceException(Exception):
    """A stand-in for twilio 9.x's TwilioServiceException, raised for RFC 9457 bodies."""

    def __init__(self, status: int, code: int, title: str, detail: str) -> None:
        super().__init__(title)
        self.type, self.title, self.status, self.code, self.detail = "about:blank", title, status, code, detail
        self.instance, self.errors = None, None


def twilio(status: int, code: int, message: str) -> dict[str, object]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


@pytest.mark.parametrize(
    ("status", "body", "expected", "upstream_message"),
    [
        (400, twilio(400, 21211, "Invalid 'To' Phone Number: +1555BAD"), InvalidInput,
         "Invalid 'To' Phone Number: +1555BAD"),
        (401, twilio(401, 20003, "Authenticate"), PermissionDenied, "Authenticate"),
        (404, twilio(404, 20404, "The requested resource was not found"), NotFound,
         "The requested resource was not found"),
        (429, twilio(429, 20429, "Too Many Requests"), RateLimited, "Too Many Requests"),
        (400, {"type": "https://www.twilio.com/docs/errors/21212", "title": "Invalid From Number",
               "status": 400, "code": 21212, "detail": "The 'From' number +1000 is not valid."},
         InvalidInput, "The 'From' number +1000 is not valid"),
    ],
)  # fmt: skip
def test_each_twilio_error_body_maps_to_the_right_class_and_quotes_twilios_message(
    status: int, body: dict[str, object], expected: type[AideError], upstream_message: str
) -> None:
    error = upstream_error("Twilio", status, body, profile=TWILIO_ERRORS)
    assert type(error) is expected
    assert upstream_message in str(error) and "Twilio" in str(error)
    assert error.hint


def test_a_recipient_who_replied_stop_is_a_policy_refusal() -> None:
    body = twilio(400, 21610, "Attempt to send to unsubscribed recipient")
    error = upstream_error("Twilio", 400, body, profile=TWILIO_ERRORS)
    assert isinstance(error, PolicyRefused)
    assert "replied STOP" in str(error) and "Do not retry" in str(error)


def test_twilios_too_many_requests_code_is_a_rate_limit_whatever_the_status() -> None:
    error = upstream_error("Twilio", 400, twilio(400, 20429, "Too Many Requests"), profile=TWILIO_ERRORS)
    assert isinstance(error, RateLimited)


def test_no_body_falls_back_to_the_status() -> None:
    assert isinstance(upstream_error("Twilio", 400, None, profile=TWILIO_ERRORS), InvalidInput)


def test_from_exception_reads_twilio_exceptions_which_keep_no_body() -> None:
    uri = "/Accounts/AC123/Messages.json"
    stop = TwilioRestException(400, uri, "Unable to create record: Attempt to send to unsubscribed recipient", 21610)
    assert isinstance(from_exception("Twilio", stop, TWILIO_ERRORS), PolicyRefused)

    invalid = TwilioRestException(400, uri, "Unable to create record: Invalid 'To' Phone Number: +1555BAD", 21211)
    error = from_exception("Twilio", invalid, TWILIO_ERRORS)
    assert isinstance(error, InvalidInput) and "Invalid 'To' Phone Number: +1555BAD" in str(error)

    service = TwilioServiceException(400, 21212, "Invalid From Number", "The 'From' number +1000 is not valid.")
    error = from_exception("Twilio", service, TWILIO_ERRORS)
    assert isinstance(error, InvalidInput) and "+1000 is not valid" in str(error)


def test_a_twilio_exception_is_classified_by_its_status() -> None:
    exc = TwilioRestException(400, "/Accounts/AC123/Messages.json", "Unable to create record", 21211)
    assert classify(exc, TWILIO_ERRORS) == Failure(400, None, False)
