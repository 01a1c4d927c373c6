"""The tools' output models (each is a tool's `outputSchema`); descriptions kept short.

Times are wall-clock in the user's zone with their offset ("2026-12-08T10:00+01:00"); all-day events give dates,
`end` being the last day (inclusive), not Google's exclusive end. Every field whose text comes from other people
(titles, locations, names, comments, task titles) is `UntrustedText`: defanged, one line; descriptions and notes are
fenced where they are read in full.
"""

from __future__ import annotations

from pydantic import Field

from aide_core.fencing import UntrustedText
from aide_core.schemas import Output


class Now(Output):
    now: str
    date: str
    weekday: str
    timezone: str
    week: str = Field(description="ISO week, Monday to Sunday.")
    week_start: str
    utc_offset: str


class CalendarRow(Output):
    id: str
    name: UntrustedText
    timezone: str
    access: str
    primary: bool = False


class Calendars(Output):
    calendars: list[CalendarRow]
    next_cursor: str | None = None


class EventRow(Output):
    id: str
    summary: UntrustedText = ""
    start: str
    end: str
    all_day: bool = False
    calendar: str | None = Field(default=None, description="When not the default calendar.")
    location: UntrustedText | None = None
    recurring: bool = False
    response: str | None = Field(default=None, description="Your answer to an invitation.")
    free: bool = False


class Events(Output):
    events: list[EventRow]
    timezone: str
    window: str
    next_cursor: str | None = None


class Attendee(Output):
    email: str
    name: UntrustedText | None = None
    response: str = "needsAction"
    organizer: bool = False
    you: bool = False


class Event(EventRow):
    description: str | None = Field(default=None, description="Fenced untrusted text.")
    organizer: str | None = None
    attendees: list[Attendee] = Field(default_factory=list)
    more_attendees: int = Field(default=0, description="Attendees not listed.")
    recurrence: list[str] = Field(default_factory=list)
    series_id: str | None = None
    meet: str | None = None
    reminders: list[str] = Field(default_factory=list)
    visibility: str | None = None
    timezone: str | None = None
    link: str | None = None
    status: str | None = None


class Conflict(Output):
    id: str
    summary: UntrustedText = ""
    start: str
    end: str


class Saved(Output):
    event: EventRow
    meet: str | None = None
    recurrence: list[str] = Field(default_factory=list)
    conflicts: list[Conflict] = Field(default_factory=list)
    notified: list[str] = Field(default_factory=list)
    also: list[str] = Field(default_factory=list, description="Other events written (a series split).")


class Deleted(Output):
    id: str
    scope: str
    notified: list[str] = Field(default_factory=list)


class Busy(Output):
    start: str
    end: str


class PersonBusy(Output):
    email: str
    busy: list[Busy]
    error: str | None = None


class FreeBusy(Output):
    timezone: str
    people: list[PersonBusy]


class Slot(Output):
    start: str
    end: str
    score: int
    reason: str


class Slots(Output):
    slots: list[Slot]
    timezone: str
    considered: int = Field(description="Candidate slots that met every rule.")
    unchecked: list[str] = Field(default_factory=list, description="Attendees whose free/busy is not visible.")


class Task(Output):
    id: str
    title: UntrustedText = ""
    list: str
    due: str | None = None
    status: str = "needsAction"
    notes: str | None = None
    parent: str | None = None
    completed: str | None = None


class Tasks(Output):
    tasks: list[Task]
    next_cursor: str | None = None


class TaskList(Output):
    id: str
    title: UntrustedText


class TaskLists(Output):
    lists: list[TaskList]
    next_cursor: str | None = None


class Color(Output):
    id: str
    background: str
    foreground: str


class Colors(Output):
    event: list[Color]
    calendar: list[Color]


class Changes(Output):
    changed: list[EventRow]
    deleted: list[str] = Field(default_factory=list)
    next_cursor: str | None = None
    sync_token: str | None = Field(default=None, description="Pass back to events_since for later changes.")
