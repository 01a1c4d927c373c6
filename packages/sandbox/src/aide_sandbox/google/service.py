"""One Google API as an ASGI app: route by the discovery document, apply faults, authenticate, check scopes,
validate, run the handler, and render Google's JSON or error body. Media uploads and the batch endpoint come through
the same `dispatch`, so a request behaves the same alone, uploaded or batched.

Handlers are plain functions of a `Call` keyed by the discovery method id (`gmail.users.messages.get`): they return
the resource as a dict (200), or None (204), and raise `GoogleError`.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from aide_sandbox.faults import Dropped, Faults, strike
from aide_sandbox.google.auth import Caller, TokenStore, require_scope
from aide_sandbox.google.batch import InnerRequest, InnerResponse, parse_batch, render_batch
from aide_sandbox.google.discovery import Api, Method
from aide_sandbox.google.errors import (
    GoogleError,
    backend_error,
    forbidden,
    invalid_argument,
    not_found,
    not_implemented,
    rate_limited,
)
from aide_sandbox.google.multipart import boundary_of, split_parts

logger = logging.getLogger("aide.sandbox")

_JSON = {"Content-Type": "application/json; charset=UTF-8"}
#: Domain and message Google gives with the usage-limit reasons a test may inject (any other reason: "global").
_FAULT_REASONS = {
    "rateLimitExceeded": ("usageLimits", "Rate Limit Exceeded"),
    "userRateLimitExceeded": ("usageLimits", "User Rate Limit Exceeded"),
    "quotaExceeded": ("usageLimits", "Quota exceeded for quota metric 'Queries'."),
    "dailyLimitExceeded": ("usageLimits", "Daily Limit Exceeded"),
}


@dataclass
class Call:
    """What a handler gets: the routed method, who calls, and the validated input."""

    method: Method
    caller: Caller
    params: dict[str, str]
    query: dict[str, Any]
    body: dict[str, Any] | None
    media: bytes | None = None
    media_type: str | None = None

    @property
    def account(self) -> str:
        return self.caller.account


Handler = Callable[[Call], dict[str, Any] | None]


@dataclass
class _Upload:
    method: Method
    caller: Caller
    params: dict[str, str]
    query: dict[str, Any]
    body: dict[str, Any] | None
    media_type: str
    total: int | None
    received: bytearray = field(default_factory=bytearray)


class GoogleService:
    """ASGI app of one API (mount it where the client's `rootUrl` points)."""

    def __init__(
        self, api: Api, handlers: dict[str, Handler], tokens: TokenStore, faults: Faults, service: str
    ) -> None:
        self.api = api
        self.handlers = handlers
        self.tokens = tokens
        self.faults = faults
        self.service = service
        self._uploads: dict[str, _Upload] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        root = scope.get("root_path", "")
        path = scope["path"][len(root) :] if scope["path"].startswith(root) else scope["path"]
        path = path.lstrip("/")
        body = await request.body()
        query = parse_qsl(request.url.query, keep_blank_values=True)
        headers = {key.lower(): value for key, value in request.headers.items()}
        if request.method == "POST" and path in (self.api.batch_path, f"batch/{self.api.name}/{self.api.version}"):
            inner = InnerRequest("", "POST", path, query, headers, body)
            response = await self._batch(inner, root, scope, receive)
        else:
            inner = InnerRequest("", request.method, path, query, headers, body)
            response = await self.dispatch(inner, scope, receive, str(request.url))
        if response is None:  # the connection was dropped
            return
        await Response(response.body, response.status, response.headers)(scope, receive, send)

    async def dispatch(
        self, request: InnerRequest, scope: Scope, receive: Receive, url: str = ""
    ) -> InnerResponse | None:
        """Answer one request; None when a fault dropped the connection."""
        try:
            return await self._dispatch(request, scope, receive, url)
        except GoogleError as error:
            return InnerResponse(error.code, _JSON | error.headers, error.content())
        except Dropped:
            return None
        except Exception:
            logger.exception("sandbox: %s %s failed", request.method, request.path)
            error = backend_error(500)
            return InnerResponse(500, _JSON, error.content())

    async def _dispatch(self, request: InnerRequest, scope: Scope, receive: Receive, url: str) -> InnerResponse:
        query = dict(request.query)
        if request.method == "PUT" and "upload_id" in query:
            return self._continue_upload(request, query)
        routed = self.api.route(request.method, request.path)
        if routed is None:
            if self.api.path_exists(request.path):
                raise GoogleError(405, "Method not allowed.", "methodNotAllowed", status="INVALID_ARGUMENT")
            raise not_found(f"Method not found: {request.method} /{request.path}")
        method, params, kind = routed
        await self._fault([method.id, self.service, "/" + request.path], scope, receive)
        caller = self._authenticate(request)
        require_scope(caller, method.scopes, self.service, method.id)
        user = params.get("userId")
        if user is not None and user not in ("me", caller.account):
            raise forbidden(f"Delegation denied for {caller.account}")
        values = self.api.parse_query(method, request.query)
        if kind == "upload":
            return self._upload(request, method, caller, params, values, url)
        body = self._json_body(method, request.body)
        return self._run(Call(method, caller, params, values, body))

    async def _batch(self, outer: InnerRequest, root: str, scope: Scope, receive: Receive) -> InnerResponse:
        await self._fault([f"{self.service}.batch", self.service, "/" + outer.path], scope, receive)
        try:
            requests = parse_batch(outer.headers.get("content-type", ""), outer.body, root)
        except GoogleError as error:
            return InnerResponse(error.code, _JSON | error.headers, error.content())
        answered: list[tuple[InnerRequest, InnerResponse]] = []
        for request in requests:
            if "authorization" not in request.headers and "authorization" in outer.headers:
                request.headers["authorization"] = outer.headers["authorization"]
            response = await self.dispatch(request, scope, receive)
            if response is None:
                raise Dropped
            answered.append((request, response))
        content_type, body = render_batch(answered)
        return InnerResponse(200, {"Content-Type": content_type}, body)

    async def _fault(self, keys: list[str], scope: Scope, receive: Receive) -> None:
        fault = await strike(self.faults, keys, scope, receive)
        if fault is None:
            return
        if fault.status == 429 and fault.reason is None:
            raise rate_limited(fault.retry_after)
        if fault.status is not None:
            if fault.status >= 500 and fault.reason is None:
                raise backend_error(fault.status, fault.retry_after)
            headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else None
            domain, message = _FAULT_REASONS.get(fault.reason or "", ("global", "Injected fault."))
            raise GoogleError(fault.status, message, fault.reason or "injectedFault", domain=domain, headers=headers)

    def _authenticate(self, request: InnerRequest) -> Caller:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer":
            token = dict(request.query).get("access_token", "")
        return self.tokens.caller(token.strip() or None)

    def _json_body(self, method: Method, raw: bytes) -> dict[str, Any] | None:
        if not raw.strip():
            return None
        try:
            body: object = json.loads(raw)
        except ValueError:
            raise invalid_argument("Invalid JSON payload received. Unexpected token.", reason="parseError") from None
        if method.request is None:
            return None  # Google ignores a body on methods that take none
        self.api.check_body(method.request, body)
        return cast(dict[str, Any], body)

    def _run(self, call: Call) -> InnerResponse:
        handler = self.handlers.get(call.method.id)
        if handler is None:
            raise not_implemented(call.method.id)
        result = handler(call)
        if result is None:
            return InnerResponse(204, {"Content-Length": "0"}, b"")
        return InnerResponse(200, _JSON, json.dumps(result).encode())

    # -- media uploads (wire-formats 1.5) -------------------------------------------------------------------------
    def _upload(
        self,
        request: InnerRequest,
        method: Method,
        caller: Caller,
        params: dict[str, str],
        query: dict[str, Any],
        url: str,
    ) -> InnerResponse:
        upload_type = query.get("uploadType")
        content_type = request.headers.get("content-type", "")
        if upload_type == "multipart":
            boundary = boundary_of(content_type)
            if not content_type.lower().startswith("multipart/related") or boundary is None:
                raise invalid_argument("uploadType=multipart needs a multipart/related body.", reason="badContent")
            parts = split_parts(request.body, boundary)
            if len(parts) != 2:
                raise invalid_argument("A multipart upload has exactly two parts: metadata and media.")
            (_, metadata), (media_headers, media) = parts
            body = self._json_body(method, metadata)
            media_type = media_headers.get_content_type()
            self._check_media(media_type, len(media))
            return self._run(Call(method, caller, params, query, body, media, media_type))
        if upload_type == "media":
            self._check_media(content_type.split(";")[0].strip(), len(request.body))
            return self._run(Call(method, caller, params, query, None, request.body, content_type))
        if upload_type == "resumable":
            media_type = request.headers.get("x-upload-content-type", "message/rfc822")
            length = request.headers.get("x-upload-content-length")
            total = int(length) if length and length.isdigit() else None
            self._check_media(media_type, total or 0)
            upload_id = secrets.token_urlsafe(16)
            body = self._json_body(method, request.body)
            self._uploads[upload_id] = _Upload(method, caller, params, query, body, media_type, total)
            location = f"{url}{'&' if '?' in url else '?'}upload_id={upload_id}"
            return InnerResponse(200, {"Location": location, "Content-Length": "0"}, b"")
        raise invalid_argument(f"Invalid uploadType: {upload_type!r}.", reason="invalidUploadType")

    def _continue_upload(self, request: InnerRequest, query: dict[str, str]) -> InnerResponse:
        upload = self._uploads.get(query["upload_id"])
        if upload is None:
            raise not_found("No upload session with this upload_id.")
        content_range = request.headers.get("content-range", "")
        if content_range.startswith("bytes */"):  # a status query: how much arrived
            return self._resume_incomplete(upload)
        if content_range.startswith("bytes "):
            span, _, total = content_range[6:].partition("/")
            start = int(span.split("-")[0])
            if start != len(upload.received):
                raise invalid_argument("Content-Range does not continue the upload.")
            if total.isdigit():
                upload.total = int(total)
        upload.received.extend(request.body)
        if upload.total is not None and len(upload.received) < upload.total:
            return self._resume_incomplete(upload)
        del self._uploads[query["upload_id"]]
        call = Call(upload.method, upload.caller, upload.params, upload.query, upload.body, bytes(upload.received))
        call.media_type = upload.media_type
        return self._run(call)

    @staticmethod
    def _resume_incomplete(upload: _Upload) -> InnerResponse:
        headers = {"Content-Length": "0"}
        if upload.received:
            headers["Range"] = f"bytes=0-{len(upload.received) - 1}"
        return InnerResponse(308, headers, b"")

    def _check_media(self, media_type: str, size: int) -> None:
        if not media_type.startswith("message/"):
            raise invalid_argument(
                f"Media type '{media_type}' is not supported. Valid media types: [message/*]",
                reason="badContent",
            )
        if size > 36_700_160:
            raise GoogleError(413, "Request Entity Too Large", "uploadTooLarge", status="OUT_OF_RANGE")
