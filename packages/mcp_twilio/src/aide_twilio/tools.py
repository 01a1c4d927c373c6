"""The read tools and the inbox: conversations and messages from Twilio's API (the caller's own account), Lookup,
and the unread texts the webhook stored for the caller, with their read marks.

Every listing is bounded (a page of at most `PAGE` items, cut further to the output budget) and continues with a
cursor bound to the tool and its arguments. With people routed by `[twilio.users]`, a person never sees the
conversations of numbers routed to someone else, even on a shared account.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from aide_core.errors import InvalidInput, NotFound
from aide_core.identity import current_user
from aide_core.paging import decode_cursor, encode_cursor, take_within_budget
from aide_core.phones import e164
from aide_twilio.app import body_of, explain, iso, spec, to_message
from aide_twilio.inbox import Stored
from aide_twilio.models import (
    Conversation,
    Conversations,
    Marked,
    MessageDetail,
    MessagePage,
    NumberInfo,
    SmsMessage,
    Unread,
)

__all__ = ["get_message", "list_conversations", "list_messages", "list_unread", "lookup_number", "mark_read"]

PAGE = 20
#: How far back a listing may page (messages fetched per direction): beyond it, narrow with since/until.
MAX_SCAN = 500
#: Recent messages list_conversations groups into conversations.
RECENT = 200
_SID = re.compile(r"^(SM|MM)[0-9a-f]{32}$")

Number = Annotated[str, Field(description="The other party's number, +<country code><number>.")]
Cursor = Annotated[str | None, Field(description="A next_cursor.")]
When = Annotated[str | None, Field(description="ISO date or date-time (UTC unless it has an offset).")]


def _budget() -> int:
    return spec.state().config.max_output_chars - 600


def _when(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"{name} {value[:40]!r} is not an ISO date.", hint="Use 2026-11-20 or 2026-11-20T18:00Z."
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _offset(cursor: str | None, tool: str, binds: dict[str, Any]) -> int:
    if not cursor:
        return 0
    offset = decode_cursor(cursor, tool, binds, fields={"offset": int})["offset"]
    if not 0 <= offset <= MAX_SCAN:
        raise InvalidInput("The cursor is damaged.", hint=f"Call {tool} again without a cursor.")
    return offset


def _page(items: list[Any], offset: int, tool: str, binds: dict[str, Any]) -> tuple[list[Any], str | None]:
    window = items[offset : offset + PAGE]
    count = take_within_budget(window, _budget())
    more = offset + count < len(items) and offset + count < MAX_SCAN
    return window[:count], encode_cursor(tool, {"offset": offset + count}, binds) if more else None


def _moment(message: dict[str, Any]) -> datetime:
    moment = message.get("date_sent") or message.get("date_created")
    return moment if isinstance(moment, datetime) else datetime.min.replace(tzinfo=UTC)


def _counterpart(message: dict[str, Any]) -> str:
    return str(message.get("from") if message.get("direction") == "inbound" else message.get("to"))


def _with_marks(messages: list[dict[str, Any]]) -> list[SmsMessage]:
    user = current_user()
    inbound = [m["sid"] for m in messages if m.get("direction") == "inbound"]
    marks = spec.state().inbox.read_marks(user, inbound)
    return [to_message(m, read=marks.get(m["sid"])) for m in messages]


@spec.tool()
def list_messages(
    number: Number,
    direction: Annotated[Literal["inbound", "outbound"] | None, Field(description="Both when omitted.")] = None,
    since: When = None,
    until: When = None,
    cursor: Cursor = None,
) -> MessagePage:
    """The conversation with one number, newest first."""
    state = spec.state()
    other = e164(number, state.config.default_region)
    after, before = _when(since, "since"), _when(until, "until")
    binds = {"number": other, "direction": direction, "since": since, "until": until}
    offset = _offset(cursor, "list_messages", binds)
    if other in state.others_senders(current_user()):
        return MessagePage(number=other, messages=[])
    client = state.client()
    limit = min(offset + PAGE + 1, MAX_SCAN)
    found: list[dict[str, Any]] = []
    if direction in (None, "inbound"):
        found += client.list(sender=other, after=after, before=before, limit=limit)
    if direction in (None, "outbound"):
        found += client.list(to=other, after=after, before=before, limit=limit)
    found = [m for m in found if (after is None or _moment(m) >= after) and (before is None or _moment(m) <= before)]
    found.sort(key=lambda m: (_moment(m), m["sid"]), reverse=True)
    window, next_cursor = _page(found, offset, "list_messages", binds)
    return MessagePage(number=other, messages=_with_marks(window), next_cursor=next_cursor)


@spec.tool()
def list_conversations(cursor: Cursor = None) -> Conversations:
    """The latest message with each number, most recent first, with unread inbound counts."""
    state = spec.state()
    user = current_user()
    offset = _offset(cursor, "list_conversations", {})
    hidden = state.others_senders(user)
    latest: dict[str, dict[str, Any]] = {}
    for message in sorted(state.client().list(limit=RECENT), key=lambda m: (_moment(m), m["sid"]), reverse=True):
        other = _counterpart(message)
        if other not in hidden and other not in latest:
            latest[other] = message
    unread = state.inbox.unread_counts(user)
    items = [
        Conversation(number=other, last=_with_marks([message])[0], unread=unread.get(other, 0))
        for other, message in latest.items()
    ]
    window, next_cursor = _page(items, offset, "list_conversations", {})
    return Conversations(conversations=window, next_cursor=next_cursor)


@spec.tool()
def get_message(sid: Annotated[str, Field(description="The message sid (SM… or MM…).")]) -> MessageDetail:
    """One message: its status, and its error code explained in words."""
    from twilio.base.exceptions import TwilioRestException

    sid = sid.strip()
    if not _SID.match(sid):
        raise InvalidInput(f"{sid[:40]!r} is not a message sid.", hint="Sids look like SM and 32 hex digits.")
    state = spec.state()
    try:
        message = state.client().fetch(sid)
    except TwilioRestException as exc:
        if exc.status != 404:
            raise
        message = None
    if message is None or _counterpart(message) in state.others_senders(current_user()):
        raise NotFound(f"No message {sid} in this account.", hint="list_messages shows the sids of a conversation.")
    base = _with_marks([message])[0]
    return MessageDetail(
        **base.model_dump(),
        error_code=message.get("error_code"),
        error=explain(message.get("error_code"), message.get("error_message")),
        price=message.get("price"),
        price_unit=message.get("price_unit"),
    )


_CAN_TEXT = {"mobile": True, "nonFixedVoip": True, "fixedVoip": True, "landline": False, "pager": False}


@spec.tool()
def lookup_number(number: Number) -> NumberInfo:
    """Validate a number with Twilio Lookup: its E.164 form, country, line type and carrier."""
    import phonenumbers

    state = spec.state()
    text = number.strip()
    try:
        parsed = phonenumbers.parse(text, None if text.startswith("+") else state.config.default_region)
    except phonenumbers.NumberParseException:
        e164(text, state.config.default_region)  # raises the error that says how to write a number
        raise
    found = state.client().lookup(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))
    line = found.get("line_type_intelligence") or {}
    line_type = line.get("type") if isinstance(line, dict) else None
    return NumberInfo(
        number=found.get("phone_number") or text,
        valid=bool(found.get("valid")),
        country=found.get("country_code"),
        national_format=found.get("national_format"),
        line_type=line_type,
        carrier=line.get("carrier_name") if isinstance(line, dict) else None,
        can_receive_sms=_CAN_TEXT.get(line_type) if line_type else None,
        problems=[str(error) for error in found.get("validation_errors") or []],
    )


def _stored(message: Stored) -> SmsMessage:
    inbound = message.direction == "inbound"
    return SmsMessage(
        sid=message.sid,
        direction="inbound" if inbound else "outbound",
        sender=message.counterpart if inbound else message.our_number,
        to=(message.our_number or "") if inbound else message.counterpart,
        body=body_of(message.sid, message.direction, message.counterpart, message.body),
        status=message.status,
        at=iso(message.created),
        media=len(message.media),
        read=message.read if inbound else None,
    )


def unread_page(cursor: str | None) -> Unread:
    offset = _offset(cursor, "list_unread", {})
    found, total = spec.state().inbox.unread(current_user(), offset=offset, limit=PAGE)
    items = [_stored(message) for message in found]
    count = take_within_budget(items, _budget())
    more = offset + count < total
    next_cursor = encode_cursor("list_unread", {"offset": offset + count}, {}) if more else None
    return Unread(messages=items[:count], total=total, next_cursor=next_cursor)


@spec.tool(open_world=False)
def list_unread(cursor: Cursor = None) -> Unread:
    """Texts received for you that are not marked read yet, newest first."""
    return unread_page(cursor)


@spec.tool(read_only=False, idempotent=True, open_world=False)
def mark_read(sids: Annotated[list[str], Field(min_length=1, max_length=100, description="Message sids.")]) -> Marked:
    """Mark received texts read (they leave list_unread)."""
    missing = spec.state().inbox.mark_read(current_user(), list(dict.fromkeys(sids)))
    return Marked(marked=len(set(sids)) - len(missing), not_found=missing)


@spec.resource("sms://inbox", name="inbox", description="Your unread texts.", mime_type="application/json")
def inbox() -> str:
    return json.dumps(unread_page(None).model_dump(), indent=1)
