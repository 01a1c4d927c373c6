"""The schedule server's declaration (`spec`) and what its tool modules share: series of jobs and reminders, and
times as rows show them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aide_core.errors import InvalidInput
from aide_core.server import Runtime, ServerSpec
from aide_core.when import zone
from aide_schedule.settings import Job, ScheduleSettings
from aide_schedule.state import ScheduleState
from aide_schedule.store import Reminder
from aide_schedule.timing import JOB_ANCHOR, Series, parse_every

__all__ = ["RUNNER_TOOLS", "job_series", "reminder_series", "shown", "spec", "utc"]

#: Tools only the runner lists (`runner = true`, which `aide schedule run` sets): a model never sees them.
RUNNER_TOOLS = frozenset({"due_work", "claim_run", "finish_run"})

spec = ServerSpec[ScheduleState](
    "schedule",
    title="aide schedule",
    instructions=(
        "Reminders and scheduled jobs. remind_me(text, at | every) sets a reminder delivered to the user by SMS or "
        "mail ('tomorrow 9am', 'every Monday at 8', an RRULE, or an ISO datetime, in the user's zone); "
        "list_reminders, cancel_reminder. list_jobs shows the configured jobs with their last and next runs; "
        "run_job runs one now. Jobs themselves are set in aide's configuration, not here."
    ),
    settings_model=ScheduleSettings,
    state=ScheduleState,
    untrusted_content=False,
)


def _listed(runtime: Runtime[Any], tool: str) -> bool:
    config = runtime.config
    return tool not in RUNNER_TOOLS or (isinstance(config, ScheduleSettings) and config.runner)


spec.tool_visibility(_listed, changes=lambda runtime: getattr(runtime.config, "runner", False))


def shown(moment: datetime, state: ScheduleState, user: str) -> str:
    """An instant as rows show it: the user's wall clock, to the minute, with its offset."""
    return moment.astimezone(state.zone(user)).isoformat(timespec="minutes")


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_utc(text: str, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{what} {text[:40]!r} is not an ISO datetime.", hint="Send 2026-12-08T08:00:00Z.") from None
    if moment.tzinfo is None:
        raise InvalidInput(f"{what} {text[:40]!r} has no offset.", hint="Send it in UTC: 2026-12-08T08:00:00Z.")
    return moment.astimezone(UTC)


def job_series(job: Job, state: ScheduleState, user: str) -> Series:
    return Series.of(parse_every(job.when), state.zone(user), JOB_ANCHOR)


def reminder_series(reminder: Reminder) -> Series:
    return Series(datetime.fromisoformat(reminder.start), zone(reminder.zone), reminder.rule)


def jobs_for(state: ScheduleState, user: str) -> list[Job]:
    return [job for job in state.config.jobs if job.enabled and user in job.users]
