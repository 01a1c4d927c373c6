"""Calendar's and Tasks' sign-in levels, and the requirement every tool declares.

Both APIs are registered in the `aide.google.apis` entry-point group, so one `aide auth google` asks for Calendar's
and Tasks' scopes too. Their levels carry the names Gmail's do: one sign-in names one level for every installed
Google server. A Google client serves one API, so the server keeps one `Permissions` per API: event tools declare
theirs with `requires`, task tools with `requires_tasks`. Kept free of heavy imports: the server reads it while
listing its tools.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from aide_google.permissions import Permissions
from aide_google.scopes import SCOPE, GoogleApi

_EVENTS = (SCOPE + "calendar.events",)

CALENDAR = GoogleApi(
    name="Calendar",
    api="calendar",
    version="v3",
    levels={
        "readonly": (SCOPE + "calendar.readonly",),
        "organize": _EVENTS,
        "compose": _EVENTS,
        "send": _EVENTS,
        "full": (SCOPE + "calendar",),
    },
    prefixes=(SCOPE + "calendar",),
)

_TASKS = (SCOPE + "tasks",)

TASKS = GoogleApi(
    name="Tasks",
    api="tasks",
    version="v1",
    levels={
        "readonly": (SCOPE + "tasks.readonly",),
        "organize": _TASKS,
        "compose": _TASKS,
        "send": _TASKS,
        "full": _TASKS,
    },
    prefixes=(SCOPE + "tasks",),
)

#: What each event tool needs: a level of `CALENDAR` and the API methods it calls.
PERMISSIONS = Permissions(CALENDAR)
#: What each task tool needs: a level of `TASKS` and the API methods it calls.
TASK_PERMISSIONS = Permissions(TASKS)

F = TypeVar("F", bound=Callable[..., object])


def requires(level: str, *methods: str) -> Callable[[F], F]:
    """Declare the level a Calendar tool needs and the methods it calls (`events.list`)."""
    return PERMISSIONS.require(level, *methods)


def requires_tasks(level: str, *methods: str) -> Callable[[F], F]:
    """Declare the level a Tasks tool needs and the methods it calls (`tasks.list`)."""
    return TASK_PERMISSIONS.require(level, *methods)


def permissions_for(tool: str) -> Permissions:
    """The `Permissions` a tool declared its requirement in (Calendar's when it declared none)."""
    return TASK_PERMISSIONS if TASK_PERMISSIONS.requirement(tool) is not None else PERMISSIONS
