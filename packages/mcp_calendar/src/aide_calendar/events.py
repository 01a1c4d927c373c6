"""The default tier's reading tools: the time, the calendars, events in a window, one event."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import Field

from aide_calendar import render
from aide_calendar.app import (
    AccountArg,
    CalendarArg,
    Cursor,
    Zone,
    calendar_id,
    client_for,
    current_state,
    output_budget,
    spec,
    user_zone,
)
from aide_calendar.client import CalendarClient
from aide_calendar.ids import check_id
from aide_calendar.models import CalendarRow, Calendars, Event, EventRow, Events, Now
from aide_calendar.scopes import requires
from aide_calendar.times import rfc3339, window
from aide_core.errors import InvalidInput
from aide_core.paging import decode_cursor, encode_cursor, take_within_budget

#: Rows a page holds at most (fewer when they would pass the output budget).
PAGE = 50
#: Events read from one calendar for one listing, at most.
MAX_PER_CALENDAR = 1000


@spec.tool()
@requires("readonly", "calendarList.get")
def get_time(timezone: Zone = None, account: AccountArg = None) -> Now:
    """Now, today's date, your zone and week: call before using relative dates."""
    from datetime import timedelta

    client = client_for(account, "get_time")
    tz = user_zone(client, timezone)
    now = current_state().now().astimezone(tz)
    monday = now.date() - timedelta(days=now.weekday())
    year, week, _ = now.isocalendar()
    offset = now.strftime("%z")
    return Now(
        now=now.isoformat(timespec="minutes"),
        date=now.date().isoformat(),
        weekday=now.strftime("%A"),
        timezone=str(tz.key),
        week=f"{year}-W{week:02d}",
        week_start=monday.isoformat(),
        utc_offset=f"{offset[:3]}:{offset[3:]}",
    )


@spec.tool()
@requires("readonly", "calendarList.list")
def list_calendars(cursor: Cursor = None, account: AccountArg = None) -> Calendars:
    """List calendars: ids, zones, your access."""
    binds = {"account": account}
    skip = decode_cursor(cursor, "list_calendars", binds, fields={"skip": int})["skip"] if cursor else 0
    entries = client_for(account, "list_calendars").calendar_list()
    rows = [
        CalendarRow(
            id=str(e["id"]),
            name=str(e.get("summaryOverride") or e.get("summary") or ""),
            timezone=str(e.get("timeZone") or ""),
            access=str(e.get("accessRole") or ""),
            primary=bool(e.get("primary")),
        )
        for e in entries[max(0, skip) :]
    ]
    rows = rows[: take_within_budget(rows, output_budget() - 300)]
    after = skip + len(rows)
    more = encode_cursor("list_calendars", {"skip": after}, binds) if after < len(entries) else None
    return Calendars(calendars=rows, next_cursor=more)


def calendars_of(client: CalendarClient, calendars: list[str] | None) -> list[str]:
    """Calendar ids from the argument: ids, or "all" for every calendar in the list; default the default one."""
    if not calendars:
        return [calendar_id(None)]
    if [c.strip().lower() for c in calendars] == ["all"]:
        return [str(e["id"]) for e in client.calendar_list() if not e.get("hidden")]
    return list(dict.fromkeys(check_id(c, "calendar") for c in calendars[:20]))


def events_in(
    client: CalendarClient, ids: list[str], begin: datetime, end: datetime, query: str | None
) -> list[tuple[str, dict[str, Any]]]:
    """Every event (recurring ones expanded) overlapping [begin, end) on these calendars, by start."""
    found: list[tuple[str, dict[str, Any]]] = []
    for cal in ids:
        token: str | None = None
        taken = 0
        while taken < MAX_PER_CALENDAR:
            page = client.list_events(
                cal, time_min=rfc3339(begin), time_max=rfc3339(end), query=query, page_token=token
            )
            items = page.get("items") or []
            found += [(cal, item) for item in items if item.get("status") != "cancelled"]
            taken += len(items)
            token = page.get("nextPageToken")
            if not token:
                break
    tz = begin.tzinfo
    assert tz is not None

    def key(pair: tuple[str, dict[str, Any]]) -> tuple[datetime, str]:
        span = render.instants(pair[1], tz)  # type: ignore[arg-type]
        return (span[0] if span else begin, str(pair[1].get("id")))

    return sorted(found, key=key)


@spec.tool()
@requires("readonly", "events.list", "calendarList.list", "calendarList.get")
def list_events(
    start: Annotated[str | None, Field(description="Date, datetime or phrase; default now.")] = None,
    end: str | None = None,
    calendars: Annotated[list[str] | None, Field(description="Ids, or ['all'].")] = None,
    query: Annotated[str | None, Field(max_length=200)] = None,
    cursor: Cursor = None,
    account: AccountArg = None,
) -> Events:
    """Events in a window, series expanded, in your zone; a date is the whole day."""
    client = client_for(account, "list_events")
    tz = user_zone(client)
    ids = calendars_of(client, calendars)
    binds = {"start": start, "end": end, "calendars": ids, "query": query, "account": account}
    if cursor:  # the window the first page resolved, so a phrase or "now" does not move between pages
        state = decode_cursor(cursor, "list_events", binds, fields={"skip": int, "from": str, "to": str})
        skip, begin, finish = state["skip"], _instant(state["from"], tz), _instant(state["to"], tz)
    else:
        skip = 0
        begin, finish = window(start, end, tz, current_state().now())
    default = ids[0] if len(ids) == 1 else calendar_id(None)
    found = events_in(client, ids, begin, finish, query)
    rows: list[EventRow] = [
        render.row(event, tz, None if cal == default else cal) for cal, event in found[max(0, skip) : skip + PAGE]
    ]
    fits = take_within_budget(rows, output_budget() - 500)
    rows = rows[:fits]
    after = skip + len(rows)
    page = {"skip": after, "from": begin.isoformat(), "to": finish.isoformat()}
    next_cursor = encode_cursor("list_events", page, binds) if after < len(found) else None
    shown_window = f"{begin.isoformat(timespec='minutes')} to {finish.isoformat(timespec='minutes')}"
    return Events(events=rows, timezone=str(tz.key), window=shown_window, next_cursor=next_cursor)


def _instant(text: str, tz: ZoneInfo) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InvalidInput("The cursor is damaged (pass it back exactly as it was returned).")
    return moment.astimezone(tz)


@spec.tool()
@requires("readonly", "events.get", "calendarList.get")
def get_event(id: str, calendar: CalendarArg = None, account: AccountArg = None) -> Event:
    """One event or occurrence: attendees, description, recurrence, Meet link."""
    client = client_for(account, "get_event")
    cal = calendar_id(calendar)
    event = client.get_event(cal, check_id(id, "event"))
    if event.get("status") == "cancelled":
        raise InvalidInput(f"The event {id[:100]!r} was cancelled.", hint="Call list_events for current events.")
    return render.full(event, user_zone(client), None if calendar is None else cal)
