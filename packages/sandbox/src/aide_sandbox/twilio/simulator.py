"""What the carrier network would do, one step at a time: delivery progress with signed status callbacks, and
inbound SMS delivered to the number's webhook.

Tests call `advance()` (or `POST /admin/twilio/advance`): each step moves every outbound message one status on,
`accepted → queued → sent → delivered`, or `queued → failed` / `sent → undelivered` for numbers given a fate
(`set_fate`). Every new status is POSTed to the message's StatusCallback, form-encoded and signed as Twilio signs:
`X-Twilio-Signature = base64(HMAC-SHA1(auth token, URL + the sorted name+value pairs))`. Nothing runs on its own,
so a test never sleeps; callbacks are POSTed before `advance()` returns.

`inbound()` stores a received message, honours STOP/START keywords (a STOPped sender gets 21610 afterwards), POSTs
the signed webhook to the number's SMS URL, and sends the `<Message>`s of the TwiML it answers as replies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

from aide_sandbox.twilio.messages import API_VERSION, PRICE_PER_SEGMENT, e164, resource, rfc2822, segments
from aide_sandbox.twilio.store import Messaging, StoredMessage

JsonObject = dict[str, Any]
OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN = frozenset({"START", "YES", "UNSTOP"})
ERRORS = {
    30003: "Unreachable destination handset",
    30005: "Unknown destination handset",
    30006: "Landline or unreachable carrier",
    30007: "Message filtered",
    30008: "Unknown error",
}


def sign(auth_token: str, url: str, params: list[tuple[str, str]]) -> str:
    """Twilio's request signature over a form POST to `url`."""
    payload = url + "".join(name + value for name, value in sorted(set(params)))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


@dataclass(frozen=True)
class Delivery:
    """One webhook or status callback POST and how the receiver answered (status None: it could not be reached)."""

    url: str
    params: dict[str, str]
    signature: str
    status: int | None
    body: str


@dataclass
class Inbound:
    message: JsonObject
    delivery: Delivery | None
    replies: list[JsonObject] = field(default_factory=list[JsonObject])


