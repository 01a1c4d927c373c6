"""The Message resource: creating one from the form Twilio's client posts, and listing with filters and pages.

Checks in Twilio's order, with its codes: a To (21604), a Body or MediaUrl (21602), a From or MessagingServiceSid
(21603), a To that can be a phone number (21211), a From that is one of the account's numbers (21606), a known
messaging service (21701), a body of at most 1600 characters (21617), and a recipient who has not replied STOP to
that sender (21610). Segments are counted the way carriers do: 160 GSM-7 characters (153 when split) or 70 UCS-2
(67 when split).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

import phonenumbers

from aide_sandbox.twilio.errors import TwilioError, invalid
from aide_sandbox.twilio.store import Messaging

JsonObject = dict[str, Any]
API_VERSION = "2010-04-01"
_GSM = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€"
)
PRICE_PER_SEGMENT = 0.0079
FINAL = frozenset({"delivered", "undelivered", "failed", "received", "canceled", "read"})


def sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def rfc2822(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC))


def segments(body: str) -> int:
    if not body:
        return 1
    gsm = all(ch in _GSM for ch in body)
    single, multi = (160, 153) if gsm else (70, 67)
    return 1 if len(body) <= single else -(-len(body) // multi)


def e164(value: str, code: int, what: str) -> str:
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise invalid(code, f"Invalid '{what}' Phone Number: {value}") from None
    if not phonenumbers.is_possible_number(parsed):
        raise invalid(code, f"Invalid '{what}' Phone Number: {value}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def message_uri(account_sid: str, message_sid: str) -> str:
    return f"/{API_VERSION}/Accounts/{account_sid}/Messages/{message_sid}.json"


def resource(
    account_sid: str,
    *,
    to: str,
    sender: str | None,
    body: str,
    status: str,
    direction: str,
    now: datetime,
    media: list[str] | None = None,
    service_sid: str | None = None,
    message_sid: str | None = None,
) -> JsonObject:
    """A complete Message resource as Twilio answers it (dates RFC 2822, counts as strings)."""
    message_sid = message_sid or sid("SM" if not media else "MM")
    stamp = rfc2822(now)
    return {
        "account_sid": account_sid,
        "api_version": API_VERSION,
        "body": body,
        "date_created": stamp,
        "date_sent": stamp if direction == "inbound" else None,
        "date_updated": stamp,
        "direction": direction,
        "error_code": None,
        "error_message": None,
        "from": sender,
        "messaging_service_sid": service_sid,
        "num_media": str(len(media or [])),
        "num_segments": str(segments(body)) if sender else "0",
        "price": None,
        "price_unit": "USD",
        "sid": message_sid,
        "status": status,
        "subresource_uris": {"media": f"/{API_VERSION}/Accounts/{account_sid}/Messages/{message_sid}/Media.json"},
        "to": to,
        "uri": message_uri(account_sid, message_sid),
        "media_urls": media or [],  # kept for the simulator; removed before answering
    }


def public(message: JsonObject) -> JsonObject:
    return {key: value for key, value in message.items() if key != "media_urls"}


def create(
    store: Messaging, account_sid: str, form: dict[str, list[str]], now: datetime
) -> tuple[JsonObject, str | None]:
    """A new outbound message from the posted form, and its StatusCallback."""
    first = {key: values[0] for key, values in form.items() if values}
    media = form.get("MediaUrl", [])
    if not first.get("To"):
        raise invalid(21604, "A 'To' phone number is required.")
    body = first.get("Body", "")
    if not body and not media:
        raise invalid(21602, "Message body is required.")
    if not first.get("From") and not first.get("MessagingServiceSid"):
        raise invalid(21603, "A 'From' phone number is required.")
    to = e164(first["To"], 21211, "To")
    if len(body) > 1600:
        raise invalid(21617, "The concatenated message body exceeds the 1600 character limit.")
    service = first.get("MessagingServiceSid")
    sender: str | None = None
    if first.get("From"):
        sender = e164(first["From"], 21212, "From")
        number = store.number(sender)
        if number is None or number.account_sid != account_sid:
            raise invalid(
                21606,
                f"The From phone number {sender} is not a valid, SMS-capable inbound phone number or short "
                "code for your account.",
            )
    if service:
        pool = store.service_numbers(account_sid, service)
        if pool is None:
            raise invalid(21701, f"The Messaging Service Sid {service} is invalid.")
        if not pool:
            raise invalid(21704, "The Messaging Service contains no phone numbers.")
    if store.opted_out(sender or "", to) or (
        service and any(store.opted_out(n, to) for n in store.service_numbers(account_sid, service) or [])
    ):
        raise invalid(
            21610, "Attempt to send to unsubscribed recipient: the 'To' number has replied STOP to this sender."
        )
    status = "queued" if sender else "accepted"
    message = resource(
        account_sid,
        to=to,
        sender=sender,
        body=body,
        status=status,
        direction="outbound-api",
        now=now,
        media=media,
        service_sid=service,
    )
    return message, first.get("StatusCallback")


# -- listing ------------------------------------------------------------------------------------------------------
def _sent_day(message: JsonObject) -> datetime | None:
    stamp = message.get("date_sent") or message.get("date_created")
    return parsedate_to_datetime(stamp) if stamp else None


def _day(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid(20001, f"Invalid DateSent value: {value}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def matches(message: JsonObject, query: dict[str, str]) -> bool:
    """Twilio's list filters: To, From, DateSent (that day), DateSent< and DateSent> (on or before / after)."""
    if query.get("To") and message["to"] != query["To"]:
        return False
    if query.get("From") and message["from"] != query["From"]:
        return False
    sent = _sent_day(message)
    if query.get("DateSent"):
        wanted = _day(query["DateSent"])
        if sent is None or sent.date() != wanted.date():
            return False
    if query.get("DateSent<") and (sent is None or sent > _day(query["DateSent<"])):
        return False
    return not (query.get("DateSent>") and (sent is None or sent < _day(query["DateSent>"])))


