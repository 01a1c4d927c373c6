"""Recurrence: RRULEs checked with dateutil, plain words translated to an RRULE, and series split at an instance.

Plain words ("every weekday until June", "every other Tuesday", "daily for 10 times") are translated by core's
small translator of the common forms (`aide_core.when`, shared with the schedule server, which explains why there is
no library for it); RRULEs are checked there too, with dateutil.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from aide_core.when import check_rules, until_value, words_to_rule

__all__ = ["check_rules", "recurrence_lines", "remaining_rules", "truncate_before", "until_value", "words_to_rule"]


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