def post(url: str, params: list[tuple[str, str]], auth_token: str) -> Delivery:
    signature = sign(auth_token, url, params)
    request = urllib.request.Request(
        url,
        data=urlencode(params).encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "X-Twilio-Signature": signature,
            "User-Agent": "TwilioProxy/1.1",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, body = response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read().decode("utf-8", "replace")
        error.close()
    except (urllib.error.URLError, OSError):
        status, body = None, ""
    return Delivery(url, dict(params), signature, status, body)


class Simulator:
    def __init__(self, store: Messaging, clock: Callable[[], float]) -> None:
        self.store = store
        self.clock = clock

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def set_webhook(self, number: str, url: str | None) -> None:
        """Where inbound SMS to the sandbox `number` are POSTed (None: nowhere)."""
        self.store.set_webhook(number, url)

    def set_fate(self, number: str, status: str | None, error_code: int = 30003) -> None:
        """Messages to `number` end `failed` or `undelivered` with `error_code` (None: delivered, the default)."""
        if status not in (None, "failed", "undelivered"):
            raise ValueError("a fate is 'failed', 'undelivered' or None")
        self.store.set_fate(number, status, error_code)

    def advance(self, steps: int = 1) -> list[Delivery]:
        """Move every outbound message on `steps` times; the status callbacks POSTed, in order."""
        deliveries: list[Delivery] = []
        for _ in range(steps):
            for stored in reversed(self.store.messages()):  # oldest first
                moved = self._step(stored)
                if moved is not None and stored.status_callback:
                    deliveries.append(self._callback(stored, moved))
        return deliveries

    def _step(self, stored: StoredMessage) -> JsonObject | None:
        message = dict(stored.data)
        status = message["status"]
        fate = self.store.fate(message["to"])
        now = rfc2822(self.now())
        if status == "accepted":
            pool = self.store.service_numbers(stored.account_sid, message["messaging_service_sid"] or "") or []
            message |= {
                "status": "queued",
                "from": pool[0] if pool else None,
                "num_segments": str(segments(message["body"])),
            }
        elif status == "queued":
            if fate and fate[0] == "failed":
                message |= {"status": "failed", "error_code": fate[1], "error_message": ERRORS.get(fate[1])}
            else:
                price = -PRICE_PER_SEGMENT * int(message["num_segments"])
                message |= {"status": "sent", "date_sent": now, "price": f"{price:.5f}"}
        elif status == "sent":
            if fate and fate[0] == "undelivered":
                message |= {"status": "undelivered", "error_code": fate[1], "error_message": ERRORS.get(fate[1])}
            else:
                message["status"] = "delivered"
        else:
            return None
        message["date_updated"] = now
        return self.store.save_message(message)

    def _callback(self, stored: StoredMessage, message: JsonObject) -> Delivery:
        params = [
            ("MessageSid", message["sid"]),
            ("SmsSid", message["sid"]),
            ("MessageStatus", message["status"]),
            ("SmsStatus", message["status"]),
            ("AccountSid", stored.account_sid),
            ("From", message["from"] or ""),
            ("To", message["to"]),
            ("ApiVersion", API_VERSION),
        ]
        if message.get("messaging_service_sid"):
            params.append(("MessagingServiceSid", message["messaging_service_sid"]))
        if message.get("error_code"):
            params.append(("ErrorCode", str(message["error_code"])))
        account = self.store.account(stored.account_sid)
        assert account is not None and stored.status_callback is not None
        return post(stored.status_callback, params, account.auth_token)

    def inbound(self, sender: str, to: str, body: str, media_urls: list[str] | None = None) -> Inbound:
        """An SMS from `sender` to the sandbox number `to` arrives."""
        sender = e164(sender, 21211, "From")
        number = self.store.number(to)
        if number is None:
            raise KeyError(f"{to} is not a sandbox Twilio number")
        message = resource(
            number.account_sid,
            to=to,
            sender=sender,
            body=body,
            status="received",
            direction="inbound",
            now=self.now(),
            media=media_urls,
            service_sid=number.service_sid,
        )
        self.store.add_message(number.account_sid, message, None)
        keyword = body.strip().upper()
        if keyword in OPT_OUT | OPT_IN:
            self.store.opt_out(to, sender, keyword in OPT_OUT)
        result = Inbound(message, None)
        if not number.sms_url:
            return result
        params = [
            ("MessageSid", message["sid"]),
            ("SmsSid", message["sid"]),
            ("SmsMessageSid", message["sid"]),
            ("AccountSid", number.account_sid),
            ("From", sender),
            ("To", to),
            ("Body", body),
            ("NumMedia", str(len(media_urls or []))),
            ("NumSegments", message["num_segments"]),
            ("SmsStatus", "received"),
            ("ApiVersion", API_VERSION),
        ]
        if number.service_sid:
            params.append(("MessagingServiceSid", number.service_sid))
        for index, url in enumerate(media_urls or []):
            params += [(f"MediaUrl{index}", url), (f"MediaContentType{index}", "image/jpeg")]
        if keyword in OPT_OUT:
            params.append(("OptOutType", "STOP"))
        elif keyword in OPT_IN:
            params.append(("OptOutType", "START"))
        account = self.store.account(number.account_sid)
        assert account is not None
        result.delivery = post(number.sms_url, params, account.auth_token)
        for text in _twiml_messages(result.delivery.body):
            reply = resource(
                number.account_sid,
                to=sender,
                sender=to,
                body=text,
                status="queued",
                direction="outbound-reply",
                now=self.now(),
            )
            result.replies.append(self.store.add_message(number.account_sid, reply, None))
        return result


def _twiml_messages(body: str) -> list[str]:
    """The texts of the `<Message>` verbs of a TwiML answer (none for anything that is not TwiML)."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return []
    if root.tag != "Response":
        return []
    texts: list[str] = []
    for verb in root.iter("Message"):
        inner = verb.find("Body")
        texts.append((inner.text if inner is not None else verb.text) or "")
    return texts
