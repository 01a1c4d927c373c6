"""Notion's error object, `{"object": "error", "status", "code", "message", "request_id"}`.

notion-client raises `APIResponseError` only for codes it knows (wire-formats 2.4) and decides retries on the
code, not the status: `rate_limited` is always retried (honouring Retry-After), `internal_server_error` and
`service_unavailable` only for GET and DELETE. So every error here uses one of those known codes.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.responses import JSONResponse

#: The code Notion uses for each status the emulator answers with.
CODES = {
    400: "validation_error",
    401: "unauthorized",
    403: "restricted_resource",
    404: "object_not_found",
    409: "conflict_error",
    429: "rate_limited",
    500: "internal_server_error",
    502: "internal_server_error",
    503: "service_unavailable",
    504: "gateway_timeout",
}


class NotionError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code or CODES.get(status, "internal_server_error")
        self.message = message
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {
            "object": "error",
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "request_id": str(uuid.uuid4()),
        }
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def validation(message: str) -> NotionError:
    return NotionError(400, message, "validation_error")


def not_found(kind: str, object_id: str) -> NotionError:
    return NotionError(
        404,
        f"Could not find {kind} with ID: {object_id}. Make sure the relevant pages and databases are shared with "
        "your integration.",
        "object_not_found",
    )
