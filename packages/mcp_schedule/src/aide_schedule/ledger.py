"""The runner's tools: what is due for the caller, claiming a run, and recording how it ended.

Listed only when the server's settings say `runner = true` (the runner's own in-process server): a model never sees
them, and a client that calls one on a server without that setting gets "unknown tool". They act only on the
caller's own data (`current_user`), like every other tool: the runner acts as each person in turn.

What is due at `at`: for each job of the caller and each of their reminders, the latest time in the grace period
[at - grace, at] that the ledger does not know yet (earlier missed times are skipped: a machine off for three days
sends one digest, not three), and each run `run_job` asked for. `next_at` says when to look again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import Field

from aide_core.identity import current_user
from aide_schedule.app import job_series, jobs_for, parse_utc, reminder_series, spec, utc
from aide_schedule.models import Claim, Contact, DueItem, DueWork, Finished
from aide_schedule.tools import MAX_REMINDERS

__all__ = ["claim_run", "due_work", "finish_run"]

#: Most items one answer holds (more are due at the next look, which is at once).
MAX_ITEMS = 50

At = Annotated[str, Field(description="The runner's now, ISO with offset (2026-12-08T07:00:00Z).")]
Key = Annotated[str, Field(min_length=5, max_length=80, pattern=r"^(job|reminder):\S+$", description="A due key.")]
Scheduled = Annotated[str, Field(description="The item's scheduled_for, as due_work gave it.")]


@spec.tool(open_world=False)
def due_work(at: At) -> DueWork:
    """What is due for the caller at `at` and not yet run, when to look next, and where deliveries go."""
    state = spec.state()
    user = current_user()
    now = parse_utc(at, "at")
    since = now - timedelta(minutes=state.config.grace_minutes)
    items: list[DueItem] = []
    upcoming: list[datetime] = []
    jobs = {job.name: job for job in jobs_for(state, user)}
    for run in state.store.requested(user, MAX_ITEMS):
        job = jobs.get(run.key.removeprefix("job:"))
        if job is not None:
            scheduled = datetime.fromtimestamp(run.scheduled, now.tzinfo)
            items.append(DueItem(key=run.key, kind="job", name=job.name, scheduled_for=utc(scheduled), text=job.what,
                                 deliver=job.deliver, servers=job.servers, allow=job.allow))  # fmt: skip
    candidates: list[tuple[str, datetime | None, DueItem | None]] = []
    for job in jobs.values():
        series = job_series(job, state, user)
        times = series.between(since, now)
        item = None
        if times:
            item = DueItem(key=f"job:{job.name}", kind="job", name=job.name, scheduled_for=utc(times[-1]),
                           text=job.what, deliver=job.deliver, servers=job.servers, allow=job.allow)  # fmt: skip
        candidates.append((f"job:{job.name}", series.after(now), item))
    reminders, _ = state.store.reminders(user, limit=MAX_REMINDERS)
    for reminder in reminders:
        series = reminder_series(reminder)
        created = datetime.fromtimestamp(reminder.created, now.tzinfo)
        times = series.between(max(since, created), now)
        item = None
        if times:
            item = DueItem(key=f"reminder:{reminder.id}", kind="reminder", name=reminder.id,
                           scheduled_for=utc(times[-1]), text=reminder.text, deliver=[reminder.channel])  # fmt: skip
        candidates.append((f"reminder:{reminder.id}", series.after(now), item))
    known = state.store.known(user, [key for key, _, item in candidates if item], since.timestamp())
    for key, following, item in candidates:
        if following is not None:
            upcoming.append(following)
        if item is not None and (key, parse_utc(item.scheduled_for, "").timestamp()) not in known:
            items.append(item)
    person = state.person(user)
    return DueWork(
        items=items[:MAX_ITEMS],
        next_at=utc(min(upcoming)) if upcoming else None,
        contact=Contact(timezone=state.zone(user).key, phone=person.phone, email=person.email),
    )


@spec.tool(read_only=False, idempotent=False, open_world=False)
def claim_run(key: Key, scheduled_for: Scheduled, runner: Annotated[str, Field(min_length=1, max_length=80)]) -> Claim:
    """Claim one due run for `runner`: claimed is true for exactly one caller, ever."""
    state = spec.state()
    scheduled = parse_utc(scheduled_for, "scheduled_for")
    claimed = state.store.claim(current_user(), key, scheduled.timestamp(), runner, state.now().timestamp())
    return Claim(key=key, scheduled_for=utc(scheduled), claimed=claimed)


@spec.tool(read_only=False, idempotent=True, open_world=False)
def finish_run(
    key: Key,
    scheduled_for: Scheduled,
    runner: Annotated[str, Field(min_length=1, max_length=80)],
    outcome: Literal["done", "failed"],
    summary: Annotated[str, Field(max_length=4000)] = "",
    declined: Annotated[list[str], Field(max_length=50)] | None = None,
) -> Finished:
    """Record how a claimed run ended: its summary, and the actions the unattended policy declined."""
    state = spec.state()
    scheduled = parse_utc(scheduled_for, "scheduled_for")
    recorded = state.store.finish(current_user(), key, scheduled.timestamp(), runner, outcome, summary,
                                  [item[:200] for item in declined or []], state.now().timestamp())  # fmt: skip
    return Finished(key=key, scheduled_for=utc(scheduled), recorded=recorded)
