"""Events as the API gives them, turned into rows in the user's zone (all-day: dates, `end` inclusive)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aide_calendar.models import Attendee, Event, EventRow
from aide_calendar.times import parse_api, shown
from aide_core.fencing import fence


def span(event: dict[str, Any], tz: ZoneInfo) -> tuple[str, str, bool]:
    """(start, end, all_day) as rows show them."""
    start = parse_api(event.get("start"), tz)
    end = parse_api(event.get("end"), tz)
    if isinstance(start, datetime):
        finish = end if isinstance(end, datetime) else start
        return shown(start, tz), shown(finish, tz), False
    if isinstance(start, date):
        last = (
            end - timedelta(days=1)
            if isinstance(end, date) and not isinstance(end, datetime) and end > start
            else start
        )
        return start.isoformat(), last.isoformat(), True
    return "", "", False


def instants(event: dict[str, Any], tz: ZoneInfo) -> tuple[datetime, datetime] | None:
    """The instants an event covers (an all-day event: from midnight to midnight in `tz`)."""
    from aide_calendar.times import day_start

    start, end = parse_api(event.get("start"), tz), parse_api(event.get("end"), tz)
    if start is None or end is None:
        return None
    if not isinstance(start, datetime):
        start = day_start(start, tz)
    if not isinstance(end, datetime):
        end = day_start(end, tz)
    return start, end


def my_response(event: dict[str, Any]) -> str | None:
    for attendee in event.get("attendees") or []:
        if attendee.get("self"):
            return str(attendee.get("responseStatus") or "needsAction")
    return None


def row(event: dict[str, Any], tz: ZoneInfo, calendar: str | None = None) -> EventRow:
    start, end, all_day = span(event, tz)
    return EventRow(
        id=str(event.get("id", "")),
        summary=str(event.get("summary") or ""),
        start=start,
        end=end,
        all_day=all_day,
        calendar=calendar,
        location=event.get("location") or None,
        recurring=bool(event.get("recurringEventId") or event.get("recurrence")),
        response=my_response(event),
        free=event.get("transparency") == "transparent",
    )


#: Characters of a description and attendees of an event that `get_event` shows (Google allows 8 KB and thousands).
MAX_DESCRIPTION = 4000
MAX_ATTENDEES = 50


def full(event: dict[str, Any], tz: ZoneInfo, calendar: str | None = None) -> Event:
    base = row(event, tz, calendar)
    description = event.get("description")
    if description and len(str(description)) > MAX_DESCRIPTION:
        left = len(str(description)) - MAX_DESCRIPTION
        description = f"{str(description)[:MAX_DESCRIPTION]}… ({left:,} more characters not shown)"
    organizer = event.get("organizer") or {}
    organizer_email = str(organizer.get("email") or "") or None
    attendees = [
        Attendee(
            email=str(a.get("email", "")),
            name=a.get("displayName") or None,
            response=str(a.get("responseStatus") or "needsAction"),
            organizer=bool(a.get("organizer")) or a.get("email") == organizer_email,
            you=bool(a.get("self")),
        )
        for a in (event.get("attendees") or [])[:MAX_ATTENDEES]
    ]
    meet = next(
        (
            str(point.get("uri"))
            for point in (event.get("conferenceData") or {}).get("entryPoints") or []
            if point.get("entryPointType") == "video"
        ),
        None,
    )
    reminders = event.get("reminders") or {}
    shown_reminders = (
        ["default"]
        if reminders.get("useDefault")
        else [f"{r.get('method', 'popup')} {r.get('minutes', 0)} min" for r in reminders.get("overrides") or []]
    )
    start = event.get("start") or {}
    return Event(
        **base.model_dump(),
        description=fence(str(description), source=f"calendar event {base.id}", kind="event description")
        if description
        else None,
        organizer=organizer_email,
        attendees=attendees,
        more_attendees=max(0, len(event.get("attendees") or []) - MAX_ATTENDEES),
        recurrence=[str(line) for line in event.get("recurrence") or []],
        series_id=event.get("recurringEventId"),
        meet=meet,
        reminders=shown_reminders,
        visibility=event.get("visibility"),
        timezone=start.get("timeZone"),
        link=event.get("htmlLink"),
        status=event.get("status"),
    )
