"""The writable fields of a `Task` and how the emulator stores and renders them.

Google keeps only the date of `due`: a due sent with a time comes back as that day at midnight UTC (the date as
written, whatever the offset). Marking a task `completed` stamps `completed` (with the time sent, or now), marking it
`needsAction` again removes `completed` and un-hides it. Read-only fields in a request body (`parent`, `position`,
`hidden`, `links`, ...) are ignored, as Google ignores them: `parent` and order change only through `insert`'s and
`move`'s query parameters. Reference: https://developers.google.com/tasks/reference/rest/v1/tasks
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aide_sandbox.google.errors import invalid_argument
from aide_sandbox.tasks.store import StoredTask, TaskList, etag_of, stamp

MAX_TITLE = 1024
MAX_NOTES = 8192
WRITABLE = ("title", "notes", "status", "due", "completed", "deleted")
STATUSES = ("needsAction", "completed")
API = "https://www.googleapis.com/tasks/v1"


def parse_time(value: str, name: str) -> datetime:
    """An RFC 3339 timestamp (with an offset); a 400 naming the field otherwise."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or "T" not in value.upper() or parsed.tzinfo is None:
        raise invalid_argument(f"Invalid value for {name}: {value!r} is not an RFC 3339 timestamp.")
    return parsed


def due_date(value: str) -> str:
    """The stored form of a `due`: its date at midnight UTC, the time discarded."""
    return f"{parse_time(value, 'due').date().isoformat()}T00:00:00.000Z"


def utc(value: str, name: str) -> str:
    return stamp(parse_time(value, name).astimezone(UTC).timestamp())


def updated_fields(current: dict[str, Any], body: dict[str, Any], *, patch: bool, now: str) -> dict[str, Any]:
    """The stored fields after a write: `patch` merges the writable fields sent, otherwise they replace them all
    (`hidden`, which only `clear` sets, stays either way)."""
    kept = {k: v for k, v in current.items() if k not in WRITABLE} if not patch else dict(current)
    sent = {k: v for k, v in body.items() if k in WRITABLE}
    merged = kept | {k: v for k, v in sent.items() if v is not None}
    for name, value in sent.items():
        if value is None:
            merged.pop(name, None)
    title = merged.get("title", "")
    if len(str(title)) > MAX_TITLE:
        raise invalid_argument(f"Invalid value for title: longer than {MAX_TITLE} characters.")
    merged["title"] = title
    if len(str(merged.get("notes", ""))) > MAX_NOTES:
        raise invalid_argument(f"Invalid value for notes: longer than {MAX_NOTES} characters.")
    status = merged.setdefault("status", "needsAction")
    if status not in STATUSES:
        raise invalid_argument(f"Invalid value for status: {status!r}.")
    if "due" in merged and ("due" in sent or not patch):
        merged["due"] = due_date(str(merged["due"]))
    if status == "completed":
        given = sent.get("completed") or current.get("completed")
        merged["completed"] = utc(str(given), "completed") if given else now
    else:
        merged.pop("completed", None)
        merged.pop("hidden", None)
    if not merged.get("deleted"):
        merged.pop("deleted", None)
    return merged


def render_task(task: StoredTask, list_id: str) -> dict[str, Any]:
    """The `Task` resource Google answers with (`deleted` and `hidden` only when true; `links` always)."""
    data = task.data
    out: dict[str, Any] = {
        "kind": "tasks#task",
        "id": task.id,
        "etag": data["etag"],
        "title": data.get("title", ""),
        "updated": data["updated"],
        "selfLink": f"{API}/lists/{list_id}/tasks/{task.id}",
    }
    if task.parent:
        out["parent"] = task.parent
    out["position"] = f"{task.rank:020d}"
    for name in ("notes", "status", "due", "completed"):
        if name in data:
            out[name] = data[name]
    for flag in ("deleted", "hidden"):
        if data.get(flag):
            out[flag] = True
    out["links"] = []
    out["webViewLink"] = f"https://tasks.google.com/task/{task.id}"
    return out


def render_list(task_list: TaskList) -> dict[str, Any]:
    fields = {"id": task_list.id, "title": task_list.title, "updated": task_list.updated}
    return {
        "kind": "tasks#taskList",
        "id": task_list.id,
        "etag": etag_of(fields),
        "title": task_list.title,
        "updated": task_list.updated,
        "selfLink": f"{API}/users/@me/lists/{task_list.id}",
    }
