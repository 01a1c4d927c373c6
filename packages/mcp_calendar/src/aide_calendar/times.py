"""Time zones, dates and phrases, resolved the same way for events, tasks and free-slot windows.

- A zone is an IANA name (`zoneinfo`); an unknown one is a `ToolError` that names an example.
- A moment the caller gives is an ISO date ("2026-12-08": a whole day), an ISO datetime (naive: wall-clock time in
  the zone the call is about; with an offset: that instant), or a phrase ("tomorrow 3pm", "next Friday", "in 2
  hours") read by dateparser against the injected clock, in the user's zone. A phrase without a time of day is a
  date, so "Friday" is a whole day, never Friday at the current hour.
- Wall-clock times that do not exist (the hour skipped when DST starts) move forward by the gap; ambiguous ones (the
  hour repeated when DST ends) take the first occurrence.

dateparser takes ~100 ms to import, so it is imported at the first phrase, not at start-up; ISO input never loads it.
Phrases are parsed here rather than by Calendar's quickAdd so they behave the same for events, tasks and windows.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from aide_core.errors import InvalidInput

#: Longest phrase read (longer input is refused before any parser sees it).
MAX_PHRASE = 80
_EARLIEST, _LATEST = date(1970, 1, 1), date(2200, 12, 31)
_PHRASE_HINT = (
    "Send an ISO date or datetime (2026-12-08, 2026-12-08T15:00) or a phrase such as 'tomorrow 3pm', "
    "'next Friday', 'in 2 hours'."
)
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Moment = datetime | date


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The zone named `name` (IANA), or an `InvalidInput` that says what to send."""
    from zoneinfo import ZoneInfoNotFoundError

    cleaned = name.strip()
    try:
        if not cleaned or len(cleaned) > 64 or cleaned.startswith(("/", ".")) or ".." in cleaned:
            raise ValueError(cleaned)
        return ZoneInfo(cleaned)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidInput(
            f"Unknown time zone {name[:80]!r}.",
            hint="Send an IANA zone name such as Europe/Berlin or America/New_York.",
        ) from None


def localize(naive: datetime, tz: ZoneInfo) -> datetime:
    """Wall-clock `naive` in `tz`: a skipped time moves forward by the gap, a repeated one is the first."""
    aware = naive.replace(tzinfo=tz, fold=0)
    back = aware.astimezone(UTC).astimezone(tz)
    if back.replace(tzinfo=None) != naive:  # in a DST gap: the wall clock jumps over it
        aware = (aware.astimezone(UTC)).astimezone(tz)
    return aware


def _check_range(day: date, text: str) -> None:
    if not _EARLIEST <= day <= _LATEST:
        raise InvalidInput(f"{text[:40]!r} is outside the years 1970-2200.", hint=_PHRASE_HINT)


def _parser(base: datetime) -> Any:
    from dateparser.date import DateDataParser

    settings = {"RELATIVE_BASE": base, "PREFER_DATES_FROM": "future", "RETURN_TIME_AS_PERIOD": True}
    return DateDataParser(languages=["en"], settings=settings)


def read_phrase(text: str, tz: ZoneInfo, now: datetime) -> tuple[Moment, str]:
    """`text` (ISO or a phrase) as a datetime in `tz` or a date, with dateparser's period ("time", "day", "week",
    "month", "year"; ISO input is "time" or "day")."""
    cleaned = " ".join(text.split())
    if not cleaned:
        raise InvalidInput("A date or time is empty.", hint=_PHRASE_HINT)
    if len(cleaned) > MAX_PHRASE or not cleaned.isprintable():
        raise InvalidInput(f"Could not read {cleaned[:40]!r} as a date or time.", hint=_PHRASE_HINT)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", cleaned):
        try:
            day = date.fromisoformat(cleaned)
        except ValueError:
            raise InvalidInput(f"{cleaned!r} is not a date.", hint=_PHRASE_HINT) from None
        _check_range(day, cleaned)
        return day, "day"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?", cleaned):
        try:
            moment = datetime.fromisoformat(cleaned.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(f"{cleaned!r} is not a date and time.", hint=_PHRASE_HINT) from None
        _check_range(moment.date(), cleaned)
        return (localize(moment, tz) if moment.tzinfo is None else moment.astimezone(tz)), "time"
    local_now = now.astimezone(tz).replace(tzinfo=None)
    found = _parser(local_now).get_date_data(cleaned)
    moment = found.date_obj if found else None
    if moment is None:
        raise InvalidInput(f"Could not read {cleaned!r} as a date or time.", hint=_PHRASE_HINT)
    if moment.tzinfo is not None:
        moment = moment.astimezone(tz).replace(tzinfo=None)
    _check_range(moment.date(), cleaned)
    period = str(found.period or "day")
    if period == "time":
        return localize(moment, tz), period
    return moment.date(), period


def when(text: str, tz: ZoneInfo, now: datetime) -> Moment:
    """A datetime in `tz` (a time was given) or a date (a whole day)."""
    return read_phrase(text, tz, now)[0]


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


def clock_time(text: str, what: str) -> time:
    """'09:00', '9:30', '17' as a time of day."""
    match = re.fullmatch(r"\s*(\d{1,2})(?::(\d{2}))?\s*", text)
    if (
        match is None
        or int(match[1]) > 24
        or int(match[2] or 0) > 59
        or (int(match[1]) == 24 and match[2] not in (None, "00"))
    ):
        raise InvalidInput(f"{what} {text[:40]!r} is not a time of day.", hint="Send HH:MM, such as 09:00 or 17:30.")
    hour = int(match[1])
    return time.max if hour == 24 else time(hour, int(match[2] or 0))


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
