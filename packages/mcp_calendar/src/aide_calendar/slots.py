"""Free slots, as a pure function: busy intervals, working hours and constraints in, ranked slots out. No I/O.

A candidate slot of `duration` starts every `step` (on the user's wall clock) inside the window. It is kept when:
- it overlaps no busy interval of anyone, each widened by `buffer` on both sides;
- for every person whose zone is known, it lies inside their working hours on one of their working days, on their
  own wall clock (so two zones, and a DST change between them, are each honoured);
- the constraints hold on the user's wall clock: not before / not after a time of day, not on an avoided weekday
  or date, not over a focus block, not on a day that already has `max_per_day` meetings, and leaving enough free
  working time that day for the tasks due then (`task_minutes` each).
Kept candidates are ranked (preferred part of the day, fewer meetings that day, sooner), each with the reason for its
rank, and the best non-overlapping ones are returned.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

__all__ = ["Found", "Person", "Rules", "find_slots", "merge"]

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Person:
    """Someone whose working hours bind: their zone (None: unknown, so their hours are not applied)."""

    zone: ZoneInfo | None
    hours: tuple[time, time] = (time(9), time(17))
    days: frozenset[int] = frozenset(range(5))


@dataclass(frozen=True)
class Rules:
    """Constraints on the user's wall clock."""

    not_before: time | None = None
    not_after: time | None = None
    avoid_days: frozenset[int] = frozenset()
    avoid_dates: frozenset[date] = frozenset()
    prefer: Literal["morning", "afternoon"] | None = None
    focus: tuple[tuple[time, time], ...] = ()
    max_per_day: int | None = None
    task_minutes: int = 0


@dataclass(frozen=True)
class Found:
    start: datetime
    end: datetime
    score: int
    reason: str


@dataclass
class _Day:
    meetings: int = 0
    free_minutes: float | None = None
    reasons: list[str] = field(default_factory=list[str])


def merge(intervals: Sequence[Interval], widen: timedelta = timedelta(0)) -> list[Interval]:
    """Intervals widened by `widen` on both sides, sorted and merged where they touch or overlap."""
    merged: list[Interval] = []
    for start, end in sorted((s - widen, e + widen) for s, e in intervals if e > s):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _overlaps(blocked: list[Interval], starts: list[datetime], start: datetime, end: datetime) -> bool:
    index = bisect.bisect_right(starts, start) - 1
    return any(0 <= i < len(blocked) and blocked[i][0] < end and start < blocked[i][1] for i in (index, index + 1))


def _at(day: date, moment: time, tz: ZoneInfo) -> datetime:
    if moment == time.max:
        return _wall(datetime.combine(day + timedelta(days=1), time()), tz)
    return _wall(datetime.combine(day, moment), tz)


def _wall(naive: datetime, tz: ZoneInfo) -> datetime:
    aware = naive.replace(tzinfo=tz)
    return aware.astimezone(UTC).astimezone(tz)


def _within_hours(person: Person, start: datetime, end: datetime) -> bool:
    if person.zone is None:
        return True
    local = start.astimezone(person.zone)
    day = local.date()
    if local.weekday() not in person.days:
        return False
    return _at(day, person.hours[0], person.zone) <= start and end <= _at(day, person.hours[1], person.zone)


def _free_minutes(day: date, me: Person, tz: ZoneInfo, blocked: list[Interval]) -> float:
    """The user's working minutes on `day` not covered by anything blocked."""
    begin, finish = _at(day, me.hours[0], tz), _at(day, me.hours[1], tz)
    total = (finish - begin).total_seconds() / 60
    for start, end in blocked:
        overlap = (min(end, finish) - max(start, begin)).total_seconds() / 60
        if overlap > 0:
            total -= overlap
    return total


