"""The tools a model uses: reminders (set, list, cancel) and the configured jobs (list, run now).

A reminder's times are resolved when it is set, in the user's zone, against the server's clock; a repeating one
keeps its rule and is expanded on the wall clock of that zone, so "every Monday at 8" stays at 8 across DST.
Cancelling goes through the guard like any deletion; setting one does not (it reaches nobody but the user).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal

from pydantic import Field

from aide_core.errors import InvalidInput, NotFound
from aide_core.identity import current_user
from aide_core.paging import decode_cursor, encode_cursor, take_within_budget
from aide_core.plan import Plan
from aide_core.when import localize, read_phrase
from aide_schedule.app import job_series, jobs_for, reminder_series, shown, spec, utc
from aide_schedule.models import Cancelled, JobRow, Jobs, Queued, ReminderRow, Reminders
from aide_schedule.store import Reminder
from aide_schedule.timing import Series, parse_every

__all__ = ["cancel_reminder", "list_jobs", "list_reminders", "remind_me", "run_job"]

PAGE = 20
#: Most active reminders one person keeps (the runner looks at all of them at every tick).
MAX_REMINDERS = 500
#: The time of day a reminder "on Friday" (a day without a time) fires at.
DEFAULT_TIME = time(9, 0)

Text = Annotated[str, Field(min_length=1, max_length=500, description="What to remind the user of.")]
At = Annotated[
    str | None, Field(description="When: 'tomorrow 9am', 'in 2 hours', 2026-12-08T09:00 (user's zone); first time.")
]
Every = Annotated[str | None, Field(description="Repeat: 'every Monday at 8', 'every weekday at 7:30am', or an RRULE.")]
Cursor = Annotated[str | None, Field(description="A next_cursor.")]
Id = Annotated[str, Field(min_length=1, max_length=40, description="The reminder's id (list_reminders).")]


def _row(reminder: Reminder, now: datetime) -> ReminderRow:
    state = spec.state()
    following = reminder_series(reminder).after(now - timedelta(seconds=1))
    return ReminderRow(
        id=reminder.id,
        text=reminder.text,
        channel="mail" if reminder.channel == "mail" else "sms",
        every=reminder.rule,
        next_at=shown(following, state, reminder.user) if following else None,
        timezone=reminder.zone,
    )


def _first_time(at: str, now: datetime) -> datetime:
    state = spec.state()
    tz = state.zone(current_user())
    moment, _ = read_phrase(at, tz, now)
    if not isinstance(moment, datetime):
        assert isinstance(moment, date)
        moment = localize(datetime.combine(moment, DEFAULT_TIME), tz)
    return moment


@spec.tool(read_only=False, idempotent=False, open_world=False)
def remind_me(text: Text, at: At = None, every: Every = None, channel: Literal["sms", "mail"] = "sms") -> ReminderRow:
    """Remind the user of something at a time (at) or repeatedly (every), by SMS or mail to themselves."""
    state = spec.state()
    user = current_user()
    now = state.now()
    tz = state.zone(user)
    cleaned = " ".join(text.split())
    if not cleaned:
        raise InvalidInput("The reminder's text is empty.", hint="Say what to remind the user of.")
    if at is None and every is None:
        raise InvalidInput("A reminder needs a time.", hint="Give at ('tomorrow 9am') or every ('every Monday at 8').")
    contact = state.person(user)
    if (channel == "sms" and not contact.phone) or (channel == "mail" and not contact.email):
        what = "phone" if channel == "sms" else "email"
        raise InvalidInput(
            f"No {what} of the user's own is configured for {channel} reminders.",
            hint=f"Try the other channel, or tell the user to set {what} in [schedule] of aide's configuration.",
        )
    if every is None:
        assert at is not None
        first = _first_time(at, now)
        if first <= now:
            raise InvalidInput(
                f"{shown(first, state, user)} is in the past.", hint="Give a time after now, such as 'in 1 hour'."
            )
        series = Series(first.astimezone(tz).replace(tzinfo=None), tz)
    else:
        recurrence = parse_every(every, need_time=at is None)
        anchor = _first_time(at, now) if at is not None else now
        series = Series.of(recurrence, tz, anchor.astimezone(tz))
        if series.after(now) is None:
            raise InvalidInput("That schedule has no time after now.", hint="Check its UNTIL or COUNT.")
    if state.store.reminders(user, limit=1)[1] >= MAX_REMINDERS:
        raise InvalidInput(
            f"The user already has {MAX_REMINDERS} reminders.", hint="Cancel some (list_reminders) before adding more."
        )
    reminder = state.store.add_reminder(
        user, cleaned, channel, series.rule, series.start.isoformat(), tz.key, now.timestamp()
    )
    return _row(reminder, now)


def _offset(cursor: str | None, tool: str) -> int:
    if not cursor:
        return 0
    offset = decode_cursor(cursor, tool, {}, fields={"offset": int})["offset"]
    if offset < 0:
        raise InvalidInput("The cursor is damaged.", hint=f"Call {tool} again without a cursor.")
    return offset


@spec.tool(open_world=False)
def list_reminders(cursor: Cursor = None) -> Reminders:
    """The user's reminders with their next time, oldest first."""
    state = spec.state()
    offset = _offset(cursor, "list_reminders")
    found, total = state.store.reminders(current_user(), offset=offset, limit=PAGE)
    now = state.now()
    rows = [_row(reminder, now) for reminder in found]
    count = take_within_budget(rows, state.config.max_output_chars - 400)
    more = offset + count < total
    return Reminders(
        reminders=rows[:count],
        total=total,
        next_cursor=encode_cursor("list_reminders", {"offset": offset + count}, {}) if more else None,
    )


