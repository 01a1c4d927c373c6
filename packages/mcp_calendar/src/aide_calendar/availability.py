"""Free/busy and free slots: the API's free/busy for everyone involved, then the pure algorithm of `slots.py`."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from aide_calendar import body as bodies
from aide_calendar.app import AccountArg, client_for, current_state, spec, user_zone
from aide_calendar.client import CalendarClient
from aide_calendar.inputs import Compact
from aide_calendar.models import Busy, FreeBusy, PersonBusy, Slot, Slots
from aide_calendar.scopes import requires
from aide_calendar.times import clock_time, hours_range, rfc3339, shown, weekday, window, zone
from aide_core.errors import InvalidInput

if TYPE_CHECKING:
    from aide_calendar.slots import Interval, Rules

#: Slots returned, the best first.
SLOTS = 10
#: The longest window free/busy is asked for.
MAX_DAYS = 62


class Constraints(Compact):
    not_before: str | None = Field(default=None, description="HH:MM")
    not_after: str | None = Field(default=None, description="HH:MM")
    avoid_days: list[str] | None = Field(default=None, description="Mon.. or dates.")
    prefer: Literal["morning", "afternoon"] | None = None
    focus: list[str] | None = Field(default=None, description="HH:MM-HH:MM kept free.")
    max_per_day: int | None = Field(default=None, ge=0, le=50)
    task_minutes: int | None = Field(default=None, ge=0, le=480, description="Kept free per task due.")


def _rules(constraints: Constraints | None) -> Rules:
    from aide_calendar.slots import Rules

    if constraints is None:
        return Rules()
    days: set[int] = set()
    dates: set[date] = set()
    for item in constraints.avoid_days or []:
        try:
            dates.add(date.fromisoformat(item.strip()))
        except ValueError:
            days.add(weekday(item))
    return Rules(
        not_before=clock_time(constraints.not_before, "not_before") if constraints.not_before else None,
        not_after=clock_time(constraints.not_after, "not_after") if constraints.not_after else None,
        avoid_days=frozenset(days),
        avoid_dates=frozenset(dates),
        prefer=constraints.prefer,
        focus=tuple(hours_range(block, "A focus block") for block in constraints.focus or []),
        max_per_day=constraints.max_per_day,
        task_minutes=constraints.task_minutes or 0,
    )


def _window(client: CalendarClient, start: str | None, end: str | None, tz: ZoneInfo) -> tuple[datetime, datetime]:
    begin, finish = window(start, end, tz, current_state().now())
    if finish - begin > timedelta(days=MAX_DAYS):
        raise InvalidInput(f"The window is longer than {MAX_DAYS} days.", hint="Ask for a shorter window.")
    return begin, finish


def _busy(answer: dict[str, Any]) -> list[Interval]:
    found: list[Interval] = []
    for item in answer.get("busy") or []:
        start = datetime.fromisoformat(str(item["start"]).replace("Z", "+00:00"))
        end = datetime.fromisoformat(str(item["end"]).replace("Z", "+00:00"))
        found.append((start, end))
    return found


def _error(answer: dict[str, Any]) -> str | None:
    errors = answer.get("errors") or []
    return str(errors[0].get("reason") or "unknown") if errors else None


@spec.tool()
@requires("readonly", "freebusy.query", "calendarList.get")
def free_busy(
    emails: Annotated[list[str], Field(min_length=1, max_length=50)],
    start: str | None = None,
    end: str | None = None,
    account: AccountArg = None,
) -> FreeBusy:
    """When people are busy in a window."""
    client = client_for(account, "free_busy")
    tz = user_zone(client)
    people = bodies.emails(emails, "person")
    begin, finish = _window(client, start, end, tz)
    answers = client.free_busy(people, rfc3339(begin), rfc3339(finish))
    rows = []
    for person in people:
        answer = answers.get(person) or {}
        busy = [Busy(start=shown(s, tz), end=shown(e, tz)) for s, e in _busy(answer)][: max(10, 250 // len(people))]
        rows.append(PersonBusy(email=person, busy=busy, error=_error(answer)))
    return FreeBusy(timezone=str(tz.key), people=rows)


def _attendees(client: CalendarClient, values: list[str] | None) -> list[tuple[str, ZoneInfo | None]]:
    """Attendees as (address, zone): 'a@b.c=Europe/Paris' names a zone; else the zone of their calendar when this
    account sees it; else unknown."""
    found: list[tuple[str, ZoneInfo | None]] = []
    known: dict[str, str] | None = None
    for value in values or []:
        address, _, zone_name = value.partition("=")
        [address] = bodies.emails([address])
        if zone_name:
            found.append((address, zone(zone_name)))
            continue
        if known is None:
            known = {str(e["id"]).lower(): str(e.get("timeZone") or "") for e in client.calendar_list()}
        seen = known.get(address.lower())
        found.append((address, zone(seen) if seen else None))
    return found


@spec.tool()
@requires("readonly", "freebusy.query", "calendarList.list", "calendarList.get")
def find_free_slots(
    duration: Annotated[int, Field(ge=5, le=1440, description="Minutes.")],
    start: str | None = None,
    end: str | None = None,
    attendees: Annotated[list[str] | None, Field(description="'a@b.c' or 'a@b.c=Asia/Tokyo'.")] = None,
    working_hours: Annotated[str | None, Field(description="HH:MM-HH:MM")] = None,
    timezone: str | None = None,
    buffer: Annotated[int, Field(ge=0, le=240, description="Minutes.")] = 0,
    constraints: Constraints | None = None,
    account: AccountArg = None,
) -> Slots:
    """Ranked slots when you and attendees are free, in working hours, within constraints."""
    from aide_calendar.slots import Person, find_slots  # the algorithm loads at the first call

    client = client_for(account, "find_free_slots")
    config = current_state().config
    tz = user_zone(client, timezone)
    rules = _rules(constraints)
    hours = hours_range(working_hours or config.working_hours)
    workdays = frozenset(weekday(d) for d in config.working_days)
    people = _attendees(client, attendees)
    begin, finish = _window(client, start, end, tz)
    ids = ["primary", *(address for address, _ in people)]
    answers = client.free_busy(ids, rfc3339(begin), rfc3339(finish))
    mine = _busy(answers.get("primary") or {})
    busy = list(mine)
    unchecked: list[str] = []
    for address, _ in people:
        answer = answers.get(address) or {}
        if _error(answer):
            unchecked.append(address)
        busy += _busy(answer)
    persons = [Person(tz, hours, workdays), *(Person(z, hours, workdays) for _, z in people if z is not None)]
    due = _tasks_due(client, begin, finish, tz) if rules.task_minutes else None
    step = timedelta(minutes=15 if duration <= 60 else 30)
    found, considered = find_slots(
        duration=timedelta(minutes=duration), begin=begin, end=finish, busy=busy, my_busy=mine, people=persons,
        zone=tz, buffer=timedelta(minutes=buffer), rules=rules, tasks_due=due, limit=SLOTS, step=step,
    )  # fmt: skip
    slots = [Slot(start=shown(f.start, tz), end=shown(f.end, tz), score=f.score, reason=f.reason) for f in found]
    return Slots(slots=slots, timezone=str(tz.key), considered=considered, unchecked=unchecked)


def _tasks_due(client: CalendarClient, begin: datetime, end: datetime, tz: ZoneInfo) -> dict[date, int] | None:
    """Tasks due per day in the window, from the account's task lists (None when Tasks cannot be read)."""
    from aide_calendar.tasks import due_counts

    return due_counts(client.account, begin, end, tz)
