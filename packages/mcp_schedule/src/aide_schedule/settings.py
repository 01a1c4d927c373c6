"""The `[schedule]` table: the user's zone and their own number and address (where "deliver to self" goes), the
grace period for times missed while nothing ran, and the jobs (`[[schedule.jobs]]`).

A job's `when` is checked when the settings load, so a misspelt schedule is a one-line configuration error at start,
not a job that silently never runs; so is an `allow` entry that would let a run nobody watches reach someone else.
"""

from __future__ import annotations

import re
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from aide_core.identity import DEFAULT_IDENTITY
from aide_core.settings import ServerSettings

__all__ = ["UNATTENDED_ACTIONS", "Job", "Person", "ScheduleSettings"]

_DELIVERY = re.compile(r"^(sms|mail|file:.+|webhook:https?://\S+)$")

#: The actions a job may `allow`: only those whose effect stays with the person the run is for, each with the
#: condition the runner checks again on every call (`aide_agent.schedule.policy.STAYS_WITH_USER`, which must name the
#: same actions; a test holds the two together). Anything that reaches someone else needs someone there to confirm.
UNATTENDED_ACTIONS = {
    "memory.remember": "",  # their own memory
    "memory.update_memory": "",  # their own memory
    "calendar.add_task": "",  # their own task list
    "calendar.update_task": "",
    "calendar.complete_task": "",
    "twilio.mark_read": "",  # their own inbox's read state
    "calendar.create_event": "without attendees, in their primary calendar",
    "gmail.draft_email": "",  # a draft is not sent
    "gmail.send_email": "to their own address",
    "twilio.send_sms": "to their own phone",
}


def _known_zone(value: str | None) -> str | None:
    from aide_core.errors import AideError
    from aide_core.when import zone

    if value is None:
        return None
    try:
        zone(value)
    except AideError as exc:  # as a ValueError, its message reaches the one-line ConfigError
        raise ValueError(str(exc)) from None
    return value


class Person(BaseModel):
    """One person's own zone, number and address (only theirs: deliveries go to nobody else)."""

    model_config = ConfigDict(extra="forbid")

    timezone: str | None = Field(default=None, description="IANA zone (default: the table's timezone).")
    phone: str | None = Field(default=None, description="Their own phone, +<country code><number>.")
    email: str | None = Field(default=None, description="Their own address, for mail to self.")

    _zone = field_validator("timezone")(_known_zone)


class Job(BaseModel):
    """One scheduled job: at each time `when` names, the runner asks the model `what` (a built-in job's prompt or
    the user's own words) with `servers`' tools, and delivers the answer to the person by `deliver`."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$", description="Unique, lowercase.")]
    when: str = Field(description="'every day at 08:00', 'every Friday at 17:00', or an RRULE with BYHOUR.")
    what: str = Field(min_length=1, max_length=4000, description="'morning-digest', 'free-time', or a prompt.")
    servers: list[str] | None = Field(default=None, description="Servers whose tools it may use (default: all).")
    deliver: list[str] = Field(
        default_factory=lambda: ["sms"], description="'sms', 'mail' (to self), 'file:PATH', 'webhook:URL'."
    )
    allow: list[str] = Field(
        default_factory=list,
        description="Actions (server.tool) the model may take unattended besides reading; only ones that stay with "
        "the user.",
    )
    users: list[str] = Field(default_factory=lambda: [DEFAULT_IDENTITY], description="Whom it runs for.")
    enabled: bool = True

    @field_validator("when")
    @classmethod
    def _readable(cls, value: str) -> str:
        from aide_core.errors import AideError
        from aide_schedule.timing import parse_every

        try:
            parse_every(value)
        except AideError as exc:  # as a ValueError, its message reaches the one-line ConfigError
            raise ValueError(str(exc)) from None
        return value

    @field_validator("allow")
    @classmethod
    def _stays_with_the_user(cls, value: list[str], info: ValidationInfo) -> list[str]:
        """An unattended run has nobody to confirm a send: it may only be allowed what reaches nobody else."""
        for item in value:
            if item not in UNATTENDED_ACTIONS:
                job = info.data.get("name", "?")
                allowed = "; ".join(f"{name} {when}".strip() for name, when in UNATTENDED_ACTIONS.items())
                raise ValueError(
                    f"job {job!r} allows {item!r}, but a run nobody watches may only take actions that stay with "
                    f"the user: {allowed}"
                )
        return value

    @field_validator("deliver")
    @classmethod
    def _deliverable(cls, value: list[str]) -> list[str]:
        for item in value:
            if not _DELIVERY.match(item):
                raise ValueError(f"{item!r} is not a delivery: use 'sms', 'mail', 'file:PATH' or 'webhook:URL'")
        return value

    @model_validator(mode="after")
    def _private_to_each_user(self) -> Self:
        """A file or a webhook is one place for everyone the job runs for, and each run is built from that person's
        own mail and calendar: a job that writes there runs for one person only (SMS and mail go to each their own)."""
        shared = [item for item in self.deliver if item.startswith(("file:", "webhook:"))]
        if shared and len(self.users) > 1:
            raise ValueError(
                f"job {self.name!r} delivers to {shared[0]!r} for {len(self.users)} people: a file or webhook "
                "would get each one's private digest; give each person a job of their own"
            )
        return self


class ScheduleSettings(ServerSettings):
    timezone: str = Field(default="UTC", description="The user's IANA time zone, for phrases and job times.")
    phone: str | None = Field(default=None, description="The user's own phone: reminders and jobs text it.")
    email: str | None = Field(default=None, description="The user's own address: mail to self.")
    people: dict[str, Person] = Field(
        default_factory=dict, description="Other people of a shared deployment, by user name."
    )
    grace_minutes: float = Field(
        default=60, ge=0, le=7 * 24 * 60, description="A time missed while no runner ran still runs this late."
    )
    jobs: list[Job] = Field(default_factory=list)
    run_in_serve: bool = Field(default=False, description="`aide serve` also runs the runner (aide_agent's).")
    runner: bool = Field(
        default=False, description="List the runner's tools (due_work, claim_run, finish_run): set by the runner."
    )

    _zone = field_validator("timezone")(_known_zone)

    @field_validator("jobs")
    @classmethod
    def _unique(cls, value: list[Job]) -> list[Job]:
        names = [job.name for job in value]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"two jobs are named {twice[0]!r}; give each its own name")
        return value

    def person(self, user: str) -> Person:
        """`user`'s zone, number and address: their `people` entry over the table's own keys (which are the
        configured user's; another person without an entry has no number or address)."""
        own = self.people.get(user)
        if user == DEFAULT_IDENTITY:
            base = Person(timezone=self.timezone, phone=self.phone, email=self.email)
            if own is None:
                return base
            return base.model_copy(update=own.model_dump(exclude_none=True))
        found = own or Person()
        return found if found.timezone else found.model_copy(update={"timezone": self.timezone})