def plan_cancel(id: str) -> Plan[Reminder]:
    state = spec.state()
    reminder = state.store.reminder(current_user(), id.strip())
    if reminder is None:
        raise NotFound(f"No reminder {id[:40]!r}.", hint="list_reminders shows the ids.")
    row = _row(reminder, state.now())
    when = f"next {row.next_at}" if row.next_at else "already delivered"
    return Plan(
        preview=f"Cancel the reminder {reminder.id} ({when}): {reminder.text}",
        payload=reminder,
        content={"id": reminder.id},
    )


@spec.action(plan=plan_cancel, open_world=False)
def cancel_reminder(plan: Plan[Reminder], id: Id) -> Cancelled:
    """Cancel a reminder (it is not delivered again)."""
    state = spec.state()
    reminder = plan.payload
    done = state.store.cancel_reminder(reminder.user, reminder.id, state.now().timestamp())
    return Cancelled(id=reminder.id, text=reminder.text, cancelled=done)


@spec.tool(open_world=False)
def list_jobs(cursor: Cursor = None) -> Jobs:
    """The jobs configured for the user, with their next run and their last run's outcome."""
    state = spec.state()
    user = current_user()
    now = state.now()
    offset = _offset(cursor, "list_jobs")
    jobs = jobs_for(state, user)
    rows: list[JobRow] = []
    for job in jobs[offset : offset + PAGE]:
        following = job_series(job, state, user).after(now)
        last = state.store.last_run(user, f"job:{job.name}")
        rows.append(
            JobRow(
                name=job.name,
                when=job.when,
                what=job.what if len(job.what) <= 200 else job.what[:199] + "…",
                deliver=job.deliver,
                allow=job.allow,
                next_run=shown(following, state, user) if following else None,
                last_run=shown(datetime.fromtimestamp(last.scheduled, now.tzinfo), state, user) if last else None,
                last_outcome=last.outcome if last else None,
                last_summary=(last.summary[:300] or None) if last else None,
                last_declined=last.declined[:10] if last else [],
            )
        )
    count = take_within_budget(rows, state.config.max_output_chars - 400)
    more = offset + count < len(jobs)
    return Jobs(
        jobs=rows[:count],
        timezone=state.zone(user).key,
        next_cursor=encode_cursor("list_jobs", {"offset": offset + count}, {}) if more else None,
    )


@spec.tool(read_only=False, idempotent=False, open_world=False)
def run_job(name: Annotated[str, Field(min_length=1, max_length=63, description="The job's name.")]) -> Queued:
    """Run a configured job now: the scheduler runner picks it up at its next check and delivers as configured."""
    state = spec.state()
    user = current_user()
    found = {job.name: job for job in jobs_for(state, user)}
    job = found.get(name.strip())
    if job is None:
        names = ", ".join(sorted(found)) or "none are configured"
        raise NotFound(f"No job {name[:40]!r} for this user.", hint=f"The jobs: {names}.")
    now = state.now().replace(microsecond=0)
    queued = state.store.request(user, f"job:{job.name}", now.timestamp())
    note = "The runner (aide schedule run) runs it at its next check." if queued else "It is already queued."
    return Queued(name=job.name, scheduled_for=utc(now), queued=queued, note=note)
