"""The tools' output models: what a client reads as `structuredContent` (and its `outputSchema`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from aide_core.schemas import Output

__all__ = [
    "Cancelled",
    "Claim",
    "Contact",
    "DueItem",
    "DueWork",
    "Finished",
    "JobRow",
    "Jobs",
    "Queued",
    "ReminderRow",
    "Reminders",
]

Channel = Literal["sms", "mail"]


class ReminderRow(Output):
    id: str
    text: str
    channel: Channel
    every: str | None = Field(default=None, description="The RRULE, for a repeating reminder.")
    next_at: str | None = Field(description="The next time, in the user's zone (None: it has fired).")
    timezone: str


class Reminders(Output):
    reminders: list[ReminderRow]
    total: int
    next_cursor: str | None = None


class Cancelled(Output):
    id: str
    text: str
    cancelled: bool


class JobRow(Output):
    name: str
    when: str
    what: str
    deliver: list[str]
    allow: list[str]
    next_run: str | None
    last_run: str | None = None
    last_outcome: str | None = Field(default=None, description="done, failed, running, or requested.")
    last_summary: str | None = None
    last_declined: list[str] = Field(default_factory=list, description="Actions declined in the last run.")


class Jobs(Output):
    jobs: list[JobRow]
    timezone: str
    next_cursor: str | None = None


class Queued(Output):
    name: str
    scheduled_for: str
    queued: bool
    note: str


class Contact(Output):
    """Where the person's own deliveries go (the runner sends nowhere else)."""

    timezone: str
    phone: str | None = None
    email: str | None = None


class DueItem(Output):
    key: str = Field(description="job:<name> or reminder:<id>: with scheduled_for, the run's ledger key.")
    kind: Literal["job", "reminder"]
    name: str
    scheduled_for: str
    text: str = Field(description="The job's what, or the reminder's text.")
    deliver: list[str]
    servers: list[str] | None = None
    allow: list[str] = Field(default_factory=list)


class DueWork(Output):
    items: list[DueItem]
    next_at: str | None = Field(description="The next time anything is due (UTC), None when nothing is scheduled.")
    contact: Contact


class Claim(Output):
    key: str
    scheduled_for: str
    claimed: bool


class Finished(Output):
    key: str
    scheduled_for: str
    recorded: bool
