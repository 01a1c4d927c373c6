"""Calendar times: RFC 3339 and `EventDateTime` in and out, in IANA zones through zoneinfo.

Everything is compared as aware datetimes; an all-day date is midnight in the zone the question is asked in (the
calendar's, or the request's `timeZone`), which is how Google places all-day events on a time line. DST is
zoneinfo's business: a weekly 09:00 meeting stays at 09:00 local when the offset changes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aide_sandbox.google.errors import GoogleError, invalid_argument


def zone(name: str | None, fallback: str = "UTC") -> ZoneInfo:
    """The IANA zone `name` (a 400 for an unknown one), or `fallback` when there is none."""
    try:
        return ZoneInfo(name or fallback)
    except (ZoneInfoNotFoundError, ValueError):
        raise GoogleError(400, f"Invalid time zone definition: {name}", "timeRangeEmpty") from None


def parse_rfc3339(value: str, what: str = "time") -> datetime:
    """An aware datetime; Google rejects times without an offset in query parameters."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise invalid_argument(f"Bad Request: invalid {what} {value!r}.") from None
    if parsed.tzinfo is None:
        raise invalid_argument(f"Bad Request: {what} {value!r} needs a time zone offset.")
    return parsed


def render(moment: datetime) -> str:
    """RFC 3339 the way Google writes it: seconds, an offset, `Z` for UTC."""
    text = moment.replace(microsecond=0).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") and moment.utcoffset() == timedelta(0) else text


def utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def is_all_day(when: dict[str, Any]) -> bool:
    return "date" in when and when.get("date") is not None


def event_zone(when: dict[str, Any], calendar_zone: str) -> ZoneInfo:
    return zone(when.get("timeZone"), calendar_zone)


def resolve(when: dict[str, Any], calendar_zone: str, *, field: str = "start") -> datetime:
    """The instant an `EventDateTime` stands for (an all-day date: midnight in `calendar_zone`)."""
    if is_all_day(when):
        day = parse_date(str(when["date"]))
        return datetime(day.year, day.month, day.day, tzinfo=zone(calendar_zone))
    text = when.get("dateTime")
    if not text:
        raise invalid_argument(f"Missing {field} time.", reason="required")
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        raise invalid_argument(f"Invalid {field} time.") from None
    if moment.tzinfo is None:
        if not when.get("timeZone"):
            raise invalid_argument(f"Missing time zone definition for {field} time.")
        moment = moment.replace(tzinfo=zone(when["timeZone"]))
    return moment


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise invalid_argument(f"Invalid date {text!r}.") from None


def local(moment: datetime, tz: tzinfo) -> datetime:
    return moment.astimezone(tz)


def event_date_time(moment: datetime, zone_name: str | None) -> dict[str, Any]:
    """A timed `EventDateTime` for `moment`, written in `zone_name` (kept as its `timeZone`) when given."""
    if zone_name:
        return {"dateTime": render(moment.astimezone(zone(zone_name))), "timeZone": zone_name}
    return {"dateTime": render(moment)}


def in_zone(when: dict[str, Any], zone_name: str | None) -> dict[str, Any]:
    """`when` with its dateTime rewritten in `zone_name` (the request's `timeZone`); dates stay dates."""
    if not zone_name or is_all_day(when) or not when.get("dateTime"):
        return when
    moment = resolve(when, zone_name)
    return when | {"dateTime": render(moment.astimezone(zone(zone_name)))}


def now_rfc3339(seconds: float) -> str:
    """`updated` / `created` stamps: UTC with milliseconds, as Google writes them."""
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
