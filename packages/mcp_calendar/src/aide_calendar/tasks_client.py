"""The Tasks v1 API for one account, on `aide_google.client.GoogleClient`: reads retried (`call`), creations and
moves sent once (`act`)."""

from __future__ import annotations

from typing import Any

from aide_calendar.scopes import TASKS
from aide_google.client import GoogleClient

_CHECK = "look for the task with list_tasks"


class TasksClient(GoogleClient):
    api = TASKS

    def task_lists(self, page_token: str | None = None, limit: int = 100) -> dict[str, Any]:
        return self.call(lambda s: s.tasklists().list(pageToken=page_token, maxResults=limit))

    def create_list(self, title: str) -> dict[str, Any]:
        return self.act(lambda s: s.tasklists().insert(body={"title": title}), done="created the list", check=_CHECK)

    def list_tasks(self, tasklist: str, options: dict[str, Any]) -> dict[str, Any]:
        return self.call(lambda s: s.tasks().list(tasklist=tasklist, **options), item=f"task list {tasklist!r}")

    def get_task(self, tasklist: str, task: str) -> dict[str, Any]:
        return self.call(lambda s: s.tasks().get(tasklist=tasklist, task=task), item=f"task {task!r}")

    def insert_task(self, tasklist: str, body: dict[str, Any], parent: str | None) -> dict[str, Any]:
        extra: dict[str, Any] = {"parent": parent} if parent else {}
        return self.act(
            lambda s: s.tasks().insert(tasklist=tasklist, body=body, **extra), done="added the task", check=_CHECK
        )

    def patch_task(self, tasklist: str, task: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.call(lambda s: s.tasks().patch(tasklist=tasklist, task=task, body=body), item=f"task {task!r}")

    def delete_task(self, tasklist: str, task: str) -> None:
        self.call(lambda s: s.tasks().delete(tasklist=tasklist, task=task), item=f"task {task!r}")

    def move_task(self, tasklist: str, task: str, options: dict[str, Any]) -> dict[str, Any]:
        return self.act(
            lambda s: s.tasks().move(tasklist=tasklist, task=task, **options), done="moved the task", check=_CHECK
        )
