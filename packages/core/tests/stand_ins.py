"""Stand-ins for the client libraries' exceptions, with the same attribute names as the real ones: those libraries
are not installed in aide-core (it must stay light); the server packages test against the real clients."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from aide_core.upstream import ErrorProfile, ParsedError


class Httplib2Response(dict[str, str]):
    """httplib2.Response: a dict of lowercase headers with the status as an attribute."""

    def __init__(self, status: int, headers: dict[str, str]) -> None:
        super().__init__(headers)
        self.status = status


class GoogleHttpError(Exception):
    """googleapiclient.errors.HttpError: `.resp` and the raw `.content` bytes."""

    def __init__(self, resp: Httplib2Response, content: bytes) -> None:
        super().__init__("HttpError")
        self.resp = resp
        self.content = content


class StatusBodyError(Exception):
    """A client exception with `.status`, `.headers` and the raw `.body` text (as some API clients raise)."""

    def __init__(self, status: int, headers: dict[str, str], body: str) -> None:
        super().__init__("status")
        self.status, self.headers, self.body = status, headers, body


class RequestsConnectionError(OSError):
    """requests.exceptions.ConnectionError."""


RequestsConnectionError.__module__ = "requests.exceptions"
RequestsConnectionError.__name__ = "ConnectionError"


class RequestsConnectTimeout(RequestsConnectionError):
    """requests.exceptions.ConnectTimeout (also a `Timeout` there): the connection was never made."""


RequestsConnectTimeout.__module__ = "requests.exceptions"
RequestsConnectTimeout.__name__ = "ConnectTimeout"


class FieldsOnlyError(Exception):
    """A client exception that keeps no body, only parsed fields: `.status`, `.msg` and `.code`, no headers."""

    def __init__(self, status: int, msg: str, code: int) -> None:
        super().__init__(msg)
        self.status, self.msg, self.code = status, msg, code


def _faults(data: Mapping[str, Any]) -> ParsedError | None:
    """A made-up upstream whose errors read `{"fault": {"text", "why"}}`."""
    fault = data.get("fault")
    if not isinstance(fault, dict):
        return None
    body = cast("dict[str, Any]", fault)
    return ParsedError(message=body.get("text"), reasons=frozenset({str(body.get("why"))}))


#: The error profile a made-up upstream's package would declare (`ServerSpec(errors="stand_ins:FAULTS")`).
FAULTS = ErrorProfile(_faults, rate_limit_reasons=frozenset({"slow_down"}))
