"""Recurrence: RRULEs checked with dateutil, plain words translated to an RRULE, and series split at an instance.

Plain words ("every weekday until June", "every other Tuesday", "daily for 10 times") are translated here by a small
translator of the common forms. The one library that parses such phrases (`recurrent`) has not been released since
2021; the forms people use for meetings are few, and an RRULE is always accepted as well, so anything the
translator does not know is refused with an RRULE example rather than guessed.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aide_core.errors import InvalidInput

_HINT = (
    "Send an RRULE such as 'RRULE:FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20270601T000000Z', or words such as 'every "
    "weekday', 'every other Tuesday', 'monthly for 6 times', 'every day until 2027-06-01'."
)
_DAYS = {"mo": "MO", "tu": "TU", "we": "WE", "th": "TH", "fr": "FR", "sa": "SA", "su": "SU"}
_FREQ = {"day": "DAILY", "week": "WEEKLY", "month": "MONTHLY", "year": "YEARLY"}
_ADVERB = {"daily": "DAILY", "weekly": "WEEKLY", "monthly": "MONTHLY", "yearly": "YEARLY", "annually": "YEARLY"}
_NUMBERS = {"other": 2, "two": 2, "three": 3, "four": 4, "2nd": 2, "3rd": 3}
_DAY_WORD = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*"


def _day_codes(text: str) -> list[str]:
    return [_DAYS[word[:2]] for word in re.findall(_DAY_WORD, text)]


def words_to_rule(text: str, until: Any) -> str:
    """`text` in plain words as an RRULE line. `until(phrase)` resolves the phrase after "until" to an RRULE UNTIL
    value (the caller knows the event's zone and whether it is all-day)."""
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
            raise InvalidInput(f"Could not read the recurrence {text[:80]!r}.", hint=_HINT)
        step = found[1]
        interval = int(_NUMBERS.get(step, step)) if step else 1
        unit = found[2].strip()
        if unit in _FREQ:
            parts.append(f"FREQ={_FREQ[unit]}")
        else:
            parts.append("FREQ=WEEKLY;BYDAY=" + ",".join(dict.fromkeys(_day_codes(unit))))
        if interval < 1:
            raise InvalidInput(f"Could not read the recurrence {text[:80]!r}.", hint=_HINT)
        if interval > 1:
            parts.append(f"INTERVAL={interval}")
    return "RRULE:" + ";".join(parts) + tail


def until_value(moment: date | datetime, all_day: bool, tz: ZoneInfo) -> str:
    """An RRULE UNTIL for the last day `moment` allows: a date for all-day events, else the end of that day in the
    event's zone, in UTC (RFC 5545 3.3.10: UNTIL is UTC when DTSTART has a zone)."""
    day = moment.date() if isinstance(moment, datetime) else moment
    if all_day:
        return day.strftime("%Y%m%d")
    last = datetime.combine(day, datetime.max.time().replace(microsecond=0), tz)
    return last.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def check_rules(lines: list[str], start: date | datetime) -> list[str]:
    """The recurrence lines, each checked by dateutil (an RRULE that Google would refuse is a `ToolError` here)."""
    from dateutil.rrule import rrulestr

    checked: list[str] = []
    for line in lines:
        cleaned = line.strip()
        if not cleaned.upper().startswith(("RRULE:", "EXDATE", "RDATE", "EXRULE:")):
            cleaned = "RRULE:" + cleaned
        if not cleaned.isprintable() or len(cleaned) > 500:
            raise InvalidInput("A recurrence rule holds characters no RRULE has.", hint=_HINT)
        if cleaned.upper().startswith("RRULE:"):
            begin = start if isinstance(start, datetime) else datetime.combine(start, datetime.min.time())
            naive = begin.replace(tzinfo=None)
            rule = cleaned
            if re.search(r"UNTIL=\d{8}T\d{6}Z", rule, re.I):  # dateutil wants an aware DTSTART beside a UTC UNTIL
                naive = begin.astimezone(UTC) if begin.tzinfo else begin.replace(tzinfo=UTC)
            try:
                rrulestr(rule, dtstart=naive)
            except (ValueError, TypeError, OverflowError) as exc:
                raise InvalidInput(f"The recurrence {line[:80]!r} is not a valid RRULE ({exc}).", hint=_HINT) from None
        checked.append(cleaned)
    return checked


def recurrence_lines(text: str, start: date | datetime, all_day: bool, tz: ZoneInfo, now: datetime) -> list[str]:
    """A recurrence argument (one or more RRULE/EXDATE/RDATE lines, or plain words) as checked lines."""
    from aide_calendar.times import when

    stripped = text.strip()
    if re.match(r"(?i)(RRULE:|FREQ=|EXDATE|RDATE)", stripped):
        return check_rules([line for line in re.split(r"[\r\n]+", stripped) if line.strip()], start)

    def until(phrase: str) -> str:
        moment = when(phrase, tz, now)
        if isinstance(moment, date) and not isinstance(moment, datetime) and re.fullmatch(r"[a-z]+", phrase.strip()):
            moment = moment.replace(day=1) - timedelta(days=1)  # "until June": up to the start of June
        return until_value(moment, all_day, tz)

    return check_rules([words_to_rule(stripped, until)], start)


def truncate_before(lines: list[str], instance_start: date | datetime) -> list[str]:
    """A series' recurrence ended just before `instance_start` (its original start): COUNT or UNTIL replaced by an
    UNTIL one second (all-day: one day) earlier, and RDATE/EXDATE lines kept as they are."""
    if isinstance(instance_start, datetime):
        until = (instance_start - timedelta(seconds=1)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    else:
        until = (instance_start - timedelta(days=1)).strftime("%Y%m%d")
    out: list[str] = []
    for line in lines:
        if line.upper().startswith("RRULE:"):
            parts = [p for p in line[6:].split(";") if p and not p.upper().startswith(("COUNT=", "UNTIL="))]
            line = "RRULE:" + ";".join([*parts, f"UNTIL={until}"])
        out.append(line)
    return out


def remaining_rules(
    lines: list[str], series_start: date | datetime, instance_start: date | datetime, tz: ZoneInfo
) -> list[str]:
    """The recurrence of the new series that starts at `instance_start`: a COUNT lowered by the occurrences before
    it (counted on the wall clock of the series' zone `tz`, as Google expands it); UNTIL kept; RDATE/EXDATE lines
    kept (those before the new start simply never match)."""
    from dateutil.rrule import rrulestr

    def wall(moment: date | datetime) -> datetime:
        if isinstance(moment, datetime):
            return moment.astimezone(tz).replace(tzinfo=None) if moment.tzinfo else moment
        return datetime.combine(moment, datetime.min.time())

    begin, cut = wall(series_start), wall(instance_start)
    out: list[str] = []
    for line in lines:
        match = re.search(r"COUNT=(\d+)", line, re.I) if line.upper().startswith("RRULE:") else None
        if match:
            before = 0
            for occurrence in rrulestr(re.sub(r";?UNTIL=[^;]*", "", line), dtstart=begin):
                if occurrence >= cut:
                    break
                before += 1
            left = max(1, int(match[1]) - before)
            line = line[: match.start()] + f"COUNT={left}" + line[match.end() :]
        out.append(line)
    return out
