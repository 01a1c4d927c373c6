"""The Tasks v1 methods, keyed by discovery id: task lists, and tasks with subtasks, order, clear and move.

References: https://developers.google.com/tasks/reference/rest/v1/tasklists,
https://developers.google.com/tasks/reference/rest/v1/tasks and https://developers.google.com/workspace/tasks/order.

Decisions where Google's documentation is loose:
- each account sees only its own lists; `@default` is its default list ("My Tasks"), made on first use, and it
  cannot be deleted (400); another account's list or task, or an unknown one, is a 404 `notFound`;
- `tasks.list` returns parents before their subtasks, siblings in `position` order; `dueMin`, `completedMin` and
  `updatedMin` are inclusive, `dueMax` and `completedMax` exclusive; a task without `due` (or `completed`) fails
  a filter on it; an empty page has no `items`, the last page no `nextPageToken`;
- `maxResults` above the documented maximum (100 tasks, 1000 lists) is capped, below 1 counts as 1;
- deleting a task marks it and its subtasks `deleted` (still readable with `tasks.get` and `showDeleted`); a
  second delete is a 204 again; patching `deleted: false` brings one back;
- `parent` and `previous` must name tasks of the target list that are neither deleted nor hidden, `previous` a
  child of that parent, and a task cannot go under itself or its own subtasks: otherwise a 400 `invalid`;
- completing a parent leaves its subtasks as they are; `clear` hides every completed task of the list;
- nesting has no depth limit; there are no assigned tasks (Docs, Chat), so `showAssigned` changes nothing.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from aide_sandbox.google.errors import invalid_argument, not_found
from aide_sandbox.google.service import Call, Handler
from aide_sandbox.tasks.fields import parse_time, render_list, render_task, updated_fields
from aide_sandbox.tasks.store import StoredTask, TaskList, Tasks, etag_of, new_id


def _page(items: list[Any], call: Call, *, default: int, cap: int) -> tuple[list[Any], str | None]:
    size = max(1, min(int(call.query.get("maxResults") or default), cap))
    start = 0
    token = call.query.get("pageToken")
    if token:
        try:
            start = json.loads(base64.urlsafe_b64decode(str(token) + "=" * (-len(str(token)) % 4)))["o"]
        except (ValueError, KeyError, TypeError):
            raise invalid_argument("Invalid page token.") from None
        if not isinstance(start, int) or start < 0:
            raise invalid_argument("Invalid page token.")
    end = start + size
    if end >= len(items):
        return items[start:], None
    return items[start:end], base64.urlsafe_b64encode(json.dumps({"o": end}).encode()).decode().rstrip("=")


def _collection(kind: str, items: list[dict[str, Any]], next_token: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": kind, "etag": etag_of([i["etag"] for i in items])}
    if next_token:
        body["nextPageToken"] = next_token
    if items:
        body["items"] = items
    return body


class TasksApi:
    """Handlers of the Tasks API over one `Tasks` store."""

    def __init__(self, tasks: Tasks) -> None:
        self.tasks = tasks

    def handlers(self) -> dict[str, Handler]:
        names: dict[str, Handler] = {
            "tasklists.list": self.lists_list,
            "tasklists.get": lambda call: render_list(self._list(call)),
            "tasklists.insert": self.lists_insert,
            "tasklists.update": self.lists_update,
            "tasklists.patch": self.lists_update,
            "tasklists.delete": self.lists_delete,
            "tasks.list": self.tasks_list,
            "tasks.get": lambda call: self._render(self._task(call)),
            "tasks.insert": self.tasks_insert,
            "tasks.update": lambda call: self._write(call, patch=False),
            "tasks.patch": lambda call: self._write(call, patch=True),
            "tasks.delete": self.tasks_delete,
            "tasks.move": self.tasks_move,
            "tasks.clear": self.tasks_clear,
        }
        return {f"tasks.{name}": handler for name, handler in names.items()}

    # -- lookups --------------------------------------------------------------------------------------------------
    def _list(self, call: Call, list_id: str | None = None) -> TaskList:
        found = self.tasks.find_list(call.account, list_id or call.params["tasklist"])
        if found is None:
            raise not_found()
        return found

    def _task(self, call: Call) -> StoredTask:
        task = self.tasks.task(self._list(call).id, call.params["task"])
        if task is None:
            raise not_found()
        return task

    def _render(self, task: StoredTask) -> dict[str, Any]:
        return render_task(task, task.list_id)

    # -- task lists -----------------------------------------------------------------------------------------------
    def lists_list(self, call: Call) -> dict[str, Any]:
        lists = self.tasks.lists(call.account)
        page, next_token = _page(lists, call, default=1000, cap=1000)
        return _collection("tasks#taskLists", [render_list(t) for t in page], next_token)

    @staticmethod
    def _title(call: Call) -> str:
        title = str((call.body or {}).get("title") or "")
        if not title.strip():
            raise invalid_argument("Missing task list title.", reason="required")
        if len(title) > 1024:
            raise invalid_argument("Invalid value for title: longer than 1024 characters.")
        return title

    def lists_insert(self, call: Call) -> dict[str, Any]:
        return render_list(self.tasks.create_list(call.account, self._title(call)))

    def lists_update(self, call: Call) -> dict[str, Any]:
        task_list = self._list(call)
        if call.method.id.endswith("patch") and "title" not in (call.body or {}):
            return render_list(task_list)
        return render_list(self.tasks.rename_list(task_list, self._title(call)))

    def lists_delete(self, call: Call) -> None:
        task_list = self._list(call)
        if task_list.is_default:
            raise invalid_argument("The default task list cannot be deleted.")
        self.tasks.delete_list(task_list)

    # -- tasks: reading -------------------------------------------------------------------------------------------
    def tasks_list(self, call: Call) -> dict[str, Any]:
        task_list = self._list(call)
        query = call.query
        shown = [
            t
            for t in self.tasks.tasks(task_list.id)
            if (query.get("showDeleted") or not t.data.get("deleted"))
            and (query.get("showHidden") or not t.data.get("hidden"))
            and (query.get("showCompleted", True) or t.data.get("status") != "completed")
        ]
        for name, key, lower in (
            ("dueMin", "due", True),
            ("dueMax", "due", False),
            ("completedMin", "completed", True),
            ("completedMax", "completed", False),
            ("updatedMin", "updated", True),
        ):
            if query.get(name):
                bound = parse_time(str(query[name]), name)
                shown = [t for t in shown if key in t.data and (parse_time(t.data[key], key) >= bound) == lower]
        page, next_token = _page(shown, call, default=20, cap=100)
        return _collection("tasks#tasks", [self._render(t) for t in page], next_token)

    # -- tasks: writing -------------------------------------------------------------------------------------------
    def _check_place(self, list_id: str, parent: str | None, previous: str | None, moving: str | None = None) -> None:
        if parent is not None:
            found = self.tasks.task(list_id, parent)
            if found is None or found.data.get("deleted") or found.data.get("hidden"):
                raise invalid_argument(f"Invalid parent task: {parent}.")
            if moving is not None and parent in self.tasks.subtree(list_id, moving):
                raise invalid_argument("A task cannot be moved under itself or one of its subtasks.")
        if previous is not None:
            found = self.tasks.task(list_id, previous)
            if found is None or found.data.get("deleted") or found.data.get("hidden") or previous == moving:
                raise invalid_argument(f"Invalid previous task: {previous}.")
            if found.parent != parent:
                raise invalid_argument(f"Invalid previous task: {previous} is not a sibling under the new parent.")

    def tasks_insert(self, call: Call) -> dict[str, Any]:
        task_list = self._list(call)
        parent, previous = call.query.get("parent") or None, call.query.get("previous") or None
        self._check_place(task_list.id, parent, previous)
        now = self.tasks.now()
        data = updated_fields({}, call.body or {}, patch=False, now=now)
        return self._render(self.tasks.place(task_list.id, new_id(), data, parent, previous))

    def _write(self, call: Call, *, patch: bool) -> dict[str, Any]:
        task = self._task(call)
        data = updated_fields(task.data, call.body or {}, patch=patch, now=self.tasks.now())
        if data.get("deleted") and not task.data.get("deleted"):
            return self._delete(task, data)
        return self._render(self.tasks.save(task, data))

    def _delete(self, task: StoredTask, data: dict[str, Any]) -> dict[str, Any]:
        """Mark a task deleted, and its subtasks with it."""
        saved = self.tasks.save(task, data)
        for sub_id in self.tasks.subtree(task.list_id, task.id)[1:]:
            sub = self.tasks.task(task.list_id, sub_id)
            if sub is not None and not sub.data.get("deleted"):
                self.tasks.save(sub, sub.data | {"deleted": True})
        return self._render(saved)

    def tasks_delete(self, call: Call) -> None:
        task = self._task(call)
        if not task.data.get("deleted"):
            self._delete(task, task.data | {"deleted": True})

    def tasks_move(self, call: Call) -> dict[str, Any]:
        source = self._list(call)
        task = self._task(call)
        if task.data.get("deleted"):
            raise not_found()
        destination = source
        if call.query.get("destinationTasklist"):
            destination = self._list(call, str(call.query["destinationTasklist"]))
        parent, previous = call.query.get("parent") or None, call.query.get("previous") or None
        if task.data.get("hidden") and (parent or previous):
            raise invalid_argument("A hidden completed task can only be moved to the first position at the top level.")
        self._check_place(destination.id, parent, previous, task.id if destination.id == source.id else None)
        moved = self.tasks.place(destination.id, task.id, task.data, parent, previous, source=source.id)
        return self._render(moved)

    def tasks_clear(self, call: Call) -> None:
        task_list = self._list(call)
        for task in self.tasks.tasks(task_list.id):
            data = task.data
            if data.get("status") == "completed" and not data.get("hidden") and not data.get("deleted"):
                self.tasks.save(task, data | {"hidden": True})
