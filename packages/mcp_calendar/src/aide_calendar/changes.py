"""What an update asks for, resolved against the event it names: the `changes` model, the target (an event, or an
occurrence and its series), the patch body, and for `following` the split of the series into an ended original and
a new series. Pure apart from the reads of the target; `writing.py` plans and sends the result."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from aide_calendar import body as bodies
from aide_calendar import recurrence
from aide_calendar.client import CalendarClient
from aide_calendar.ids import check_id
from aide_calendar.inputs import Compact
from aide_calendar.plans import Write, others
from aide_calendar.times import parse_api
from aide_core.errors import InvalidInput

Scope = Literal["this", "following", "all"]
#: Fields a new series copies from the one it splits from.
SERIES_FIELDS = (
    "summary", "description", "location", "attendees", "reminders", "visibility", "transparency", "colorId",
    "guestsCanModify", "guestsCanInviteOthers", "guestsCanSeeOtherGuests",
)  # fmt: skip


class EventChanges(Compact):
    summary: str | None = None
    start: str | None = None
    end: str | None = None
    duration: int | None = None
    timezone: str | None = None
    location: str | None = None
    description: str | None = None
    attendees: list[str] | None = None
    add_attendees: list[str] | None = None
    remove_attendees: list[str] | None = None
    recurrence: str | None = None
    reminders: list[int] | None = None
    visibility: bodies.Visibility | None = None
    transparency: bodies.Transparency | None = None
    conference: bool | None = None


def me(client: CalendarClient) -> str | None:
    return client.signed_in.email


def target(client: CalendarClient, cal: str, event_id: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The event named and, when it is an instance of a series, the series."""
    event = client.get_event(cal, check_id(event_id, "event"))
    if event.get("status") == "cancelled":
        raise InvalidInput(f"The event {event_id[:100]!r} was cancelled.", hint="Call list_events for current ids.")
    series_id = event.get("recurringEventId")
    return event, client.get_event(cal, str(series_id)) if series_id else None


def scope_of(event: dict[str, Any], series: dict[str, Any] | None, scope: Scope) -> Scope:
    if series is None and event.get("recurrence"):
        if scope == "this" or scope == "following":
            raise InvalidInput(
                f"{event.get('id')!r} is a whole series; scope={scope} needs the id of one occurrence.",
                hint="Take the occurrence's id from list_events, or use scope=all.",
            )
        return "all"
    if series is None:
        return "this"
    return scope


