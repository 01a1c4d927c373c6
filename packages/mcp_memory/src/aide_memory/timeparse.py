"""Time expressions in a recall query: "last week", "in May 2023", "2 days ago", "before 2024", and times given by
an event the memories know about: "before the trip", "since my move".

Recall ranks memories whose `about_time` falls in the range a question names above the others (it does not filter:
many memories have no `about_time`). Only the expressions below are understood; dateparser would understand more,
but it guesses dates inside ordinary words ("may", "march", "second") and costs ~150 ms to import, so the grammar
is kept small and explicit. Month arithmetic is dateutil's.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dateutil.relativedelta import relativedelta

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
_MONTHS.pop("may", None)  # "may" alone is a verb far more often than a month; "May 2023" is handled below
_MONTH_RE = "|".join(sorted((*_MONTHS, "may"), key=len, reverse=True))
_UNITS = {"day": "days", "week": "weeks", "month": "months", "year": "years"}


@dataclass(frozen=True)
class TimeRange:
    start: datetime | None
    end: datetime | None
    text: str
    # A range dated from an event the memories mention is a guess (a memory's about_time is often just the day it
    # was told): it lifts what falls inside, and holds nothing against what falls outside.
    soft: bool = False

    def contains(self, moment: datetime) -> bool:
        return (self.start is None or moment >= self.start) and (self.end is None or moment < self.end)


def _day(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _month_range(year: int, month: int) -> tuple[datetime, datetime]:
    start = datetime(year, month, 1, tzinfo=UTC)
    return start, start + relativedelta(months=1)


def _relative(unit: str, offset: int, now: datetime) -> tuple[datetime, datetime]:
    today = _day(now)
    if unit == "day":
        start = today + timedelta(days=offset)
        return start, start + timedelta(days=1)
    if unit == "week":
        start = today - timedelta(days=today.weekday()) + timedelta(weeks=offset)
        return start, start + timedelta(weeks=1)
    if unit == "month":
        start = today.replace(day=1) + relativedelta(months=offset)
        return start, start + relativedelta(months=1)
    start = today.replace(month=1, day=1) + relativedelta(years=offset)
    return start, start + relativedelta(years=1)


_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(yesterday|today|tomorrow)\b", re.I), "named_day"),
    (re.compile(r"\b(last|this|next)\s+(day|week|month|year)\b", re.I), "relative"),
    (re.compile(r"\b(\d{1,3}|a|an|one|two|three|four|five|six)\s+(day|week|month|year)s?\s+ago\b", re.I), "ago"),
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), "iso_day"),
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_RE}),?\s+(\d{{4}})\b", re.I), "day_month_year"),
    (re.compile(rf"\b({_MONTH_RE})\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I), "month_day_year"),
    (re.compile(rf"\b({_MONTH_RE}),?\s+(\d{{4}})\b", re.I), "month_year"),
    (re.compile(r"\b(?:in|during|of|since|before|after|until)\s+(\d{4})\b", re.I), "year"),
]
_OPENERS = ("before", "after", "since", "until")
_WORD_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}


def _month(name: str) -> int:
    return 5 if name.lower() == "may" else _MONTHS[name.lower()]


def _range_for(kind: str, match: re.Match[str], now: datetime) -> tuple[datetime, datetime] | None:
    groups = match.groups()
    try:
        if kind == "named_day":
            return _relative("day", {"yesterday": -1, "today": 0, "tomorrow": 1}[groups[0].lower()], now)
        if kind == "relative":
            return _relative(groups[1].lower(), {"last": -1, "this": 0, "next": 1}[groups[0].lower()], now)
        if kind == "ago":
            count = _WORD_NUMBERS.get(groups[0].lower()) or int(groups[0])
            unit = groups[1].lower()
            center = now - relativedelta(**{_UNITS[unit]: count})  # type: ignore[arg-type]
            start, end = _relative(unit, 0, center)
            return start, end
        if kind == "iso_day":
            start = datetime(int(groups[0]), int(groups[1]), int(groups[2]), tzinfo=UTC)
            return start, start + timedelta(days=1)
        if kind == "day_month_year":
            start = datetime(int(groups[2]), _month(groups[1]), int(groups[0]), tzinfo=UTC)
            return start, start + timedelta(days=1)
        if kind == "month_day_year":
            start = datetime(int(groups[2]), _month(groups[0]), int(groups[1]), tzinfo=UTC)
            return start, start + timedelta(days=1)
        if kind == "month_year":
            return _month_range(int(groups[1]), _month(groups[0]))
        if kind == "year":
            start = datetime(int(groups[0]), 1, 1, tzinfo=UTC)
            return start, start + relativedelta(years=1)
    except (ValueError, KeyError, OverflowError):
        return None
    return None


def find_time_range(query: str, now: datetime | None = None) -> TimeRange | None:
    """The first time expression in `query` as a half-open range; "before X" / "after X" / "since X" open it."""
    now = now or datetime.now(UTC)
    for pattern, kind in _PATTERNS:
        match = pattern.search(query)
        if match is None:
            continue
        found = _range_for(kind, match, now)
        if found is None:
            continue
        start, end = found
        lead = match.group(0).split()[0].lower()
        word = lead if lead in _OPENERS else (re.findall(r"[a-z]+", query[: match.start()].lower()) or [""])[-1]
        if word in ("before", "until"):
            return TimeRange(None, start, match.group(0))
        if word == "after":
            return TimeRange(end, None, match.group(0))
        if word == "since":
            return TimeRange(start, None, match.group(0))
        return TimeRange(start, end, match.group(0))
    return None


@dataclass(frozen=True)
class EventReference:
    """ "before the trip": a time given by an event, which only the memories can date (see recall)."""

    after: bool  # after/since the event, rather than before/until it
    phrase: str  # "the trip to Kyoto"
    text: str


_EVENT = re.compile(
    r"\b(before|after|since|until|prior\s+to)\s+((?:the|my|our|his|her|their|that|this)\s+[a-z][\w'-]*(?:\s+[a-z][\w'-]*){0,3})",
    re.I,
)


def find_event_reference(query: str) -> EventReference | None:
    """The first "before/after/since/until the <event>" in `query`, when no date was named instead."""
    match = _EVENT.search(query)
    if match is None:
        return None
    opener = match.group(1).lower()
    return EventReference(after=opener in ("after", "since"), phrase=match.group(2), text=match.group(0))
