"""The Calendar server's declaration (`spec`) and what its tool modules share: argument types, the current state,
the clients, and the user's zone."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import Field

from aide_calendar.client import CalendarClient
from aide_calendar.state import CalendarSettings, CalendarState, listing
from aide_calendar.tasks_client import TasksClient
from aide_core.policy import email_allowlist
from aide_core.server import ServerSpec

spec = ServerSpec[CalendarState](
    "calendar",
    title="aide Calendar",
    instructions=(
        "Google Calendar and Tasks. Call get_time first: never guess today's date. Times are in the user's zone "
        "unless a timezone is given; dates and times may be ISO (2026-12-08, 2026-12-08T15:00) or phrases "
        "('tomorrow 3pm', 'next Friday'). All-day events show their last day as `end`. Ids of recurring "
        "instances come from list_events; update/delete take scope this|following|all."
    ),
    settings_model=CalendarSettings,
    state=CalendarState,
    configure_command="aide auth google",
    policies=[email_allowlist],
    upstream="Google Calendar",
    errors="aide_google.errors:GOOGLE_ERRORS",
)
listing.declare(spec)

AccountArg = str | None
CalendarArg = str | None
# A page's `next_cursor`: the name says where it comes from, and every byte of a schema is read on every turn.
Cursor = str | None
When = Annotated[str, Field(description="ISO date/datetime or a phrase ('tomorrow 3pm').")]
Zone = Annotated[str | None, Field(description="IANA zone; default yours.")]


def current_state() -> CalendarState:
    return spec.state()


def client_for(account: str | None, tool: str) -> CalendarClient:
    return current_state().calendar(account, tool)


def tasks_for(account: str | None, tool: str) -> TasksClient:
    return current_state().task_client(account, tool)


def user_zone(client: CalendarClient, override: str | None = None) -> ZoneInfo:
    """`override` (an IANA name) or the user's zone."""
    from aide_calendar.times import zone

    return zone(override) if override is not None else current_state().zone(client)


def calendar_id(calendar: str | None) -> str:
    from aide_calendar.ids import check_id

    return check_id(calendar, "calendar") if calendar else current_state().config.default_calendar


def output_budget() -> int:
    return current_state().config.max_output_chars
