"""Expanding an event's `recurrence` lines (RFC 5545 RRULE, EXRULE, RDATE, EXDATE) into instance start times.

The rule runs in the event's own zone (`start.timeZone`, which Google requires for recurring events), so a weekly
09:00 Berlin meeting is 08:00 UTC in winter and 07:00 UTC in summer. All-day series run on floating dates (naive
midnights). dateutil does the rule arithmetic; EXDATE/RDATE values are parsed here because their `TZID=` and
`VALUE=DATE` parameters decide which instant they name.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rruleset, rrulestr

from aide_sandbox.calendar.times import zone
from aide_sandbox.google.errors import invalid_argument

#: Instances produced for a series without an end when the question has no upper bound either.
UNBOUNDED_LIMIT = 730


def _values(line: str, tz: ZoneInfo, all_day: bool) -> list[datetime]:
    """The datetimes of an EXDATE / RDATE line, in the series' terms (aware for timed, naive for all-day)."""
    head, _, values = line.partition(":")
    params = dict(part.split("=", 1) for part in head.split(";")[1:] if "=" in part)
    value_zone = zone(params["TZID"]) if "TZID" in params else tz
    found: list[datetime] = []
    for value in filter(None, (v.strip() for v in values.split(","))):
        try:
            if len(value) == 8:  # VALUE=DATE
                day = datetime.strptime(value, "%Y%m%d")  # noqa: DTZ007 (a floating date; zoned below if timed)
                found.append(day if all_day else day.replace(hour=0, tzinfo=value_zone))
                continue
            utc = value.endswith("Z")
            moment = datetime.strptime(value.rstrip("Z"), "%Y%m%dT%H%M%S")  # noqa: DTZ007 (zoned below)
        except ValueError:
            raise invalid_argument(f"Invalid recurrence rule: {line}") from None
        if all_day:
            found.append(moment.replace(hour=0, minute=0, second=0))
        else:
            found.append(moment.replace(tzinfo=UTC) if utc else moment.replace(tzinfo=value_zone))
    return found


def series(recurrence: list[str], first: datetime, tz: ZoneInfo, *, all_day: bool) -> rruleset:
    """The rule set of a series whose first instance starts at `first` (aware in `tz`, or a naive midnight)."""
    rules = rruleset()
    rules.rdate(first)
    has_rule = False
    for raw in recurrence:
        line = raw.strip()
        name = line.split(":", 1)[0].split(";", 1)[0].upper()
        if name in ("RRULE", "EXRULE"):
            try:
                rule = rrulestr(line.split(":", 1)[1], dtstart=first)
            except (ValueError, TypeError) as exc:
                raise invalid_argument(f"Invalid recurrence rule: {line} ({exc})") from None
            if not isinstance(rule, rrule):
                raise invalid_argument(f"Invalid recurrence rule: {line}")
            if name == "RRULE":
                rules.rrule(rule)
                has_rule = True
            else:
                rules.exrule(rule)
        elif name == "EXDATE":
            for moment in _values(line, tz, all_day):
                rules.exdate(moment)
        elif name == "RDATE":
            for moment in _values(line, tz, all_day):
                rules.rdate(moment)
        else:
            raise invalid_argument(f"Invalid recurrence rule: {line}")
    if not has_rule and not any(r.strip().upper().startswith("RDATE") for r in recurrence):
        raise invalid_argument("A recurring event needs an RRULE or RDATE line.")
    return rules


def starts(
    rules: rruleset, *, after: datetime | None = None, before: datetime | None = None, limit: int = UNBOUNDED_LIMIT
) -> list[datetime]:
    """Instance starts in [after, before) (either bound open), at most `limit` of them, in order."""
    found: list[datetime] = []
    iterator = rules.xafter(after, inc=True) if after is not None else iter(rules)
    for moment in itertools.islice(iterator, limit):
        if before is not None and moment >= before:
            break
        found.append(moment)
    return found
