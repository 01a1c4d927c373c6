"""Stand-ins for the client libraries' exceptions, with the same attribute names as the real ones: those libraries
are not installed in aide-core (it must stay light); the server packages test against the real clients."""

from __future__ import annotations


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


class NotionAPIResponseError(Exception):
    """notion_client.APIResponseError / UnknownHTTPResponseError: `.status`, `.headers`, the raw `.body` text, and
    the `.code` notion-client parses from the body."""

    def __init__(self, status: int, headers: dict[str, str], body: str, *, code: str = "object_not_found") -> None:
        super().__init__("notion")
        self.status, self.headers, self.body, self.code = status, headers, body, code


class NotionRequestTimeoutError(Exception):
    """notion_client.errors.RequestTimeoutError."""


NotionRequestTimeoutError.__module__ = "notion_client.errors"
NotionRequestTimeoutError.__name__ = "RequestTimeoutError"


class RequestsConnectionError(OSError):
    """requests.exceptions.ConnectionError."""


RequestsConnectionError.__module__ = "requests.exceptions"
RequestsConnectionError.__name__ = "ConnectionError"


class RequestsConnectTimeout(RequestsConnectionError):
    """requests.exceptions.ConnectTimeout (also a `Timeout` there): the connection was never made."""


RequestsConnectTimeout.__module__ = "requests.exceptions"
RequestsConnectTimeout.__name__ = "ConnectTimeout"


class TwilioRestException(Exception):
    """twilio.base.exceptions.TwilioRestException: parsed fields only, no body, no headers."""

    def __init__(self, status: int, uri: str, msg: str, code: int) -> None:
        super().__init__(msg)
        self.status, self.uri, self.msg, self.code, self.method, self.details = status, uri, msg, code, "POST", None


class TwilioServiceException(Exception):
    """twilio 9.x TwilioServiceException, raised for RFC 9457 bodies."""

    def __init__(self, status: int, code: int, title: str, detail: str) -> None:
        super().__init__(title)
        self.type, self.title, self.status, self.code, self.detail = "about:blank", title, status, code, detail
        self.instance, self.errors = None, None