def find_slots(
    *,
    duration: timedelta,
    begin: datetime,
    end: datetime,
    busy: Sequence[Interval],
    my_busy: Sequence[Interval] = (),
    people: Sequence[Person] = (),
    zone: ZoneInfo,
    buffer: timedelta = timedelta(0),
    rules: Rules = Rules(),
    tasks_due: Mapping[date, int] | None = None,
    limit: int = 10,
    step: timedelta = timedelta(minutes=15),
) -> tuple[list[Found], int]:
    """The best `limit` non-overlapping slots, ranked, and how many candidates met every rule (see the module)."""
    if duration <= timedelta(0) or end <= begin:
        return [], 0
    blocked = merge(busy, buffer)
    starts = [s for s, _ in blocked]
    plain = merge(busy)
    me = people[0] if people else Person(zone)
    days: dict[date, _Day] = {}
    for start, _ in merge(my_busy):
        day = start.astimezone(zone).date()
        days.setdefault(day, _Day()).meetings += 1
    step_minutes = max(1, int(step.total_seconds() // 60))
    local = begin.astimezone(zone)
    offset = (-(local.minute % step_minutes)) % step_minutes
    cursor = (local + timedelta(minutes=offset)).replace(second=0, microsecond=0)
    if cursor < begin:
        cursor += step
    kept: list[Found] = []
    while cursor + duration <= end:
        start, finish = cursor.astimezone(UTC), (cursor + duration).astimezone(UTC)
        cursor += step
        found = _judge(start, finish, begin, blocked, starts, plain, people, zone, rules, days, tasks_due, me, duration)
        if found is not None:
            kept.append(found)
    chosen: list[Found] = []
    for slot in sorted(kept, key=lambda f: (-f.score, f.start)):
        if all(slot.end <= c.start or c.end <= slot.start for c in chosen):
            chosen.append(slot)
            if len(chosen) >= limit:
                break
    return chosen, len(kept)


def _judge(
    start: datetime,
    end: datetime,
    begin: datetime,
    blocked: list[Interval],
    starts: list[datetime],
    plain: list[Interval],
    people: Sequence[Person],
    zone: ZoneInfo,
    rules: Rules,
    days: dict[date, _Day],
    tasks_due: Mapping[date, int] | None,
    me: Person,
    duration: timedelta,
) -> Found | None:
    if _overlaps(blocked, starts, start, end):
        return None
    if not all(_within_hours(person, start, end) for person in people):
        return None
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    day = local_start.date()
    if local_end.date() != day and local_end.time() != time(0):
        return None
    if day.weekday() in rules.avoid_days or day in rules.avoid_dates:
        return None
    if rules.not_before is not None and start < _at(day, rules.not_before, zone):
        return None
    if rules.not_after is not None and end > _at(day, rules.not_after, zone):
        return None
    for first, last in rules.focus:
        if _at(day, first, zone) < end and start < _at(day, last, zone):
            return None
    info = days.setdefault(day, _Day())
    if rules.max_per_day is not None and info.meetings >= rules.max_per_day:
        return None
    due = (tasks_due or {}).get(day, 0)
    if due and rules.task_minutes:
        if info.free_minutes is None:
            info.free_minutes = _free_minutes(day, me, zone, plain)
        if info.free_minutes - duration.total_seconds() / 60 < due * rules.task_minutes:
            return None
    score, reasons = 100, []
    if rules.prefer is not None:
        morning = local_start.hour < 12
        if morning == (rules.prefer == "morning"):
            score += 20
            reasons.append(f"{rules.prefer}, as preferred")
        else:
            reasons.append(f"not the {rules.prefer}")
    score -= 5 * min(info.meetings, 4)
    reasons.append(
        {0: "no other meetings that day", 1: "1 other meeting that day"}.get(
            info.meetings, f"{info.meetings} other meetings that day"
        )
    )
    days_out = (day - begin.astimezone(zone).date()).days
    score -= min(days_out, 30)
    reasons.append("today" if days_out == 0 else "tomorrow" if days_out == 1 else f"{days_out} days out")
    if due:
        reasons.append(f"{due} task(s) due that day")
    return Found(start, end, score, "; ".join(reasons))
