"""When things happen: a recurrence read from words or an RRULE, and its occurrences on the user's wall clock.

"every day at 08:00" is an RRULE (core's translator, `aide_core.when.words_to_rule`) plus a time of day. The
occurrences are computed by dateutil's rrule on naive wall-clock times and only then put in the user's zone
(`aide_core.when.localize`): so 08:00 stays 08:00 across a DST change (the instant moves by an hour), a time the
change skips moves forward by the gap, and a repeated one is taken once. dateutil is the well-kept recurrence
library of RFC 5545; a cron library would add a second syntax for the same thing, and people say times in words.

A series is anchored at `start` (naive, wall clock): only rules with an INTERVAL or COUNT depend on it. Jobs are
anchored at `JOB_ANCHOR`, a fixed Monday, so every runner computes the same times; reminders at their first time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aide_core.errors import InvalidInput
from aide_core.when import check_rules, localize, words_to_rule

__all__ = ["JOB_ANCHOR", "Recurrence", "Series", "parse_every", "parse_time_of_day"]

#: Where job series start (a Monday): the same for every runner and every restart.
JOB_ANCHOR = datetime(2026, 1, 5)  # noqa: DTZ001 (a wall-clock time, in whichever zone the user is)
_HINT = (
    "Say it as 'every day at 08:00', 'every Monday at 8', 'every weekday at 7:30am', 'every Friday at 17:00', or "
    "an RRULE such as 'RRULE:FREQ=DAILY;BYHOUR=8;BYMINUTE=0'."
)
_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$")
_TOO_OFTEN = ("SECONDLY", "MINUTELY")


def parse_time_of_day(text: str) -> time:
    """'8', '08:00', '8am', '5:30 pm', 'noon', 'midnight' as a time of day."""
    cleaned = " ".join(text.lower().split())
    if cleaned in ("noon", "midday"):
        return time(12, 0)
    if cleaned == "midnight":
        return time(0, 0)
    match = _TIME.match(cleaned)
    if match is None:
        raise InvalidInput(f"{text[:40]!r} is not a time of day.", hint="Send 08:00, 8am or 5:30pm.")
    hour, minute, half = int(match[1]), int(match[2] or 0), (match[3] or "").replace(".", "")
    if half and not 1 <= hour <= 12:
        raise InvalidInput(f"{text[:40]!r} is not a time of day.", hint="With am/pm the hour is 1-12.")
    if half == "pm" and hour != 12:
        hour += 12
    elif half == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        raise InvalidInput(f"{text[:40]!r} is not a time of day.", hint="Send 08:00, 8am or 5:30pm.")
    return time(hour, minute)


@dataclass(frozen=True)
class Recurrence:
    """An RRULE line and the time of day it fires at (None: the rule's BYHOUR, else the series' start time)."""

    rule: str
    at: time | None


def parse_every(text: str, *, need_time: bool = True) -> Recurrence:
    """'every Monday at 8', 'daily at 08:00', or an RRULE (its BYHOUR/BYMINUTE give the time). Without
    `need_time`, a rule with no time of day is accepted: the series' start gives it."""
    cleaned = " ".join(text.split())
    if not cleaned or len(cleaned) > 200 or not cleaned.isprintable():
        raise InvalidInput(f"Could not read the schedule {cleaned[:40]!r}.", hint=_HINT)
    if re.match(r"(?i)(RRULE:|FREQ=)", cleaned):
        rule = cleaned if cleaned.upper().startswith("RRULE:") else "RRULE:" + cleaned
        at = None
    else:
        words, at_word, said = cleaned.rpartition(" at ")
        if not at_word:
            words, said = cleaned, ""
        at = parse_time_of_day(said) if said else None
        rule = words_to_rule(words, _no_until)
    [rule] = check_rules([rule], JOB_ANCHOR)
    if any(f"FREQ={freq}" in rule.upper() for freq in _TOO_OFTEN):
        raise InvalidInput("A schedule runs at most hourly.", hint=_HINT)
    if need_time and at is None and "BYHOUR=" not in rule.upper() and "FREQ=HOURLY" not in rule.upper():
        raise InvalidInput(f"The schedule {cleaned[:60]!r} says no time of day.", hint=_HINT)
    return Recurrence(rule, at)


def _no_until(phrase: str) -> str:
    """UNTIL in words needs a zone and a clock: a schedule in configuration names neither, so it is refused."""
    raise InvalidInput("A schedule with 'until' in words is not supported here.", hint=_HINT)


@dataclass(frozen=True)
class Series:
    """A recurrence anchored at `start` (naive wall clock) in `zone`; without `rule`, the one time `start`."""

    start: datetime
    zone: ZoneInfo
    rule: str | None = None

    @classmethod
    def of(cls, recurrence: Recurrence, zone: ZoneInfo, anchor: datetime) -> Series:
        start = anchor.replace(tzinfo=None)
        if recurrence.at is not None:
            start = datetime.combine(start.date(), recurrence.at)
        elif "BYHOUR=" in recurrence.rule.upper():  # the rule's hour, at minute 0 unless it says BYMINUTE
            start = datetime.combine(start.date(), time(0, 0))
        return cls(start.replace(second=0, microsecond=0), zone, recurrence.rule)

    def _rule(self) -> Any:
        from dateutil.rrule import rrulestr

        rule = re.sub(  # an UTC UNTIL beside a naive start: as the wall clock of the zone, which dateutil accepts
            r"UNTIL=(\d{8}T\d{6})Z",
            lambda m: (
                "UNTIL="
                + datetime.strptime(m[1], "%Y%m%dT%H%M%S")
                .replace(tzinfo=UTC)
                .astimezone(self.zone)
                .strftime("%Y%m%dT%H%M%S")
            ),
            self.rule or "",
            flags=re.I,
        )
        return rrulestr(rule, dtstart=self.start)

    def _local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone).replace(tzinfo=None)

    def between(self, begin: datetime, end: datetime) -> list[datetime]:
        """The instants in [begin, end] (aware), in order."""
        if self.rule is None:
            only = localize(self.start, self.zone)
            return [only] if begin <= only <= end else []
        naive = self._rule().between(self._local(begin) - timedelta(hours=3), self._local(end) + timedelta(hours=3),
                                     inc=True)  # fmt: skip
        found = sorted({localize(moment, self.zone) for moment in naive})
        return [moment for moment in found if begin <= moment <= end]

    def after(self, moment: datetime) -> datetime | None:
        """The first instant after `moment` (aware), None when the series has ended."""
        if self.rule is None:
            only = localize(self.start, self.zone)
            return only if only > moment else None
        rule = self._rule()
        cursor = self._local(moment) - timedelta(hours=3)  # a DST change moves wall clock and instant apart
        for naive in _iterate_after(rule, cursor):
            found = localize(naive, self.zone)
            if found > moment:
                return found
        return None


def _iterate_after(rule: Any, cursor: datetime, limit: int = 100) -> Iterator[datetime]:
    for _ in range(limit):
        found = rule.after(cursor, inc=False)
        if found is None:
            return
        yield found
        cursor = found
