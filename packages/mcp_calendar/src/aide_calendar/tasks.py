"""The default tier's task tools: list by due date, add (nested under a parent), change, complete.

Tasks keep only a date as `due` (Google stores it as midnight UTC and ignores the time), so a due phrase such as
"Friday" is resolved in the user's zone to a date and sent as that date at 00:00 UTC, which every Google client
shows as that day. Adding a task reaches no one, so it needs no confirmation.
"""

from __future__ import annotations

import builtins
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from aide_calendar import body as bodies
from aide_calendar.app import AccountArg, Cursor, current_state, output_budget, spec, tasks_for
from aide_calendar.ids import check_id
from aide_calendar.inputs import Compact
from aide_calendar.models import Task, Tasks
from aide_calendar.scopes import requires_tasks
from aide_calendar.tasks_client import TasksClient
from aide_calendar.times import when
from aide_core.errors import AideError, InvalidInput
from aide_core.fencing import fence
from aide_core.paging import decode_cursor, encode_cursor, take_within_budget

DEFAULT_LIST = "@default"
#: Tasks a page holds at most (fewer when they would pass the output budget).
PAGE = 50
ListArg = str | None


def due_date(text: str, tz: ZoneInfo) -> date:
    moment = when(text, tz, current_state().now())
    return moment.astimezone(tz).date() if isinstance(moment, datetime) else moment


def due_field(day: date) -> str:
    return f"{day.isoformat()}T00:00:00.000Z"


def _zone(account: str | None) -> ZoneInfo:
    from aide_calendar.times import zone

    state = current_state()
    if state.config.timezone:
        return zone(state.config.timezone)
    try:
        return state.zone(state.calendar(account, "get_time"))
    except AideError:
        return zone("UTC")


def task_row(item: dict[str, Any], task_list: str) -> Task:
    notes = item.get("notes")
    return Task(
        id=str(item.get("id", "")),
        title=str(item.get("title") or ""),
        list=task_list,
        due=str(item["due"])[:10] if item.get("due") else None,
        status=str(item.get("status") or "needsAction"),
        notes=fence(str(notes), source=f"task {item.get('id')}", kind="task notes") if notes else None,
        parent=item.get("parent"),
        completed=str(item["completed"])[:10] if item.get("completed") else None,
    )


def list_ids(client: TasksClient, wanted: str | None) -> builtins.list[str]:
    if wanted is None:
        return [DEFAULT_LIST]
    if wanted.strip().lower() == "all":
        return [str(x["id"]) for x in client.task_lists().get("items") or []]
    return [check_id(wanted, "task list")]


def _gather(client: TasksClient, lists: builtins.list[str], options: dict[str, Any]) -> builtins.list[Task]:
    found: builtins.list[Task] = []
    for task_list in lists:
        token: str | None = None
        for _ in range(20):
            page = client.list_tasks(task_list, options | {"maxResults": 100, "pageToken": token})
            found += [task_row(item, task_list) for item in page.get("items") or [] if not item.get("deleted")]
            token = page.get("nextPageToken")
            if not token:
                break
    return found


@spec.tool()
@requires_tasks("readonly", "tasks.list", "tasklists.list")
def list_tasks(
    list: ListArg = None,
    due_before: Annotated[str | None, Field(description="Date or phrase.")] = None,
    due_after: str | None = None,
    include_completed: bool = False,
    cursor: Cursor = None,
    account: AccountArg = None,
) -> Tasks:
    """To-dos by due date; list 'all' for every list."""
    client = tasks_for(account, "list_tasks")
    tz = _zone(account)
    options: dict[str, Any] = {"showCompleted": include_completed, "showHidden": include_completed}
    if due_after is not None:
        options["dueMin"] = due_field(due_date(due_after, tz))
    if due_before is not None:
        options["dueMax"] = due_field(due_date(due_before, tz) + timedelta(days=1))
    lists = list_ids(client, list)
    binds = {"list": lists, "before": options.get("dueMax"), "after": options.get("dueMin"),
             "completed": include_completed, "account": account}  # fmt: skip
    skip = decode_cursor(cursor, "list_tasks", binds, fields={"skip": int})["skip"] if cursor else 0
    found = sorted(_gather(client, lists, options), key=lambda t: (t.due is None, t.due or "", t.title))
    rows = found[max(0, skip) : skip + PAGE]
    rows = rows[: take_within_budget(rows, output_budget() - 300)]
    after = skip + len(rows)
    return Tasks(
        tasks=rows, next_cursor=encode_cursor("list_tasks", {"skip": after}, binds) if after < len(found) else None
    )