def page(items: list[JsonObject], query: dict[str, str], list_uri: str) -> JsonObject:
    """One page of a list, with Twilio's paging keys; PageToken is `PA<sid of the last item before the page>`."""
    try:
        size = int(query.get("PageSize") or 50)
        number = int(query.get("Page") or 0)
    except ValueError:
        raise invalid(20001, "PageSize and Page must be integers.") from None
    if not 1 <= size <= 1000:
        raise invalid(20001, "PageSize must be between 1 and 1000.")
    start = number * size
    token = query.get("PageToken")
    if token:
        after = token.removeprefix("PA")
        position = next((i for i, item in enumerate(items) if item["sid"] == after), None)
        if position is None:
            raise TwilioError(400, 20001, f"Invalid PageToken: {token}")
        start = position + 1
    chunk = items[start : start + size]
    filters = {key: value for key, value in query.items() if key not in ("Page", "PageSize", "PageToken")}

    def uri(page_number: int, extra: dict[str, str] | None = None) -> str:
        return f"{list_uri}?{urlencode(filters | {'PageSize': str(size), 'Page': str(page_number)} | (extra or {}))}"

    has_next = start + size < len(items)
    return {
        "messages": [public(item) for item in chunk],
        "end": start + len(chunk) - 1 if chunk else start,
        "first_page_uri": uri(0),
        "next_page_uri": uri(number + 1, {"PageToken": f"PA{chunk[-1]['sid']}"}) if has_next and chunk else None,
        "page": number,
        "page_size": size,
        "previous_page_uri": uri(number - 1) if number > 0 else None,
        "start": start,
        "uri": f"{list_uri}?{urlencode(filters | {'PageSize': str(size), 'Page': str(number)})}",
    }
