"""Reminders and jobs through the protocol, on a pinned clock: times resolved in the user's zone, each person's
own, cancelling guarded like any deletion, and the runner's tools listed only for the runner."""

from __future__ import annotations

from typing import Any

import pytest

from aide_core.identity import acting_as

pytestmark = pytest.mark.anyio

DIGEST = {"name": "morning-digest", "when": "every day at 08:00", "what": "morning-digest", "deliver": ["sms", "mail"]}


async def test_a_reminder_said_in_words_is_resolved_in_the_users_zone(schedule_server: Any) -> None:
    async with schedule_server() as schedule:
        once = await schedule.call("remind_me", text="Call the plumber", at="tomorrow 9am")
        weekly = await schedule.call("remind_me", text="Bins out", every="every Monday at 8", channel="mail")
        iso = await schedule.call("remind_me", text="Pack", at="2026-12-24T07:30")
        rule = await schedule.call("remind_me", text="Rent", every="RRULE:FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=10")
        listed = await schedule.call("list_reminders")
    assert once["next_at"] == "2026-11-21T09:00+01:00" and once["every"] is None and once["channel"] == "sms"
    assert weekly["next_at"] == "2026-11-23T08:00+01:00" and weekly["every"] == "RRULE:FREQ=WEEKLY;BYDAY=MO"
    assert iso["next_at"] == "2026-12-24T07:30+01:00"
    assert rule["next_at"] == "2026-12-01T10:00+01:00"
    assert [r["text"] for r in listed["reminders"]] == ["Call the plumber", "Bins out", "Pack", "Rent"]
    assert listed["total"] == 4 and listed["next_cursor"] is None


async def test_a_day_without_a_time_fires_at_nine_and_a_repeat_keeps_its_wall_clock_time_across_dst(
    schedule_server: Any,
) -> None:
    async with schedule_server() as schedule:
        schedule.now = schedule.now.replace(month=3, day=20)  # Berlin moves to summer time on Sunday 2026-03-29
        day = await schedule.call("remind_me", text="Dentist", at="2026-03-30")
        daily = await schedule.call("remind_me", text="Stretch", at="2026-03-28T07:00", every="every day at 7am")
        schedule.now = schedule.now.replace(day=28, hour=12)
        [after_the_change] = (await schedule.call("list_reminders"))["reminders"][1:]
    assert day["next_at"] == "2026-03-30T09:00+02:00"
    assert daily["next_at"] == "2026-03-28T07:00+01:00"
    assert after_the_change["next_at"] == "2026-03-29T07:00+02:00"


async def test_an_rrule_with_an_hour_fires_on_the_hour_whatever_the_time_it_was_set(schedule_server: Any) -> None:
    async with schedule_server() as schedule:
        schedule.now = schedule.now.replace(minute=34, second=56)
        rule = await schedule.call("remind_me", text="Rent", every="RRULE:FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=10")
        hourly = await schedule.call("remind_me", text="Stand up", every="RRULE:FREQ=HOURLY")
    assert rule["next_at"] == "2026-12-01T10:00+01:00"
    assert hourly["next_at"] == "2026-11-20T14:34+01:00"  # from when it was set, each hour


async def test_reminders_are_each_persons_own(schedule_server: Any) -> None:
    async with schedule_server(people={"ann": {"phone": "+14155550123", "timezone": "America/New_York"}}) as schedule:
        mine = await schedule.call("remind_me", text="Mine", at="tomorrow 9am")
        with acting_as("ann"):
            hers = await schedule.call("remind_me", text="Hers", at="tomorrow 9am")
            her_list = await schedule.call("list_reminders")
            not_hers = await schedule.error("cancel_reminder", id=mine["id"])
        my_list = await schedule.call("list_reminders")
    assert hers["next_at"] == "2026-11-21T09:00-05:00" and hers["timezone"] == "America/New_York"
    assert [r["text"] for r in her_list["reminders"]] == ["Hers"]
    assert [r["text"] for r in my_list["reminders"]] == ["Mine"]
    assert "No reminder" in not_hers


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"text": "x"}, "needs a time"),
        ({"text": "x", "at": "yesterday 9am"}, "in the past"),
        ({"text": "x", "at": "when pigs fly"}, "Could not read"),
        ({"text": "x", "every": "whenever"}, "Could not read the recurrence"),
        ({"text": "x", "every": "every day"}, "says no time of day"),
        ({"text": "x", "every": "RRULE:FREQ=MINUTELY"}, "at most hourly"),
        ({"text": "   ", "at": "tomorrow"}, "empty"),
    ],
)
async def test_a_reminder_that_cannot_be_read_is_an_error_that_says_what_to_send(
    schedule_server: Any, arguments: dict[str, Any], expected: str
) -> None:
    async with schedule_server() as schedule:
        text = await schedule.error("remind_me", **arguments)
        listed = await schedule.call("list_reminders")
    assert expected in text
    assert listed["total"] == 0


