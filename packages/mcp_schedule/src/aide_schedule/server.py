"""`aide-schedule`: reminders and scheduled jobs.

One concern a module: the declaration and shared helpers `app.py`, settings `settings.py`, state `state.py`, the
store and ledger `store.py`, recurrence and times `timing.py`, the model's tools `tools.py`, the runner's tools
`ledger.py`, the output models `models.py`. Nothing here acts on the world: the runner (`aide schedule run`, in
`aide_agent.schedule`) does, through the other servers' guarded tools.
"""

from __future__ import annotations

from aide_schedule import ledger, tools
from aide_schedule.app import spec

spec.prompts_from("aide_schedule")  # prompts/*.md: set_up_morning_digest (a slash command in hosts)

__all__ = ["ledger", "main", "spec", "tools"]


def main() -> int:
    from aide_core.launch import run_spec

    return run_spec(spec)
