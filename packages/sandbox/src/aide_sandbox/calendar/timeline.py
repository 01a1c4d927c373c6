"""What a listing sees: stored events turned into the items of `events.list` and `events.instances`.

A recurring event is stored once (its master, with `recurrence`) plus one row per changed or cancelled instance (an
exception: `recurringEventId` + `originalStartTime`). With `singleEvents=true` the master is expanded into
instances whose ids are `<master id>_<UTC start, 20261103T080000Z>` (`_<20261103>` for all-day), and an exception
replaces the instance with its id; without it, masters and exceptions are listed as stored, as Google does.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from aide_sandbox.calendar import recurrence
from aide_sandbox.calendar.times import event_date_time, is_all_day, parse_date, resolve, utc_stamp, zone

__all__ = ["expand", "instance", "listing", "matches_text", "occurrence", "overlaps", "span", "split_instance_id"]

_INSTANCE = re.compile(r"(?P<master>.+)_(?P<stamp>\d{8}(?:T\d{6}Z)?)")


def split_instance_id(event_id: str) -> tuple[str, str] | None:
    """(master id, start stamp) of an instance id, or None for a plain id."""
    match = _INSTANCE.fullmatch(event_id)
    return (match["master"], match["stamp"]) if match else None


def span(event: dict[str, Any], calendar_zone: str) -> tuple[datetime, datetime]:
    """The instants an event starts and ends at (all-day dates at midnight in `calendar_zone`)."""
    return resolve(event["start"], calendar_zone), resolve(event["end"], calendar_zone, field="end")


def overlaps(event: dict[str, Any], calendar_zone: str, after: datetime | None, before: datetime | None) -> bool:
    start, end = span(event, calendar_zone)
    if after is not None and end <= after and not (start == end and start >= after):
        return False
    return not (before is not None and start >= before)


def _series(master: dict[str, Any], calendar_zone: str) -> tuple[Any, datetime, timedelta, bool]:
    all_day = is_all_day(master["start"])
    if all_day:
        first_day = parse_date(master["start"]["date"])
        first = datetime(first_day.year, first_day.month, first_day.day)  # noqa: DTZ001 (all-day series float)
        length = parse_date(master["end"]["date"]) - first_day
        tz = zone(calendar_zone)
    else:
        tz = zone(master["start"].get("timeZone"), calendar_zone)
        start, end = span(master, calendar_zone)
        first = start.astimezone(tz)
        length = end - start
    return recurrence.series(master.get("recurrence", []), first, tz, all_day=all_day), first, length, all_day


def instance(master: dict[str, Any], start: datetime, length: timedelta, all_day: bool) -> dict[str, Any]:
    """The instance of `master` starting at `start` (aware for timed series, a naive midnight for all-day)."""
    item = {key: value for key, value in master.items() if key != "recurrence"}
    if all_day:
        day = start.date()
        item["start"] = {"date": day.isoformat()}
        item["end"] = {"date": (day + length).isoformat()}
        item["originalStartTime"] = {"date": day.isoformat()}
        suffix = day.strftime("%Y%m%d")
    else:
        start_zone = master["start"].get("timeZone")
        end_zone = master["end"].get("timeZone") or start_zone
        item["start"] = event_date_time(start, start_zone)
        item["end"] = event_date_time((start + length).astimezone(zone(end_zone or "UTC")), end_zone)
        item["originalStartTime"] = dict(item["start"])
        suffix = utc_stamp(start)
    item["id"] = f"{master['id']}_{suffix}"
    item["recurringEventId"] = master["id"]
    return item


def expand(
    master: dict[str, Any],
    calendar_zone: str,
    after: datetime | None = None,
    before: datetime | None = None,
    *,
    limit: int = recurrence.UNBOUNDED_LIMIT,
) -> list[dict[str, Any]]:
    """The instances of a recurring event overlapping [after, before)."""
    rules, first, length, all_day = _series(master, calendar_zone)
    tz = zone(calendar_zone)
    low = (after - length) if after is not None else None
    if all_day:
        low = low.astimezone(tz).replace(tzinfo=None) if low is not None else None
        high = before.astimezone(tz).replace(tzinfo=None) if before is not None else None
    else:
        high = before
    if low is not None and low < first:
        low = None
    starts = recurrence.starts(rules, after=low, before=high, limit=limit)
    found = [instance(master, start, length, all_day) for start in starts]
    return [item for item in found if overlaps(item, calendar_zone, after, before)]


def occurrence(master: dict[str, Any], stamp: str, calendar_zone: str) -> dict[str, Any] | None:
    """The instance of `master` named by `stamp`, if the series has one there."""
    rules, first, length, all_day = _series(master, calendar_zone)
    try:
        if all_day:
            moment = datetime.strptime(stamp, "%Y%m%d")  # noqa: DTZ007 (all-day series float)
        else:
            moment = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    if not all_day:
        moment = moment.astimezone(first.tzinfo)
    hit = recurrence.starts(rules, after=moment, limit=1)
    return instance(master, hit[0], length, all_day) if hit and hit[0] == moment else None


def listing(
    stored: list[dict[str, Any]],
    calendar_zone: str,
    *,
    single: bool,
    after: datetime | None,
    before: datetime | None,
    show_deleted: bool,
) -> list[dict[str, Any]]:
    """The events a listing returns before `q`, ordering and paging."""
    by_id = {event["id"]: event for event in stored}
    exceptions = {event["id"] for event in stored if event.get("recurringEventId")}
    found: list[dict[str, Any]] = []
    for event in stored:
        cancelled = event.get("status") == "cancelled"
        if event.get("recurringEventId"):
            master = by_id.get(event["recurringEventId"])
            master_gone = master is None or master.get("status") == "cancelled"
            if (cancelled or master_gone) and not show_deleted:
                continue
            if overlaps(event, calendar_zone, after, before):
                found.append(event)
        elif event.get("recurrence"):
            if cancelled:
                if show_deleted and not single:
                    found.append(event)
                continue
            if single:
                found.extend(i for i in expand(event, calendar_zone, after, before) if i["id"] not in exceptions)
            elif expand(event, calendar_zone, after, before, limit=recurrence.UNBOUNDED_LIMIT):
                found.append(event)
        elif (not cancelled or show_deleted) and overlaps(event, calendar_zone, after, before):
            found.append(event)
    return found


def matches_text(event: dict[str, Any], query: str) -> bool:
    """Google's `q`: every term somewhere in the summary, description, location, attendees or organizer."""
    people = [*event.get("attendees", []), event.get("organizer", {})]
    haystack = " ".join(
        [
            str(event.get("summary", "")),
            str(event.get("description", "")),
            str(event.get("location", "")),
            *(f"{p.get('email', '')} {p.get('displayName', '')}" for p in people),
        ]
    ).casefold()
    return all(term in haystack for term in query.casefold().split())