async def test_a_channel_with_no_address_of_the_users_own_is_refused(schedule_server: Any) -> None:
    async with schedule_server(email=None) as schedule:
        text = await schedule.error("remind_me", text="x", at="tomorrow 9am", channel="mail")
    assert "No email of the user's own" in text


async def test_cancelling_a_reminder_goes_through_the_guard(schedule_server: Any) -> None:
    async with schedule_server(confirm="token") as schedule:
        reminder = await schedule.call("remind_me", text="Call the plumber", at="tomorrow 9am")
        asked = await schedule.client.call_tool("cancel_reminder", {"id": reminder["id"]})
        still = await schedule.call("list_reminders")
    assert "Cancel the reminder" in str(asked.content) and "Call the plumber" in str(asked.content)
    assert still["total"] == 1
    async with schedule_server() as schedule:
        done = await schedule.call("cancel_reminder", id=reminder["id"])
        gone = await schedule.call("list_reminders")
        again = await schedule.call("cancel_reminder", id=reminder["id"])
        unknown = await schedule.error("cancel_reminder", id="000000000000")
    assert done["result"] == {"id": reminder["id"], "text": "Call the plumber", "cancelled": True}
    assert gone["total"] == 0 and again["status"] == "replayed"  # the guard: the same call does nothing twice
    assert "No reminder" in unknown


async def test_list_reminders_pages_with_a_cursor(schedule_server: Any) -> None:
    async with schedule_server(max_output_chars=500) as schedule:
        for n in range(6):
            await schedule.call("remind_me", text=f"Reminder number {n} " + "x" * 60, at="tomorrow 9am")
        seen: list[str] = []
        cursor = None
        for _ in range(10):
            page = await schedule.call("list_reminders", cursor=cursor)
            seen += [r["text"][:17] for r in page["reminders"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        damaged = await schedule.error("list_reminders", cursor="nope")
    assert seen == [f"Reminder number {n}" for n in range(6)]
    assert "cursor" in damaged.lower()


async def test_list_jobs_shows_the_next_run_in_the_users_zone_and_run_job_queues_one(schedule_server: Any) -> None:
    async with schedule_server(jobs=[DIGEST]) as schedule:
        jobs = await schedule.call("list_jobs")
        queued = await schedule.call("run_job", name="morning-digest")
        unknown = await schedule.error("run_job", name="evening")
        with acting_as("ann"):
            none_for_ann = await schedule.call("list_jobs")
    [job] = jobs["jobs"]
    assert job["next_run"] == "2026-11-21T08:00+01:00" and job["last_run"] is None
    assert job["deliver"] == ["sms", "mail"] and jobs["timezone"] == "Europe/Berlin"
    assert queued["queued"] is True and queued["scheduled_for"] == "2026-11-20T12:00:00Z"
    assert "No job 'evening'" in unknown and "morning-digest" in unknown
    assert none_for_ann["jobs"] == []


async def test_the_runners_tools_are_listed_only_for_the_runner(schedule_server: Any) -> None:
    async with schedule_server() as schedule:
        tools = await schedule.tools()
        hidden = await schedule.client.call_tool("due_work", {"at": "2026-11-20T12:00:00Z"})
    async with schedule_server(runner=True) as schedule:
        runner_tools = await schedule.tools()
    assert sorted(tools) == ["cancel_reminder", "list_jobs", "list_reminders", "remind_me", "run_job"]
    assert hidden.is_error and "Unknown tool" in str(hidden.content)
    assert {"due_work", "claim_run", "finish_run"} <= set(runner_tools)


def test_a_job_with_a_schedule_that_cannot_be_read_is_a_configuration_error() -> None:
    from pydantic import ValidationError

    from aide_schedule.settings import ScheduleSettings

    with pytest.raises(ValidationError, match="says no time of day"):
        ScheduleSettings.model_validate({"jobs": [{"name": "x", "when": "every day", "what": "hi"}]})
    with pytest.raises(ValidationError, match="not a delivery"):
        ScheduleSettings.model_validate({"jobs": [{**DIGEST, "deliver": ["pigeon"]}]})
    with pytest.raises(ValidationError, match="two jobs are named"):
        ScheduleSettings.model_validate({"jobs": [DIGEST, DIGEST]})