@spec.tool(read_only=False, idempotent=False)
@requires_tasks("compose", "tasks.insert")
def add_task(
    title: str,
    notes: str | None = None,
    due: Annotated[str | None, Field(description="Date or phrase ('Friday').")] = None,
    list: ListArg = None,
    parent: str | None = None,
    account: AccountArg = None,
) -> Task:
    """Add a to-do (due date, parent task optional)."""
    client = tasks_for(account, "add_task")
    task_list = list_ids(client, list)[0] if list is None or list.strip().lower() != "all" else DEFAULT_LIST
    body: dict[str, Any] = {"title": bodies.one_line(title, "title")}
    if not body["title"]:
        raise InvalidInput("A task needs a title.")
    if notes is not None:
        body["notes"] = bodies.free_text(notes, "notes")
    if due is not None:
        body["due"] = due_field(due_date(due, _zone(account)))
    made = client.insert_task(task_list, body, check_id(parent, "task") if parent else None)
    return task_row(made, task_list)


class TaskChanges(Compact):
    title: str | None = None
    notes: str | None = None
    due: str | None = Field(default=None, description="'' clears.")
    status: Literal["needsAction", "completed"] | None = None


@spec.tool(read_only=False, idempotent=True)
@requires_tasks("compose", "tasks.patch")
def update_task(id: str, changes: TaskChanges, list: ListArg = None, account: AccountArg = None) -> Task:
    """Change a to-do."""
    client = tasks_for(account, "update_task")
    task_list = check_id(list, "task list") if list else DEFAULT_LIST
    body: dict[str, Any] = {}
    if changes.title is not None:
        body["title"] = bodies.one_line(changes.title, "title")
    if changes.notes is not None:
        body["notes"] = bodies.free_text(changes.notes, "notes")
    if changes.due is not None:
        body["due"] = due_field(due_date(changes.due, _zone(account))) if changes.due.strip() else None
    if changes.status is not None:
        body["status"] = changes.status
        if changes.status == "needsAction":
            body["completed"] = None
    if not body:
        raise InvalidInput("Nothing to change.", hint="Give title, notes, due or status in changes.")
    return task_row(client.patch_task(task_list, check_id(id, "task"), body), task_list)


@spec.tool(read_only=False, idempotent=True)
@requires_tasks("compose", "tasks.patch")
def complete_task(id: str, list: ListArg = None, account: AccountArg = None) -> Task:
    """Mark a to-do done."""
    client = tasks_for(account, "complete_task")
    task_list = check_id(list, "task list") if list else DEFAULT_LIST
    return task_row(client.patch_task(task_list, check_id(id, "task"), {"status": "completed"}), task_list)


def due_counts(account: str | None, begin: datetime, end: datetime, tz: ZoneInfo) -> dict[date, int] | None:
    """Open tasks due per day in [begin, end) over every task list, for find_free_slots; None when this account's
    tasks cannot be read (no Tasks access)."""
    try:
        client = current_state().task_client(account, "list_tasks")
        lists = [str(x["id"]) for x in client.task_lists().get("items") or []]
        options = {
            "showCompleted": False,
            "dueMin": due_field(begin.astimezone(tz).date()),
            "dueMax": due_field(end.astimezone(tz).date() + timedelta(days=1)),
        }
        counts: dict[date, int] = {}
        for task in _gather(client, lists, options):
            if task.due and task.status != "completed":
                day = date.fromisoformat(task.due)
                counts[day] = counts.get(day, 0) + 1
        return counts
    except AideError:
        return None
