"""Twilio's REST API through the official client (`twilio.rest.Client`): send, fetch and list Messages, Lookup v2.

Reads are retried on 429, 5xx and connection failures (`aide_core.retry`, an injectable sleep); a send never is: a
5xx or a timeout does not say whether the text went, and a text sent twice is worse than one that failed (the
guard's idempotency key stops a repeated call from sending twice instead). The client retries nothing itself
(wire-formats 3.5).

`twilio` is imported when the first client is made, never at server start. Pointing the client at the sandbox is
`base_url` on both the Messages (`api`) and Lookup domains; the edge and region the environment may name are
ignored then, since they rewrite the host (wire-formats 3.1).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from aide_core.retry import RetryPolicy

__all__ = ["Credentials", "TwilioClient"]

logger = logging.getLogger("aide.twilio")
T = TypeVar("T")
SERVICE = "Twilio"


@dataclass(frozen=True)
class Credentials:
    """What a stored account holds: the Account SID, and either an API key and secret or the auth token."""

    account_sid: str
    auth_token: str | None = None
    api_key: str | None = None
    api_secret: str | None = None

    @property
    def login(self) -> tuple[str, str]:
        if self.api_key and self.api_secret:
            return self.api_key, self.api_secret
        if self.auth_token:
            return self.account_sid, self.auth_token
        raise ValueError("a Twilio account needs an API key and secret or the auth token")


def _page_failure(exc: Exception) -> Exception:
    """`list()` raises a bare `TwilioException('Unable to fetch page', response)` on any error (wire-formats 3.3):
    turned into the `TwilioRestException` a fetch would raise, so a 429 is retried and a 401 reads as one."""
    from twilio.base.exceptions import TwilioRestException

    response = exc.args[1] if len(exc.args) > 1 else None
    status = getattr(response, "status_code", None)
    if not isinstance(status, int):
        return exc
    try:
        body: Any = json.loads(getattr(response, "text", "") or "{}")
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    message = body.get("message") if isinstance(body.get("message"), str) else "Unable to fetch page"
    code = body.get("code") if isinstance(body.get("code"), int) else status
    return TwilioRestException(status, "", f"Unable to fetch page: {message}", code, "GET")


def message_dict(message: Any) -> dict[str, Any]:
    """The fields of a `MessageInstance` the tools use, as plain values."""
    return {
        "sid": message.sid,
        "direction": message.direction,
        "from": message.from_,
        "to": message.to,
        "body": message.body or "",
        "status": message.status,
        "date_created": message.date_created,
        "date_sent": message.date_sent,
        "num_segments": message.num_segments,
        "num_media": message.num_media,
        "error_code": message.error_code,
        "error_message": message.error_message,
        "price": message.price,
        "price_unit": message.price_unit,
        "messaging_service_sid": message.messaging_service_sid,
    }


class TwilioClient:
    """One account's client."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        base_url: str | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        self.account_sid = credentials.account_sid
        self.http = TwilioHttpClient(timeout=30)
        username, password = credentials.login
        self.client = Client(username, password, credentials.account_sid, http_client=self.http)
        if base_url:
            self.client.edge = None
            self.client.region = None
            self.client.api.base_url = base_url.rstrip("/")
            self.client.lookups.base_url = base_url.rstrip("/")
        from aide_core.retry import RetryPolicy

        self.policy = policy or RetryPolicy()
        self.sleep = sleep

    def close(self) -> None:
        if self.http.session is not None:
            self.http.session.close()

    def _read(self, call: Callable[[], T]) -> T:
        from twilio.base.exceptions import TwilioException, TwilioRestException

        from aide_core.retry import call_with_retry
        from aide_twilio.errors import TWILIO_ERRORS

        def attempt() -> T:
            try:
                return call()
            except TwilioRestException:
                raise
            except TwilioException as exc:
                raise _page_failure(exc) from None

        return call_with_retry(
            attempt, service=SERVICE, idempotent=True, policy=self.policy, sleep=self.sleep, profile=TWILIO_ERRORS
        )

    # -- messages -----------------------------------------------------------------------------------------------
    def send(
        self,
        *,
        to: str,
        body: str,
        media_urls: list[str],
        sender: str | None,
        service_sid: str | None,
        status_callback: str | None,
    ) -> dict[str, Any]:
        """Create the message, once (never retried)."""
        from twilio.base import values

        created = self.client.messages.create(
            to=to,
            body=body or values.unset,
            from_=sender or values.unset,
            messaging_service_sid=service_sid or values.unset,
            media_url=media_urls or values.unset,
            status_callback=status_callback or values.unset,
        )
        return message_dict(created)

    def fetch(self, sid: str) -> dict[str, Any]:
        return self._read(lambda: message_dict(self.client.messages(sid).fetch()))

    def list(
        self,
        *,
        to: str | None = None,
        sender: str | None = None,
        after: datetime | None = None,
        before: datetime | None = None,
        limit: int = 50,
    ) -> list[dict[str, Any]]:
        """The newest `limit` messages matching the filters (Twilio filters by the day a message was sent)."""
        from twilio.base import values

        def call() -> list[dict[str, Any]]:
            found = self.client.messages.list(
                to=to or values.unset,
                from_=sender or values.unset,
                date_sent_after=after or values.unset,
                date_sent_before=before or values.unset,
                limit=limit,
                page_size=min(limit, 100),
            )
            return [message_dict(message) for message in found]

        return self._read(call)

    # -- lookup -------------------------------------------------------------------------------------------------
    def lookup(self, number: str) -> dict[str, Any]:
        def call() -> dict[str, Any]:
            found = self.client.lookups.v2.phone_numbers(number).fetch(fields="line_type_intelligence")
            return {
                "phone_number": found.phone_number,
                "valid": found.valid,
                "validation_errors": list(found.validation_errors or []),
                "country_code": found.country_code,
                "calling_country_code": found.calling_country_code,
                "national_format": found.national_format,
                "line_type_intelligence": found.line_type_intelligence,
            }

        return self._read(call)
