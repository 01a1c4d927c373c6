"""The Twilio REST API as an ASGI app. Mount it where both `client.api.base_url` and `client.lookups.base_url`
point: `/2010-04-01/Accounts/{AccountSid}/Messages[/{Sid}].json` and `/v2/PhoneNumbers/{number}` live side by side.

Every request: route, apply faults (keys `twilio.messages.create|list|fetch|update|delete`, `twilio.lookups.fetch`,
`twilio`, the path), check Basic auth (account SID + auth token; the SID must be the path's account), parse the
form body, and answer JSON or Twilio's error body. There are no client retries to please (wire-formats 3.5).
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from aide_sandbox.faults import Dropped, Faults, strike
from aide_sandbox.twilio import messages
from aide_sandbox.twilio.errors import TwilioError, invalid, not_found, unauthenticated
from aide_sandbox.twilio.lookup import lookup
from aide_sandbox.twilio.store import Account, Messaging

logger = logging.getLogger("aide.sandbox")
JsonObject = dict[str, Any]
_FAULTS = {
    429: (20429, "Too Many Requests"),
    500: (20500, "Internal Server Error"),
    503: (20503, "Service Unavailable"),
}
_ACCOUNT = r"2010-04-01/Accounts/(?P<account>AC[0-9a-f]{32})"
Handler = Callable[[Account, dict[str, str], dict[str, list[str]]], Response]


class TwilioApp:
    """ASGI app of the Messages and Lookup APIs over a `Messaging` store."""

    def __init__(self, store: Messaging, faults: Faults, clock: Callable[[], float], directory: dict[str, JsonObject]):
        self.store = store
        self.faults = faults
        self.clock = clock
        self.directory = directory
        self.routes: list[tuple[str, re.Pattern[str], str, Handler]] = [
            ("POST", re.compile(_ACCOUNT + r"/Messages\.json"), "messages.create", self.create),
            ("GET", re.compile(_ACCOUNT + r"/Messages\.json"), "messages.list", self.list),
            (
                "GET",
                re.compile(_ACCOUNT + r"/Messages/(?P<sid>[A-Z]{2}[0-9a-f]{32})\.json"),
                "messages.fetch",
                self.fetch,
            ),
            (
                "POST",
                re.compile(_ACCOUNT + r"/Messages/(?P<sid>[A-Z]{2}[0-9a-f]{32})\.json"),
                "messages.update",
                self.update,
            ),
            (
                "DELETE",
                re.compile(_ACCOUNT + r"/Messages/(?P<sid>[A-Z]{2}[0-9a-f]{32})\.json"),
                "messages.delete",
                self.delete,
            ),
            ("GET", re.compile(r"v2/PhoneNumbers/(?P<number>[^/]+)"), "lookups.fetch", self.lookup),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        root = scope.get("root_path", "")
        path = (scope["path"][len(root) :] if scope["path"].startswith(root) else scope["path"]).strip("/")
        try:
            response = await self._answer(request, path, scope, receive)
        except TwilioError as error:
            response = error.response()
        except Dropped:
            return
        except Exception:
            logger.exception("sandbox: twilio %s %s failed", request.method, path)
            response = TwilioError(500, 20500, "Internal Server Error").response()
        await response(scope, receive, send)

    async def _answer(self, request: Request, path: str, scope: Scope, receive: Receive) -> Response:
        routed = next(
            (
                (m.groupdict(), op, handler)
                for method, pattern, op, handler in self.routes
                if method == request.method and (m := pattern.fullmatch(path))
            ),
            None,
        )
        await self._fault([f"twilio.{routed[1] if routed else 'unknown'}", "twilio", f"/twilio/{path}"], scope, receive)
        if routed is None:
            raise not_found(f"/{path}")
        params, _, handler = routed
        account = self._authenticate(request, params.get("account"))
        form = parse_qs((await request.body()).decode(), keep_blank_values=True)
        for key, values in parse_qs(request.url.query, keep_blank_values=True).items():
            form.setdefault(key, values)
        return handler(account, {k: unquote(v) for k, v in params.items()}, form)

    def _authenticate(self, request: Request, path_account: str | None) -> Account:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            raise unauthenticated()
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            raise unauthenticated() from None
        account = self.store.account(user)
        if account is None or account.auth_token != password or (path_account and path_account != account.sid):
            raise unauthenticated()
        return account

    async def _fault(self, keys: list[str], scope: Scope, receive: Receive) -> None:
        fault = await strike(self.faults, keys, scope, receive)
        if fault is None:
            return
        if fault.status is not None:
            code, message = _FAULTS.get(fault.status, (fault.status * 100, "Injected fault."))
            headers = {"Retry-After": str(int(fault.retry_after))} if fault.retry_after is not None else {}
            raise TwilioError(fault.status, code, message, headers)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    # -- Messages -------------------------------------------------------------------------------------------------
    def create(self, account: Account, _params: dict[str, str], form: dict[str, list[str]]) -> Response:
        message, callback = messages.create(self.store, account.sid, form, self._now())
        self.store.add_message(account.sid, message, callback)
        return JSONResponse(messages.public(message), status_code=201)

    def list(self, account: Account, _params: dict[str, str], form: dict[str, list[str]]) -> Response:
        query = {key: values[0] for key, values in form.items()}
        found = [m.data for m in self.store.messages(account.sid) if messages.matches(m.data, query)]
        uri = f"/{messages.API_VERSION}/Accounts/{account.sid}/Messages.json"
        return JSONResponse(messages.page(found, query, uri))

    def _message(self, account: Account, sid: str) -> JsonObject:
        stored = self.store.message(account.sid, sid)
        if stored is None:
            raise not_found(messages.message_uri(account.sid, sid))
        return stored.data

    def fetch(self, account: Account, params: dict[str, str], _form: dict[str, list[str]]) -> Response:
        return JSONResponse(messages.public(self._message(account, params["sid"])))

    def update(self, account: Account, params: dict[str, str], form: dict[str, list[str]]) -> Response:
        message = dict(self._message(account, params["sid"]))
        if "Body" in form:
            if form["Body"][0] != "":
                raise invalid(20001, "Body can only be updated to an empty string (to redact the message).")
            if message["status"] not in messages.FINAL and message["status"] != "sent":
                raise TwilioError(400, 20009, "Cannot redact a message that is still being delivered.")
            message["body"] = ""
        if "Status" in form:
            if form["Status"][0] != "canceled" or message["status"] != "scheduled":
                raise invalid(20001, "Only a scheduled message can be canceled.")
            message["status"] = "canceled"
        message["date_updated"] = messages.rfc2822(self._now())
        return JSONResponse(messages.public(self.store.save_message(message)))

    def delete(self, account: Account, params: dict[str, str], _form: dict[str, list[str]]) -> Response:
        message = self._message(account, params["sid"])
        if message["status"] not in messages.FINAL and message["status"] != "sent":
            raise TwilioError(409, 20009, "Cannot delete a message that is still being delivered.")
        self.store.delete_message(message["sid"])
        return Response(status_code=204)

    # -- Lookup v2 ------------------------------------------------------------------------------------------------
    def lookup(self, _account: Account, params: dict[str, str], form: dict[str, list[str]]) -> Response:
        first = {key: values[0] for key, values in form.items()}
        return JSONResponse(lookup(params["number"], first.get("Fields"), first.get("CountryCode"), self.directory))
