"""The seeded task lists, written as of `SEED_TIME` (2026-11-01T12:00:00Z), like the calendars.

What tests rely on (ids are fixed; lists and tasks in this order):
- Alex's default list `alex-my-tasks` "My Tasks": `alexTask01` "Book Lisbon flights" (due 2026-12-01, with notes),
  `alexTask02` "Prepare Q4 offsite agenda" (due 2026-11-27) with its subtask `alexTask03` "Collect topics from the
  team" (due 2026-11-25), `alexTask04` "Renew passport" (completed 2026-11-10T09:30:00.000Z), `alexTask05` "Call
  the plumber" (no due date);
- Alex's `alex-home` "Home": `alexTask06` "Buy winter tyres" (due 2026-11-28), `alexTask07` "Water the plants"
  (completed and cleared, so hidden);
- Sam's default list `sam-my-tasks` "My Tasks": `samTask01` "Review the design doc" (due 2026-11-23), `samTask02`
  "Send the October invoice" (completed 2026-11-02T16:00:00.000Z).
"""

from __future__ import annotations

from typing import Any

from aide_sandbox.seed.accounts import ACCOUNTS
from aide_sandbox.seed.calendar import SEED_TIME
from aide_sandbox.tasks.store import DEFAULT_TITLE, Tasks

ALEX, SAM = ACCOUNTS[0].email, ACCOUNTS[1].email


def _task(title: str, *, due: str | None = None, completed: str | None = None, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"title": title, "status": "completed" if completed else "needsAction"} | extra
    if due:
        data["due"] = f"{due}T00:00:00.000Z"
    if completed:
        data["completed"] = completed
    return data


def seed_tasks(tasks: Tasks) -> None:
    store = Tasks(tasks.db, lambda: SEED_TIME)
    mine = store.create_list(ALEX, DEFAULT_TITLE, list_id="alex-my-tasks", default=True).id
    home = store.create_list(ALEX, "Home", list_id="alex-home").id
    sams = store.create_list(SAM, DEFAULT_TITLE, list_id="sam-my-tasks", default=True).id
    order: list[tuple[str, str, dict[str, Any], str | None]] = [
        (mine, "alexTask01", _task("Book Lisbon flights", due="2026-12-01", notes="Window seat, back on 5 Dec"), None),
        (mine, "alexTask02", _task("Prepare Q4 offsite agenda", due="2026-11-27"), None),
        (mine, "alexTask03", _task("Collect topics from the team", due="2026-11-25"), "alexTask02"),
        (mine, "alexTask04", _task("Renew passport", completed="2026-11-10T09:30:00.000Z"), None),
        (mine, "alexTask05", _task("Call the plumber"), None),
        (home, "alexTask06", _task("Buy winter tyres", due="2026-11-28"), None),
        (home, "alexTask07", _task("Water the plants", completed="2026-10-30T08:00:00.000Z", hidden=True), None),
        (sams, "samTask01", _task("Review the design doc", due="2026-11-23"), None),
        (sams, "samTask02", _task("Send the October invoice", completed="2026-11-02T16:00:00.000Z"), None),
    ]
    last: dict[tuple[str, str | None], str] = {}
    for list_id, task_id, data, parent in order:
        store.place(list_id, task_id, data, parent, last.get((list_id, parent)))
        last[(list_id, parent)] = task_id
