"""`aide-calendar`: Google Calendar and Tasks for an assistant.

Kept thin, one concern a module: the declaration and shared helpers `app.py`; reading tools `events.py`; writing
tools and their plans `writing.py` (with `changes.py` for what a call asks to change); free/busy and free slots
`availability.py` over the pure `slots.py`; tasks `tasks.py`; the extended tier `extended.py`; zones and phrases
`times.py`; recurrence `recurrence.py`; rows `render.py`; the APIs `client.py` and `tasks_client.py`; accounts,
settings and the clock `state.py`; levels `scopes.py`; output models `models.py`. Invitations, updates and
cancellations that reach other people, responses, and deletions go through the side-effect guard.
"""

from __future__ import annotations

import json
from typing import Any

from aide_calendar import availability, events, extended, tasks, writing
from aide_calendar.app import current_state, spec
from aide_calendar.scopes import CALENDAR
from aide_calendar.state import CalendarState

__all__ = ["availability", "events", "extended", "main", "spec", "tasks", "writing"]

spec.prompts_from("aide_calendar")  # prompts/*.md: plan_my_day, schedule_meeting (slash commands in hosts)


@spec.resource("calendar://accounts", name="accounts", description="The signed-in accounts and their levels.")
def accounts() -> str:
    found = [{"name": a.name, "email": a.email, "level": CALENDAR.level(a.level)} for a in current_state().accounts()]
    return json.dumps({"default": current_state().config.account, "accounts": found}, indent=1)


@spec.configure_check
def _signed_in(runtime: Any) -> str | None:
    from aide_calendar.state import listed_accounts

    return None if listed_accounts(runtime) else "aide auth google"


@spec.reachability_check
def _reachable(runtime: Any) -> str:
    state = CalendarState(runtime)
    if not state.accounts():
        return "not checked"
    try:
        client = state.calendar(None, "list_calendars")
        return f"ok ({len(client.calendar_list())} calendars)"
    finally:
        state.close()


def main() -> int:
    from aide_core.launch import run_spec

    return run_spec(spec)
