"""Times said the way people say them, resolved in the user's zone: shared by every server that takes a time.

Moved here from the calendar server when a second server (schedule's `remind_me` and job times) needed the same
reading: servers never import each other, and two copies would drift.

- A zone is an IANA name (`zoneinfo`); an unknown one is an `InvalidInput` that names an example.
- A moment is an ISO date ("2026-12-08": a whole day), an ISO datetime (naive: wall-clock time in the zone the call
  is about; with an offset: that instant), or a phrase ("tomorrow 3pm", "next Friday", "in 2 hours") read by
  dateparser against the injected clock, in the user's zone. A phrase without a time of day is a date, so "Friday"
  is a whole day, never Friday at the current hour.
- Wall-clock times that do not exist (the hour skipped when DST starts) move forward by the gap; ambiguous ones (the
  hour repeated when DST ends) take the first occurrence.
- Recurrence: an RRULE (checked with dateutil), or plain words ("every weekday", "every other Tuesday", "daily for
  10 times") translated by a small translator of the common forms. The one library that parses such phrases
  (`recurrent`) has not been released since 2021; the forms people use are few, and an RRULE is always accepted, so
  anything the translator does not know is refused with an RRULE example rather than guessed.

dateparser takes ~100 ms to import, so it is imported at the first phrase, not at start-up; ISO input never loads it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from aide_core.errors import InvalidInput

__all__ = [
    "MAX_PHRASE",
    "Moment",
    "check_rules",
    "clock_time",
    "localize",
    "read_phrase",
    "until_value",
    "when",
    "words_to_rule",
    "zone",
]

#: Longest phrase read (longer input is refused before any parser sees it).
MAX_PHRASE = 80
_EARLIEST, _LATEST = date(1970, 1, 1), date(2200, 12, 31)
_PHRASE_HINT = (
    "Send an ISO date or datetime (2026-12-08, 2026-12-08T15:00) or a phrase such as 'tomorrow 3pm', "
    "'next Friday', 'in 2 hours'."
)
_RULE_HINT = (
    "Send an RRULE such as 'RRULE:FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20270601T000000Z', or words such as 'every "
    "weekday', 'every other Tuesday', 'monthly for 6 times', 'every day until 2027-06-01'."
)

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
    import importlib

    # dateparser ships no type information: reached through importlib, it is `Any` rather than an untyped import.
    parser_class: Any = importlib.import_module("dateparser.date").DateDataParser
    settings = {"RELATIVE_BASE": base, "PREFER_DATES_FROM": "future", "RETURN_TIME_AS_PERIOD": True}
    return parser_class(languages=["en"], settings=settings)


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
    found: Any = _parser(local_now).get_date_data(cleaned)
    parsed: datetime | None = found.date_obj if found else None
    if parsed is None:
        raise InvalidInput(f"Could not read {cleaned!r} as a date or time.", hint=_PHRASE_HINT)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(tz).replace(tzinfo=None)
    _check_range(parsed.date(), cleaned)
    period = str(found.period or "day")
    if period == "time":
        return localize(parsed, tz), period
    return parsed.date(), period


def when(text: str, tz: ZoneInfo, now: datetime) -> Moment:
    """A datetime in `tz` (a time was given) or a date (a whole day)."""
    return read_phrase(text, tz, now)[0]


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


# -- recurrence ----------------------------------------------------------------------------------------------------

_DAYS = {"mo": "MO", "tu": "TU", "we": "WE", "th": "TH", "fr": "FR", "sa": "SA", "su": "SU"}
_FREQ = {"day": "DAILY", "week": "WEEKLY", "month": "MONTHLY", "year": "YEARLY"}
_ADVERB = {"daily": "DAILY", "weekly": "WEEKLY", "monthly": "MONTHLY", "yearly": "YEARLY", "annually": "YEARLY"}
_NUMBERS = {"other": 2, "two": 2, "three": 3, "four": 4, "2nd": 2, "3rd": 3}
_DAY_WORD = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*"


def _day_codes(text: str) -> list[str]:
    return [_DAYS[word[:2]] for word in re.findall(_DAY_WORD, text)]


def words_to_rule(text: str, until: Callable[[str], str]) -> str:
    """`text` in plain words as an RRULE line. `until(phrase)` resolves the phrase after "until" to an RRULE UNTIL
    value (the caller knows the zone and whether the series is all-day)."""
    phrase = " ".join(text.lower().replace(",", " ").split())
    phrase = re.sub(r"\b(?:and|on)\b", " ", phrase)
    phrase = " ".join(phrase.split())
    parts: list[str] = []
    tail = ""
    match = re.search(r"\s*\buntil\b\s*(.+)$", phrase)
    if match:
        parts_until = until(match[1])
        phrase, tail = phrase[: match.start()], f";UNTIL={parts_until}"
    else:
        count = re.search(r"\s*\b(?:for\s+)?(\d{1,3})\s+(?:times|occurrences)$", phrase)
        if count:
            phrase, tail = phrase[: count.start()], f";COUNT={int(count[1])}"
    phrase = phrase.strip()
    if phrase in _ADVERB:
        parts.append(f"FREQ={_ADVERB[phrase]}")
    elif phrase in ("weekdays", "every weekday"):
        parts.append("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR")
    elif phrase in ("weekends", "every weekend"):
        parts.append("FREQ=WEEKLY;BYDAY=SA,SU")
    else:
        found = re.fullmatch(
            rf"every(?:\s+(\d{{1,2}}|other|two|three|four))?\s+((?:{_DAY_WORD}\s*)+|day|week|month|year)s?", phrase
        )
        if found is None:
            raise InvalidInput(f"Could not read the recurrence {text[:80]!r}.", hint=_RULE_HINT)
        step = found[1]
        interval = int(_NUMBERS.get(step, step)) if step else 1
        unit = found[2].strip()
        if unit in _FREQ:
            parts.append(f"FREQ={_FREQ[unit]}")
        else:
            parts.append("FREQ=WEEKLY;BYDAY=" + ",".join(dict.fromkeys(_day_codes(unit))))
        if interval < 1:
            raise InvalidInput(f"Could not read the recurrence {text[:80]!r}.", hint=_RULE_HINT)
        if interval > 1:
            parts.append(f"INTERVAL={interval}")
    return "RRULE:" + ";".join(parts) + tail


def until_value(moment: date | datetime, all_day: bool, tz: ZoneInfo) -> str:
    """An RRULE UNTIL for the last day `moment` allows: a date for all-day series, else the end of that day in the
    series' zone, in UTC (RFC 5545 3.3.10: UNTIL is UTC when DTSTART has a zone)."""
    day = moment.date() if isinstance(moment, datetime) else moment
    if all_day:
        return day.strftime("%Y%m%d")
    last = datetime.combine(day, datetime.max.time().replace(microsecond=0), tz)
    return last.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def check_rules(lines: list[str], start: date | datetime) -> list[str]:
    """The recurrence lines, each checked by dateutil (an RRULE that Google would refuse is an `InvalidInput`)."""
    from dateutil.rrule import rrulestr  # pyright: ignore[reportMissingTypeStubs]

    checked: list[str] = []
    for line in lines:
        cleaned = line.strip()
        if not cleaned.upper().startswith(("RRULE:", "EXDATE", "RDATE", "EXRULE:")):
            cleaned = "RRULE:" + cleaned
        if not cleaned.isprintable() or len(cleaned) > 500:
            raise InvalidInput("A recurrence rule holds characters no RRULE has.", hint=_RULE_HINT)
        if cleaned.upper().startswith("RRULE:"):
            begin = start if isinstance(start, datetime) else datetime.combine(start, datetime.min.time())
            naive = begin.replace(tzinfo=None)
            rule = cleaned
            if re.search(r"UNTIL=\d{8}T\d{6}Z", rule, re.I):  # dateutil wants an aware DTSTART beside a UTC UNTIL
                naive = begin.astimezone(UTC) if begin.tzinfo else begin.replace(tzinfo=UTC)
            try:
                rrulestr(rule, dtstart=naive)
            except (ValueError, TypeError, OverflowError) as exc:
                raise InvalidInput(
                    f"The recurrence {line[:80]!r} is not a valid RRULE ({exc}).", hint=_RULE_HINT
                ) from None
        checked.append(cleaned)
    return checked