def changed_times(
    changes: EventChanges, event: dict[str, Any], tz: ZoneInfo, now: datetime
) -> tuple[dict[str, Any], bodies.Times | None]:
    """The new start/end fields when the changes touch the time, else {}."""
    if changes.start is None and changes.end is None and changes.duration is None and changes.timezone is None:
        return {}, None
    old_start, old_end = parse_api(event.get("start"), tz), parse_api(event.get("end"), tz)
    if old_start is None or old_end is None:
        raise InvalidInput("The event has no times to change.")
    all_day = not isinstance(old_start, datetime)
    start = changes.start
    if start is None:
        start = (
            old_start.astimezone(tz).replace(tzinfo=None).isoformat()
            if isinstance(old_start, datetime)
            else old_start.isoformat()
        )
    duration = changes.duration
    end = changes.end
    if end is None and duration is None:
        if isinstance(old_start, datetime) and isinstance(old_end, datetime):
            duration = max(1, int((old_end - old_start).total_seconds() // 60))
        elif not isinstance(old_start, datetime) and not isinstance(old_end, datetime):
            duration = (old_end - old_start).days * 1440
    times = bodies.resolve_times(start, end, duration, None if changes.start else all_day, tz, now)
    return times.fields(str(tz.key)), times


def apply(
    changes: EventChanges, event: dict[str, Any], client: CalendarClient, tz: ZoneInfo, now: datetime
) -> tuple[dict[str, Any], bodies.Times | None]:
    """The patch body for `event` from the changes (times, attendees, recurrence, the rest)."""
    patch: dict[str, Any] = {}
    if changes.summary is not None:
        patch["summary"] = bodies.one_line(changes.summary, "summary")
    fields, times = changed_times(changes, event, tz, now)
    patch |= fields
    patch |= bodies.extras(
        location=changes.location, description=changes.description, reminders=changes.reminders,
        visibility=changes.visibility, transparency=changes.transparency,
    )  # fmt: skip
    current = [dict(a) for a in event.get("attendees") or []]
    if changes.attendees is not None or changes.add_attendees or changes.remove_attendees:
        if changes.attendees is not None:
            wanted = bodies.emails(changes.attendees)
            keep = {a["email"].lower(): a for a in current if a.get("email")}
            people = [keep.get(w.lower(), {"email": w}) for w in wanted]
            mine = next((a for a in current if a.get("self")), None)
            if mine is not None and all(p.get("email", "").lower() != mine["email"].lower() for p in people):
                people.insert(0, mine)
        else:
            people = list(current)
        for added in bodies.emails(changes.add_attendees):
            if all(p.get("email", "").lower() != added.lower() for p in people):
                people.append({"email": added})
        gone = {r.lower() for r in bodies.emails(changes.remove_attendees)}
        people = [
            {k: v for k, v in p.items() if k in ("email", "responseStatus", "optional", "comment", "displayName")}
            for p in people
            if p.get("email", "").lower() not in gone
        ]
        patch["attendees"] = people
    if changes.recurrence is not None:
        start = times.start if times else parse_api(event.get("start"), tz)
        end = times.end if times else parse_api(event.get("end"), tz)
        assert start is not None and end is not None
        basis = times or bodies.Times(start, end, not isinstance(start, datetime))
        patch["recurrence"] = bodies.recurrence_field(changes.recurrence, basis, tz, now) or []
    if changes.conference:
        patch["conferenceData"] = bodies.conference_field([event.get("id"), patch])
    return patch, times


def notified(client: CalendarClient, *events: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for event in events:
        for address in others(event.get("attendees") or [], me(client)):
            if address not in found:
                found.append(address)
    return found


def shifted(series: dict[str, Any], instance: dict[str, Any], times: bodies.Times, tz: ZoneInfo) -> dict[str, Any]:
    """The series' start and end moved by the shift between the instance's time and its new time."""
    old = parse_api(instance.get("start"), tz)
    s_start, s_end = parse_api(series.get("start"), tz), parse_api(series.get("end"), tz)
    if old is None or s_start is None or s_end is None:
        return {}
    if isinstance(old, datetime) and isinstance(times.start, datetime) and isinstance(s_start, datetime):
        assert isinstance(s_end, datetime) and isinstance(times.end, datetime)
        wall = times.start.astimezone(tz).replace(tzinfo=None) - old.astimezone(tz).replace(tzinfo=None)
        length = times.end - times.start
        from aide_calendar.times import localize

        new_start = localize(s_start.astimezone(tz).replace(tzinfo=None) + wall, tz)
        return bodies.Times(new_start, new_start + length, False).fields(str(tz.key))
    raise InvalidInput(
        "Changing the time of every occurrence between all-day and timed is not supported.",
        hint="Use scope=following from the first occurrence, or delete and create the series again.",
    )


def split(
    client: CalendarClient,
    cal: str,
    event: dict[str, Any],
    series: dict[str, Any],
    changes: EventChanges,
    tz: ZoneInfo,
    now: datetime,
) -> tuple[list[Write], dict[str, Any]]:
    """`following`: end the series before this occurrence, start a new one here with the changes."""
    original = parse_api(event.get("originalStartTime") or event.get("start"), tz)
    series_start = parse_api(series.get("start"), tz)
    assert original is not None and series_start is not None
    rules = [str(r) for r in series.get("recurrence") or []]
    if original == series_start:  # the first occurrence: following is the whole series
        patch, _ = apply(changes, series, client, tz, now)
        if not patch:
            raise InvalidInput("Nothing to change.", hint="Give at least one field in changes.")
        return [Write("patch", cal, str(series["id"]), patch)], series | patch
    new: dict[str, Any] = {k: series[k] for k in SERIES_FIELDS if k in series}
    if "attendees" in new:
        new["attendees"] = [
            {k: v for k, v in a.items() if k in ("email", "responseStatus", "optional", "displayName")}
            for a in new["attendees"]
        ]
    new |= {"start": event["start"], "end": event["end"]}
    new["recurrence"] = recurrence.remaining_rules(rules, series_start, original, tz)
    patch, _ = apply(changes, new, client, tz, now)
    if not patch:
        raise InvalidInput("Nothing to change.", hint="Give at least one field in changes.")
    new |= patch
    ended = {"recurrence": recurrence.truncate_before(rules, original)}
    return [
        Write("patch", cal, str(series["id"]), ended),
        Write("insert", cal, body=new, conference=bool(changes.conference)),
    ], new
