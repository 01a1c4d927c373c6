"""The extended tier (`tier = "extended"`): search, move between calendars, new calendars, colours, changes since a
sync token, and task lists, deleting and moving tasks."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from pydantic import Field

from aide_calendar import body as bodies
from aide_calendar import render
from aide_calendar.app import AccountArg, CalendarArg, Cursor, calendar_id, client_for, current_state, spec, tasks_for
from aide_calendar.events import calendars_of, events_in
from aide_calendar.ids import check_id
from aide_calendar.models import CalendarRow, Changes, Color, Colors, EventRow, Events, Task, TaskList, TaskLists
from aide_calendar.scopes import requires, requires_tasks
from aide_calendar.tasks import DEFAULT_LIST, ListArg, task_row
from aide_calendar.times import window, zone
from aide_core.errors import InvalidInput, NotFound, UpstreamError
from aide_core.paging import decode_cursor, encode_cursor, take_within_budget
from aide_core.plan import Plan

#: Pages of a full listing read to reach the first sync token.
_SYNC_PAGES = 40


@spec.tool(tier="extended")
@requires("readonly", "events.list", "calendarList.list", "calendarList.get")
def search_events(
    query: Annotated[str, Field(min_length=1, max_length=200)],
    start: Annotated[str | None, Field(description="Default: a year ago.")] = None,
    end: Annotated[str | None, Field(description="Default: a year ahead.")] = None,
    calendars: list[str] | None = None,
    limit: Annotated[int, Field(ge=1, le=100)] = 25,
    cursor: Cursor = None,
    account: AccountArg = None,
) -> Events:
    """Find events by text (title, description, place, attendees) over a wide window."""
    from aide_calendar.app import output_budget, user_zone

    client = client_for(account, "search_events")
    tz = user_zone(client)
    now = current_state().now()
    begin, finish = window(start, end, tz, now) if start else (now - timedelta(days=365), now + timedelta(days=365))
    if start is None and end is not None:
        finish = window(None, end, tz, now)[1]
    ids = calendars_of(client, calendars)
    binds = {"q": query, "start": start, "end": end, "calendars": ids, "limit": limit, "account": account}
    skip = decode_cursor(cursor, "search_events", binds, fields={"skip": int})["skip"] if cursor else 0
    found = events_in(client, ids, begin.astimezone(tz), finish.astimezone(tz), query)
    default = calendar_id(None)
    rows: list[EventRow] = [
        render.row(e, tz, None if c == default else c) for c, e in found[max(0, skip) : skip + limit]
    ]
    rows = rows[: take_within_budget(rows, output_budget() - 500)]
    after = skip + len(rows)
    next_cursor = encode_cursor("search_events", {"skip": after}, binds) if after < len(found) else None
    shown = (
        f"{begin.astimezone(tz).isoformat(timespec='minutes')} to {finish.astimezone(tz).isoformat(timespec='minutes')}"
    )
    return Events(events=rows, timezone=str(tz.key), window=shown, next_cursor=next_cursor)


@spec.tool(tier="extended", read_only=False, idempotent=False)
@requires("compose", "events.move", "calendarList.get")
def move_event(id: str, destination: str, calendar: CalendarArg = None, account: AccountArg = None) -> EventRow:
    """Move an event to another calendar (its organizer becomes that calendar)."""
    from aide_calendar.app import user_zone

    client = client_for(account, "move_event")
    target = check_id(destination, "calendar")
    moved = client.move_event(calendar_id(calendar), check_id(id, "event"), target, "none")
    return render.row(moved, user_zone(client), target)


@spec.tool(tier="extended", read_only=False, idempotent=False)
@requires("full", "calendars.insert")
def create_calendar(
    summary: str, timezone: str | None = None, description: str | None = None, account: AccountArg = None
) -> CalendarRow:
    """Create a secondary calendar."""
    from aide_calendar.app import user_zone

    client = client_for(account, "create_calendar")
    name = bodies.one_line(summary, "name", 250)
    if not name:
        raise InvalidInput("A calendar needs a name.")
    tz = zone(timezone) if timezone else user_zone(client)
    made = client.create_calendar(name, str(tz.key), bodies.free_text(description, "description"))
    return CalendarRow(id=str(made["id"]), name=str(made.get("summary") or name), timezone=str(tz.key), access="owner")


@spec.tool(tier="extended")
@requires("readonly", "colors.get")
def list_colors(account: AccountArg = None) -> Colors:
    """The colour ids events and calendars may use."""
    palette = client_for(account, "list_colors").colors()

    def colors(kind: str) -> list[Color]:
        table: dict[str, Any] = palette.get(kind) or {}
        return [
            Color(id=k, background=str(v.get("background")), foreground=str(v.get("foreground")))
            for k, v in table.items()
        ]

    return Colors(event=colors("event"), calendar=colors("calendar"))


@spec.tool(tier="extended")
@requires("readonly", "events.list", "calendarList.get")
def events_since(
    sync_token: Annotated[str | None, Field(description="From a previous call; none: get a first token.")] = None,
    calendar: CalendarArg = None,
    cursor: Cursor = None,
    account: AccountArg = None,
) -> Changes:
    """What changed on a calendar since a sync token (new, changed and deleted events)."""
    from aide_calendar.app import user_zone

    client = client_for(account, "events_since")
    cal = calendar_id(calendar)
    tz = user_zone(client)
    if sync_token is None:
        token: str | None = None
        for _ in range(_SYNC_PAGES):
            page = _sync_page(client, cal, None, token)
            if page.get("nextSyncToken"):
                return Changes(changed=[], sync_token=str(page["nextSyncToken"]))
            token = page.get("nextPageToken")
            if not token:
                break
        raise InvalidInput("The calendar is too large to start syncing from here.", hint="Use list_events instead.")
    binds = {"token": sync_token, "calendar": cal, "account": account}
    page_token = decode_cursor(cursor, "events_since", binds, fields={"page": str})["page"] if cursor else None
    page = _sync_page(client, cal, sync_token, page_token)
    items = page.get("items") or []
    changed = [render.row(e, tz) for e in items if e.get("status") != "cancelled"]
    deleted = [str(e.get("id")) for e in items if e.get("status") == "cancelled"]
    next_page = page.get("nextPageToken")
    return Changes(
        changed=changed,
        deleted=deleted,
        next_cursor=encode_cursor("events_since", {"page": next_page}, binds) if next_page else None,
        sync_token=page.get("nextSyncToken"),
    )


def _sync_page(client: Any, cal: str, sync_token: str | None, page_token: str | None) -> dict[str, Any]:
    """One page of a full listing (no token) or of the changes since `sync_token`; Google answers an expired or
    foreign token with 410, which the error profile reads as gone."""
    options: dict[str, Any] = {"calendarId": cal, "maxResults": 250 if sync_token is None else 100}
    options |= {"pageToken": page_token} | ({"syncToken": sync_token} if sync_token else {})
    try:
        return client.call(lambda s: s.events().list(**options))
    except (NotFound, UpstreamError) as error:
        if sync_token is not None and (isinstance(error, NotFound) or error.status == 410):
            raise InvalidInput(
                "That sync token has expired or belongs to another calendar.",
                hint="Call events_since without sync_token for a fresh one, and list_events to catch up.",
            ) from None
        raise


@spec.tool(tier="extended")
@requires_tasks("readonly", "tasklists.list")
def list_task_lists(cursor: Cursor = None, account: AccountArg = None) -> TaskLists:
    """The task lists, with their ids."""
    client = tasks_for(account, "list_task_lists")
    binds = {"account": account}
    page_token = decode_cursor(cursor, "list_task_lists", binds, fields={"page": str})["page"] if cursor else None
    page = client.task_lists(page_token)
    lists = [TaskList(id=str(x["id"]), title=str(x.get("title") or "")) for x in page.get("items") or []]
    token = page.get("nextPageToken")
    return TaskLists(
        lists=lists, next_cursor=encode_cursor("list_task_lists", {"page": token}, binds) if token else None
    )


@spec.tool(tier="extended", read_only=False, idempotent=False)
@requires_tasks("compose", "tasklists.insert")
def create_task_list(title: str, account: AccountArg = None) -> TaskList:
    """Create a task list."""
    name = bodies.one_line(title, "title", 100)
    if not name:
        raise InvalidInput("A task list needs a title.")
    made = tasks_for(account, "create_task_list").create_list(name)
    return TaskList(id=str(made["id"]), title=str(made.get("title") or name))


def _plan_delete_task(id: str, list: str | None = None, account: str | None = None) -> Plan[tuple[str, str]]:
    from aide_core.fencing import defang_field

    client = tasks_for(account, "delete_task")
    task_list = check_id(list, "task list") if list else DEFAULT_LIST
    task = client.get_task(task_list, check_id(id, "task"))
    title = defang_field(str(task.get("title") or "(no title)"))
    return Plan(preview=f"Delete the task '{title}' and its subtasks", payload=(task_list, str(task["id"])),
                content={"list": task_list, "id": task["id"]})  # fmt: skip


@spec.action(tier="extended", open_world=False, plan=_plan_delete_task)
@requires_tasks("compose", "tasks.get", "tasks.delete")
def delete_task(plan: Plan[tuple[str, str]], id: str, list: ListArg = None, account: AccountArg = None) -> Task:
    """Delete a to-do and its subtasks."""
    client = tasks_for(account, "delete_task")
    task_list, task_id = plan.payload
    client.delete_task(task_list, task_id)
    return Task(id=task_id, list=task_list, status="deleted")


@spec.tool(tier="extended", read_only=False, idempotent=True)
@requires_tasks("compose", "tasks.move")
def move_task(
    id: str,
    parent: Annotated[str | None, Field(description="Nest under this task; none: top level.")] = None,
    previous: Annotated[str | None, Field(description="Place after this sibling; none: first.")] = None,
    list: ListArg = None,
    to_list: Annotated[str | None, Field(description="Move to this list.")] = None,
    account: AccountArg = None,
) -> Task:
    """Nest a to-do under another, reorder it, or move it to another list."""
    client = tasks_for(account, "move_task")
    task_list = check_id(list, "task list") if list else DEFAULT_LIST
    options: dict[str, Any] = {}
    if parent:
        options["parent"] = check_id(parent, "task")
    if previous:
        options["previous"] = check_id(previous, "task")
    if to_list:
        options["destinationTasklist"] = check_id(to_list, "task list")
    moved = client.move_task(task_list, check_id(id, "task"), options)
    return task_row(moved, options.get("destinationTasklist", task_list))
