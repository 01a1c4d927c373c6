"""The default tier's writing tools: create, update and delete events (recurring scopes this|following|all) and
answer invitations. Each is a guarded action planned in `plans.py`: an event that reaches no one other than the user
is created (or one such event changed) without asking (`Plan.confirm=False`); anything that notifies someone, a
change to a whole series or its recurrence, and every deletion, is confirmed.

Recurring scopes, as Google's own apps do them: `this` patches (or deletes) the instance id, which Google stores as
an exception of the series; `following` splits the series: the original's RRULE gets an UNTIL just before the
instance and a new series starts at the instance with the changes; `all` patches the series itself (from an
instance, a change of time moves every occurrence by the same shift).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from aide_calendar import body as bodies
from aide_calendar import changes as edits
from aide_calendar import recurrence
from aide_calendar.app import AccountArg, CalendarArg, calendar_id, client_for, current_state, spec, user_zone
from aide_calendar.changes import EventChanges, Scope
from aide_calendar.ids import check_id
from aide_calendar.models import Deleted, Saved
from aide_calendar.plans import Write, Writes, carry_out, conflicts_with, make_plan, others, saved, when_text
from aide_calendar.scopes import requires
from aide_calendar.times import parse_api, zone
from aide_core.errors import InvalidInput
from aide_core.fencing import defang_field
from aide_core.plan import Plan


def _details(body: dict[str, Any]) -> list[str]:
    lines = []
    if body.get("location"):
        lines.append(f"where: {defang_field(str(body['location']))}")
    if body.get("recurrence"):
        lines.append(f"repeats: {'; '.join(body['recurrence'])}")
    if body.get("description"):
        lines.append(str(body["description"]))
    return lines


# -- create ---------------------------------------------------------------------------------------------------------
def _plan_create(
    summary: str,
    start: str,
    end: str | None = None,
    duration: int | None = None,
    timezone: str | None = None,
    all_day: bool | None = None,
    attendees: list[str] | None = None,
    location: str | None = None,
    description: str | None = None,
    recurrence: str | None = None,
    reminders: list[int] | None = None,
    conference: bool = False,
    visibility: bodies.Visibility | None = None,
    transparency: bodies.Transparency | None = None,
    check_conflicts: bool = False,
    calendar: str | None = None,
    account: str | None = None,
) -> Plan[Writes]:
    client = client_for(account, "create_event")
    user_tz = user_zone(client)
    tz = zone(timezone) if timezone is not None else user_tz
    now = current_state().now()
    title = bodies.one_line(summary, "summary") or ""
    times = bodies.resolve_times(start, end, duration, all_day, tz, now)
    body: dict[str, Any] = {"summary": title, **times.fields(str(tz.key))}
    rules = bodies.recurrence_field(recurrence, times, tz, now)
    if rules:
        body["recurrence"] = rules
    body |= bodies.extras(
        location=location, description=description, reminders=reminders, visibility=visibility,
        transparency=transparency,
    )  # fmt: skip
    guests = bodies.emails(attendees)
    me = edits.me(client)
    if guests:
        body["attendees"] = [{"email": g} for g in guests]
    if conference:
        body["conferenceData"] = bodies.conference_field([body, calendar, account])
    notified = others(guests, me)
    cal = calendar_id(calendar)
    found = []
    if check_conflicts:
        from aide_calendar.render import instants

        span = instants(body, tz)
        if span is not None:
            found = conflicts_with(client, cal, span[0], span[1], user_tz)
    write = Write("insert", cal, body=body, send="all" if notified else "none", conference=conference)
    details = _details(body) + [f"conflicts with: {c.summary} ({c.start})" for c in found]
    return make_plan(
        "Create", title, [write], notified, user_tz, when=when_text(body, user_tz), details=details,
        conflicts=found, confirm=bool(notified),
    )  # fmt: skip


@spec.action(plan=_plan_create, destructive=False)
@requires("compose", "events.insert", "events.list", "calendarList.get")
def create_event(
    plan: Plan[Writes],
    summary: str,
    start: Annotated[str, Field(description="Datetime or phrase; a date: all-day.")],
    end: Annotated[str | None, Field(description="All-day: last day.")] = None,
    duration: Annotated[int | None, Field(description="Minutes.")] = None,
    timezone: str | None = None,
    all_day: bool | None = None,
    attendees: list[str] | None = None,
    location: str | None = None,
    description: str | None = None,
    recurrence: Annotated[str | None, Field(description="RRULE or words.")] = None,
    reminders: Annotated[list[int] | None, Field(description="Minutes before.")] = None,
    conference: Annotated[bool, Field(description="Meet link.")] = False,
    visibility: bodies.Visibility | None = None,
    transparency: bodies.Transparency | None = None,
    check_conflicts: bool = False,
    calendar: CalendarArg = None,
    account: AccountArg = None,
) -> Saved:
    """Create an event; inviting attendees asks the user first."""
    client = client_for(account, "create_event")
    written, cal = carry_out(client, plan)
    return saved(plan, written, 0, cal, calendar_id(None))


# -- update ---------------------------------------------------------------------------------------------------------
def _plan_update(
    id: str,
    changes: EventChanges,
    scope: Scope = "this",
    calendar: str | None = None,
    account: str | None = None,
) -> Plan[Writes]:
    client = client_for(account, "update_event")
    cal = calendar_id(calendar)
    user_tz = user_zone(client)
    now = current_state().now()
    event, series = edits.target(client, cal, id)
    scope = edits.scope_of(event, series, scope)
    if scope == "this" and series is not None and changes.recurrence is not None:
        raise InvalidInput(
            "One occurrence has no recurrence of its own.", hint="Use scope=all (or following) to change the series."
        )
    event_tz = (
        zone(changes.timezone)
        if changes.timezone
        else zone(str((event.get("start") or {}).get("timeZone") or user_tz.key))
    )
    conference = bool(changes.conference)
    if scope == "this" or series is None:
        patch, _ = edits.apply(changes, event, client, event_tz, now)
        if not patch:
            raise InvalidInput("Nothing to change.", hint="Give at least one field in changes.")
        target = event
        writes = [Write("patch", cal, str(event["id"]), patch, conference=conference)]
        result = event | patch
    elif scope == "all":
        patch, times = edits.apply(changes, event, client, event_tz, now)
        if not patch:
            raise InvalidInput("Nothing to change.", hint="Give at least one field in changes.")
        if times is not None:  # shift the series by what this occurrence moved
            patch |= edits.shifted(series, event, times, event_tz)
        target = series
        writes = [Write("patch", cal, str(series["id"]), patch, conference=conference)]
        result = series | patch
    else:
        writes, result = edits.split(client, cal, event, series, changes, event_tz, now)
        target = series
    send = "all" if edits.notified(client, target, result) else "none"
    writes = [Write(w.kind, w.calendar, w.event_id, w.body, send, w.conference) for w in writes]
    notified = edits.notified(client, target, result)
    verb = {"this": "Change", "all": "Change every occurrence of", "following": "Change this and following of"}[scope]
    # A change to one event that tells no one is the user's own business, like creating it; a change to a series
    # (which can drop occurrences) and anything that notifies someone is asked about.
    quiet = not notified and scope == "this" and "recurrence" not in writes[0].body
    return make_plan(
        verb, str(result.get("summary") or ""), writes, notified, user_tz, when=when_text(result, user_tz),
        details=_details(writes[-1].body), scope=scope, confirm=not quiet,
    )  # fmt: skip


@spec.action(plan=_plan_update, destructive=False)
@requires("compose", "events.get", "events.patch", "events.insert", "calendarList.get")
def update_event(
    plan: Plan[Writes],
    id: str,
    changes: EventChanges,
    scope: Scope = "this",
    calendar: CalendarArg = None,
    account: AccountArg = None,
) -> Saved:
    """Change an event; for an occurrence, scope this, following or all."""
    client = client_for(account, "update_event")
    written, cal = carry_out(client, plan)
    return saved(plan, written, len(written) - 1, cal, calendar_id(None))


# -- delete ---------------------------------------------------------------------------------------------------------
def _plan_delete(
    id: str, scope: Scope = "this", calendar: str | None = None, account: str | None = None
) -> Plan[Writes]:
    client = client_for(account, "delete_event")
    cal = calendar_id(calendar)
    user_tz = user_zone(client)
    event, series = edits.target(client, cal, id)
    scope = edits.scope_of(event, series, scope)
    if scope == "this" or series is None:
        writes = [Write("delete", cal, str(event["id"]))]
        target = event
    elif scope == "all":
        writes = [Write("delete", cal, str(series["id"]))]
        target = series
    else:
        tz = zone(str((series.get("start") or {}).get("timeZone") or user_tz.key))
        original = parse_api(event.get("originalStartTime") or event.get("start"), tz)
        first = parse_api(series.get("start"), tz)
        rules = [str(r) for r in series.get("recurrence") or []]
        if original == first:
            writes = [Write("delete", cal, str(series["id"]))]
        else:
            assert original is not None
            writes = [
                Write("patch", cal, str(series["id"]), {"recurrence": recurrence.truncate_before(rules, original)})
            ]
        target = series
    notified = edits.notified(client, target)
    send = "all" if notified else "none"
    writes = [Write(w.kind, w.calendar, w.event_id, w.body, send) for w in writes]
    verb = {"this": "Delete", "all": "Delete every occurrence of", "following": "Delete this and following of"}[scope]
    return make_plan(
        verb, str(target.get("summary") or ""), writes, notified, user_tz, when=when_text(event, user_tz), scope=scope
    )


@spec.action(plan=_plan_delete)
@requires("compose", "events.get", "events.delete", "events.patch", "calendarList.get")
def delete_event(
    plan: Plan[Writes], id: str, scope: Scope = "this", calendar: CalendarArg = None, account: AccountArg = None
) -> Deleted:
    """Delete an event, an occurrence (scope this), following ones or all."""
    client = client_for(account, "delete_event")
    carry_out(client, plan)
    return Deleted(id=id, scope=plan.payload.scope, notified=list(plan.payload.notified))


# -- respond --------------------------------------------------------------------------------------------------------
def _plan_respond(
    id: str,
    response: Literal["accepted", "declined", "tentative"],
    comment: str | None = None,
    calendar: str | None = None,
    account: str | None = None,
) -> Plan[Writes]:
    client = client_for(account, "respond_to_event")
    cal = calendar_id(calendar)
    user_tz = user_zone(client)
    event = client.get_event(cal, check_id(id, "event"))
    attendees = [dict(a) for a in event.get("attendees") or []]
    mine = next((a for a in attendees if a.get("self")), None)
    organizer = str((event.get("organizer") or {}).get("email") or "")
    if mine is None:
        raise InvalidInput("You are not among this event's attendees.", hint="Only invitations can be answered.")
    if mine.get("organizer") or (organizer and organizer.lower() == str(mine.get("email", "")).lower()):
        raise InvalidInput("You organise this event; there is nothing to answer.")
    mine["responseStatus"] = response
    note = bodies.one_line(comment, "comment", 500)
    if note:
        mine["comment"] = note
    people = [{k: v for k, v in a.items() if k != "self"} for a in attendees]
    notified = [organizer] if organizer else []
    write = Write("patch", cal, str(event["id"]), {"attendees": people}, "all" if notified else "none")
    verb = {"accepted": "Accept", "declined": "Decline", "tentative": "Answer maybe to"}[response]
    return make_plan(verb, str(event.get("summary") or ""), [write], notified, user_tz, when=when_text(event, user_tz),
                     details=[f"comment: {note}"] if note else [])  # fmt: skip


@spec.action(plan=_plan_respond, destructive=False)
@requires("compose", "events.get", "events.patch", "calendarList.get")
def respond_to_event(
    plan: Plan[Writes],
    id: str,
    response: Literal["accepted", "declined", "tentative"],
    comment: str | None = None,
    calendar: CalendarArg = None,
    account: AccountArg = None,
) -> Saved:
    """Answer an invitation; the organizer is told."""
    client = client_for(account, "respond_to_event")
    written, cal = carry_out(client, plan)
    return saved(plan, written, 0, cal, calendar_id(None))
