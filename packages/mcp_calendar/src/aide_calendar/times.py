"""Time zones, dates and phrases, resolved the same way for events, tasks and free-slot windows.

- A zone is an IANA name (`zoneinfo`); an unknown one is a `ToolError` that names an example.
- A moment the caller gives is an ISO date ("2026-12-08": a whole day), an ISO datetime (naive: wall-clock time in
  the zone the call is about; with an offset: that instant), or a phrase ("tomorrow 3pm", "next Friday", "in 2
  hours") read by dateparser against the injected clock, in the user's zone. A phrase without a time of day is a
  date, so "Friday" is a whole day, never Friday at the current hour.
- Wall-clock times that do not exist (the hour skipped when DST starts) move forward by the gap; ambiguous ones (the
  hour repeated when DST ends) take the first occurrence.

Reading zones, moments and phrases is core's (`aide_core.when`, shared with the schedule server); this module adds
what only the calendar needs: windows, spans, and the API's own formats.

dateparser takes ~100 ms to import, so it is imported at the first phrase, not at start-up; ISO input never loads it.
Phrases are parsed here rather than by Calendar's quickAdd so they behave the same for events, tasks and windows.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aide_core.errors import InvalidInput
from aide_core.when import MAX_PHRASE, Moment, clock_time, localize, read_phrase, when, zone

__all__ = [
    "MAX_PHRASE",
    "Moment",
    "clock_time",
    "day_start",
    "hours_range",
    "localize",
    "parse_api",
    "read_phrase",
    "rfc3339",
    "shown",
    "weekday",
    "when",
    "window",
    "zone",
]

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def day_start(day: date, tz: ZoneInfo) -> datetime:
    return localize(datetime.combine(day, time()), tz)


def window(
    start: str | None, end: str | None, tz: ZoneInfo, now: datetime, default_days: int = 7
) -> tuple[datetime, datetime]:
    """The instants [start, end) a listing covers. A date or a day phrase covers that whole day; "this week", "next
    week" the Monday-to-Sunday week; "next month" the calendar month. `end` as a date includes that day. Without
    `start`, from now; without `end`, to the end of the start's span (a day, a week), else `default_days` later."""
    if start is None:
        begin, span_end = now.astimezone(tz), None
    else:
        moment, period = read_phrase(start, tz, now)
        begin, span_end = _span(moment, period, tz)
    if end is None:
        finish = span_end or begin + timedelta(days=default_days)
    else:
        moment, period = read_phrase(end, tz, now)
        finish = (
            _span(moment, period, tz)[1] if isinstance(moment, date) and not isinstance(moment, datetime) else moment
        )
        assert isinstance(finish, datetime)
    if finish <= begin:
        raise InvalidInput(
            f"The end ({finish.isoformat(timespec='minutes')}) is not after the start "
            f"({begin.isoformat(timespec='minutes')}).",
            hint="Send an end later than the start, or leave it out.",
        )
    return begin, finish


def _span(moment: Moment, period: str, tz: ZoneInfo) -> tuple[datetime, datetime | None]:
    if isinstance(moment, datetime):
        return moment, None
    if period == "week":
        monday = moment - timedelta(days=moment.weekday())
        return day_start(monday, tz), day_start(monday + timedelta(days=7), tz)
    if period == "month":
        first = moment.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return day_start(first, tz), day_start(following, tz)
    if period == "year":
        first = moment.replace(month=1, day=1)
        return day_start(first, tz), day_start(first.replace(year=first.year + 1), tz)
    return day_start(moment, tz), day_start(moment + timedelta(days=1), tz)


def rfc3339(moment: datetime) -> str:
    """An instant as the API reads it (UTC, seconds)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def shown(moment: datetime, tz: ZoneInfo) -> str:
    """An instant as rows show it: wall-clock time in `tz`, to the minute, with its offset."""
    return moment.astimezone(tz).isoformat(timespec="minutes")


def parse_api(value: dict[str, Any] | None, fallback: ZoneInfo) -> Moment | None:
    """An event's `start`/`end` as the API gives it: a date (all-day) or an aware datetime."""
    if not value:
        return None
    if value.get("dateTime"):
        moment = datetime.fromisoformat(str(value["dateTime"]).replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = localize(moment, zone(str(value.get("timeZone") or "UTC")) if value.get("timeZone") else fallback)
        return moment
    if value.get("date"):
        return date.fromisoformat(str(value["date"]))
    return None


def hours_range(text: str, what: str = "Working hours") -> tuple[time, time]:
    """'09:00-17:00' as (start, end) times of day."""
    first, dash, second = text.partition("-")
    if not dash:
        raise InvalidInput(f"{what} {text[:40]!r} are not a range.", hint="Send HH:MM-HH:MM, such as 09:00-17:00.")
    begin, finish = clock_time(first, what), clock_time(second, what)
    if finish <= begin:
        raise InvalidInput(
            f"{what} {text[:40]!r} end before they start.", hint="Send HH:MM-HH:MM, such as 09:00-17:00."
        )
    return begin, finish


def weekday(text: str) -> int:
    """'Mon', 'monday' as 0..6."""
    key = text.strip().lower()[:3]
    if key not in _WEEKDAYS or not "monday tuesday wednesday thursday friday saturday sunday".count(
        text.strip().lower()
    ):
        raise InvalidInput(f"{text[:40]!r} is not a day of the week.", hint="Send Mon, Tue, ... Sun.")
    return _WEEKDAYS.index(key)
