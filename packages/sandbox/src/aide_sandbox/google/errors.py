"""Google's error body, `{"error": {"code", "message", "errors": [{message, domain, reason}], "status"}}`.

google-api-python-client turns it into `HttpError` (wire-formats 1.7): `e.status_code`, `e.reason` (the message) and
`e.error_details` (the first of `details` / `errors`). Emulator code raises `GoogleError` anywhere below a route;
the dispatcher renders it with the matching HTTP status, so handlers never build error bodies by hand.
"""

from __future__ import annotations

import json
from typing import Any

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
}


class GoogleError(Exception):
    """An error the emulator answers with, shaped like Google's."""

    def __init__(
        self,
        code: int,
        message: str,
        reason: str,
        *,
        domain: str = "global",
        status: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason
        self.domain = domain
        self.status = status or _STATUS_NAMES.get(code, "UNKNOWN")
        self.headers = headers or {}
        self.extra = extra or {}
        self.details = details

    def body(self) -> dict[str, Any]:
        item: dict[str, Any] = {"message": self.message, "domain": self.domain, "reason": self.reason} | self.extra
        error: dict[str, Any] = {"code": self.code, "message": self.message, "errors": [item], "status": self.status}
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}

    def content(self) -> bytes:
        return json.dumps(self.body(), indent=2).encode()


def invalid_argument(message: str, reason: str = "invalid") -> GoogleError:
    return GoogleError(400, message, reason)


def failed_precondition(message: str) -> GoogleError:
    return GoogleError(400, message, "failedPrecondition", status="FAILED_PRECONDITION")


def not_found(message: str = "Requested entity was not found.") -> GoogleError:
    return GoogleError(404, message, "notFound")


def conflict(message: str) -> GoogleError:
    return GoogleError(409, message, "duplicate")


def unauthenticated(*, missing: bool) -> GoogleError:
    """401, in the two forms Google uses: no credential at all, and a credential that is wrong or expired."""
    if missing:
        message = (
            "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or "
            "other valid authentication credential. See https://developers.google.com/identity/sign-in/web/"
            "devconsole-project."
        )
        reason, item_message = "required", "Login Required."
    else:
        message = (
            "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other "
            "valid authentication credential. See https://developers.google.com/identity/sign-in/web/"
            "devconsole-project."
        )
        reason, item_message = "authError", "Invalid Credentials"
    error = GoogleError(
        401,
        message,
        reason,
        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'},
        extra={"location": "Authorization", "locationType": "header"},
    )
    error.extra["message"] = item_message
    return error


def insufficient_scope(service: str, method_id: str) -> GoogleError:
    error = GoogleError(
        403,
        "Request had insufficient authentication scopes.",
        "insufficientPermissions",
        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="insufficient_scope"'},
        details=[
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                "domain": "googleapis.com",
                "metadata": {"service": f"{service}.googleapis.com", "method": method_id},
            }
        ],
    )
    error.extra["message"] = "Insufficient Permission"
    return error


def forbidden(message: str) -> GoogleError:
    return GoogleError(403, message, "forbidden")


def rate_limited(retry_after: float | None = None) -> GoogleError:
    headers = {"Retry-After": _seconds(retry_after)} if retry_after is not None else {}
    return GoogleError(
        429,
        "Resource has been exhausted (e.g. check quota).",
        "rateLimitExceeded",
        domain="usageLimits",
        headers=headers,
    )


def backend_error(code: int = 500, retry_after: float | None = None) -> GoogleError:
    headers = {"Retry-After": _seconds(retry_after)} if retry_after is not None else {}
    if code == 503:
        return GoogleError(503, "The service is currently unavailable.", "backendError", headers=headers)
    return GoogleError(code, "Internal error encountered.", "backendError", headers=headers)


def not_implemented(method_id: str) -> GoogleError:
    return GoogleError(501, f"The sandbox does not emulate {method_id}.", "notImplemented")


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
