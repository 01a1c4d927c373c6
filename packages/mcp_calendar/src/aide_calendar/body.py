"""Event bodies from a call's arguments: times resolved in a zone, recurrence, attendees, reminders and Meet, each
checked with an error that says what to send. Pure apart from the clock it is given; the tools' plans call it."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from aide_calendar.recurrence import recurrence_lines
from aide_calendar.times import Moment, read_phrase, when
from aide_core.errors import InvalidInput

_EMAIL = re.compile(
    r"[^@\s,;<>\"()\[\]\\]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+"
)
#: Longest event, in minutes (two weeks).
MAX_MINUTES = 14 * 24 * 60
Transparency = Literal["busy", "free"]
Visibility = Literal["default", "public", "private"]


def one_line(value: str | None, what: str, limit: int = 1000) -> str | None:
    """A single-line text field from the caller (a title, a place): no line breaks or control characters."""
    if value is None:
        return None
    if len(value) > limit or not value.isprintable():
        raise InvalidInput(
            f"The {what} must be one line of at most {limit} printable characters.",
            hint="Put details in the description.",
        )
    return value.strip()


def free_text(value: str | None, what: str, limit: int = 8000) -> str | None:
    if value is None:
        return None
    cleaned = value.replace("\r\n", "\n")
    if len(cleaned) > limit or any(not (c.isprintable() or c in "\n\t") for c in cleaned):
        raise InvalidInput(f"The {what} must be text of at most {limit} characters without control characters.")
    return cleaned


def emails(values: list[str] | None, what: str = "attendee") -> list[str]:
    found: list[str] = []
    for value in values or []:
        address = value.strip()
        if len(address) > 254 or not _EMAIL.fullmatch(address):
            raise InvalidInput(
                f"{value[:80]!r} is not an e-mail address.", hint=f"Give each {what} as name@example.com."
            )
        if address.lower() not in (f.lower() for f in found):
            found.append(address)
    if len(found) > 100:
        raise InvalidInput("At most 100 attendees.")
    return found


def time_field(moment: Moment, zone_name: str) -> dict[str, str]:
    if isinstance(moment, datetime):
        return {"dateTime": moment.isoformat(), "timeZone": zone_name}
    return {"date": moment.isoformat()}


@dataclass(frozen=True)
class Times:
    start: Moment
    end: Moment
    all_day: bool

    def fields(self, zone_name: str) -> dict[str, Any]:
        return {"start": time_field(self.start, zone_name), "end": time_field(self.end, zone_name)}


def resolve_times(
    start: str,
    end: str | None,
    duration: int | None,
    all_day: bool | None,
    tz: ZoneInfo,
    now: datetime,
    default_minutes: int = 60,
) -> Times:
    """Start and end from the arguments: a start without a time of day (or `all_day`) makes an all-day event whose
    `end` is its last day (inclusive); a timed event ends at `end`, else after `duration` minutes."""
    begin = when(start, tz, now)
    day_only = not isinstance(begin, datetime)
    whole_days = bool(all_day) if all_day is not None else day_only
    if whole_days:
        first = begin.date() if isinstance(begin, datetime) else begin
        if end is not None:
            last = when(end, tz, now)
            last = last.date() if isinstance(last, datetime) else last
            finish: Moment = last + timedelta(days=1)
        else:
            days = max(1, -(-(duration or 0) // 1440)) if duration else 1
            finish = first + timedelta(days=days)
        if finish <= first:
            raise InvalidInput("The event ends before it starts.", hint="Give an end date on or after the start date.")
        return Times(first, finish, True)
    if not isinstance(begin, datetime):  # all_day=False with a start that has no time of day
        raise InvalidInput(
            f"all_day is false but the start ({start!r}) has no time of day.",
            hint="Give a start time ('2026-12-08T09:00', 'tomorrow 3pm'), or leave all_day out for an all-day event.",
        )
    if end is not None:
        moment, period = read_phrase(end, tz, now)
        if not isinstance(moment, datetime):
            if period == "day" and moment == begin.date():
                raise InvalidInput(
                    "The end is a date but the start has a time.", hint="Give the end as a time (17:00)."
                )
            moment = datetime.combine(moment, begin.timetz()).astimezone(tz)
        finish_time = moment
    else:
        minutes = duration if duration is not None else default_minutes
        if not 1 <= minutes <= MAX_MINUTES:
            raise InvalidInput(f"A duration of {minutes} minutes is out of range.", hint="Give 1 to 20160 minutes.")
        finish_time = begin + timedelta(minutes=minutes)
    if finish_time <= begin:
        raise InvalidInput(
            f"The end ({finish_time.isoformat(timespec='minutes')}) is not after the start "
            f"({begin.isoformat(timespec='minutes')}).",
            hint="Give a later end, or a duration in minutes.",
        )
    if finish_time - begin > timedelta(minutes=MAX_MINUTES):
        raise InvalidInput("The event is longer than two weeks.", hint="Check the end, or make it all-day.")
    return Times(begin, finish_time, False)


def reminders_field(minutes: list[int] | None) -> dict[str, Any] | None:
    if minutes is None:
        return None
    if len(minutes) > 5 or any(not 0 <= m <= 40320 for m in minutes):
        raise InvalidInput("Give at most 5 reminders, each 0 to 40320 minutes before.")
    return {"useDefault": False, "overrides": [{"method": "popup", "minutes": m} for m in sorted(set(minutes))]}


def conference_field(seed: Any) -> dict[str, Any]:
    """A Meet link request; its requestId is derived from the request, so a plan made again (after confirmation)
    is the same plan."""
    request = hashlib.sha256(json.dumps(seed, sort_keys=True, default=str).encode()).hexdigest()[:24]
    return {"createRequest": {"requestId": request, "conferenceSolutionKey": {"type": "hangoutsMeet"}}}


def recurrence_field(text: str | None, times: Times, tz: ZoneInfo, now: datetime) -> list[str] | None:
    if text is None:
        return None
    if not text.strip():
        return []
    return recurrence_lines(text, times.start, times.all_day, tz, now)


def extras(
    *,
    location: str | None,
    description: str | None,
    reminders: list[int] | None,
    visibility: Visibility | None,
    transparency: Transparency | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if location is not None:
        body["location"] = one_line(location, "location")
    if description is not None:
        body["description"] = free_text(description, "description")
    found = reminders_field(reminders)
    if found is not None:
        body["reminders"] = found
    if visibility is not None:
        body["visibility"] = visibility
    if transparency is not None:
        body["transparency"] = "transparent" if transparency == "free" else "opaque"
    return body


def day_of(moment: Moment) -> date:
    return moment.date() if isinstance(moment, datetime) else moment
