"""The runner's side of the server: what is due (the latest time within the grace period, once), claims that only
one caller ever wins, even from two processes' worth of connections at once, and the record of how a run ended."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from aide_core.identity import acting_as
from aide_schedule.store import ScheduleStore

from .conftest import EMAIL, PHONE

pytestmark = pytest.mark.anyio

DIGEST = {"name": "morning-digest", "when": "every day at 08:00", "what": "morning-digest", "deliver": ["sms", "mail"]}


def at(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


async def test_a_job_is_due_at_its_time_once_and_a_claim_is_won_once(schedule_server: Any) -> None:
    eight = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)  # 08:00 in Berlin
    async with schedule_server(runner=True, jobs=[DIGEST]) as schedule:
        before = await schedule.call("due_work", at=at(eight - timedelta(seconds=1)))
        due = await schedule.call("due_work", at=at(eight))
        [item] = due["items"]
        first = await schedule.call("claim_run", key=item["key"], scheduled_for=item["scheduled_for"], runner="a")
        second = await schedule.call("claim_run", key=item["key"], scheduled_for=item["scheduled_for"], runner="b")
        restart = await schedule.call("due_work", at=at(eight + timedelta(seconds=30)))
        finished = await schedule.call(
            "finish_run", key=item["key"], scheduled_for=item["scheduled_for"], runner="a", outcome="done",
            summary="3 mails, 2 events", declined=["gmail.trash_emails"],
        )  # fmt: skip
        not_holder = await schedule.call(
            "finish_run", key=item["key"], scheduled_for=item["scheduled_for"], runner="b", outcome="failed"
        )
        jobs = await schedule.call("list_jobs")
    assert before["items"] == [] and before["next_at"] == "2026-11-21T07:00:00Z"
    assert item["key"] == "job:morning-digest" and item["scheduled_for"] == "2026-11-21T07:00:00Z"
    assert item["text"] == "morning-digest" and item["deliver"] == ["sms", "mail"]
    assert due["contact"] == {"timezone": "Europe/Berlin", "phone": PHONE, "email": EMAIL}
    assert (first["claimed"], second["claimed"]) == (True, False)
    assert restart["items"] == [] and restart["next_at"] == "2026-11-22T07:00:00Z"
    assert finished["recorded"] is True and not_holder["recorded"] is False
    [job] = jobs["jobs"]
    assert (job["last_run"], job["last_outcome"], job["last_summary"]) == ("2026-11-21T08:00+01:00", "done",
                                                                           "3 mails, 2 events")  # fmt: skip
    assert job["last_declined"] == ["gmail.trash_emails"]


async def test_a_time_missed_runs_once_within_the_grace_period_and_not_after_it(schedule_server: Any) -> None:
    eight = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
    async with schedule_server(runner=True, jobs=[DIGEST], grace_minutes=90) as schedule:
        late = await schedule.call("due_work", at=at(eight + timedelta(minutes=89)))
        too_late = await schedule.call("due_work", at=at(eight + timedelta(minutes=91)))
        days_off = await schedule.call("due_work", at=at(eight + timedelta(days=3, minutes=10)))
    assert [item["scheduled_for"] for item in late["items"]] == ["2026-11-21T07:00:00Z"]
    assert too_late["items"] == []
    assert [item["scheduled_for"] for item in days_off["items"]] == ["2026-11-24T07:00:00Z"]  # the latest only


async def test_the_job_keeps_08_00_on_the_wall_clock_across_the_dst_change(schedule_server: Any) -> None:
    async with schedule_server(runner=True, jobs=[DIGEST]) as schedule:
        saturday = await schedule.call("due_work", at="2026-10-24T06:00:00Z")  # 08:00 summer time
        sunday = await schedule.call("due_work", at="2026-10-25T06:00:00Z")  # 07:00 winter time: not yet
        sunday_eight = await schedule.call("due_work", at="2026-10-25T07:00:00Z")
    assert [item["scheduled_for"] for item in saturday["items"]] == ["2026-10-24T06:00:00Z"]
    assert sunday["items"] == [] and sunday["next_at"] == "2026-10-25T07:00:00Z"
    assert [item["scheduled_for"] for item in sunday_eight["items"]] == ["2026-10-25T07:00:00Z"]


async def test_a_reminder_is_due_at_its_time_for_its_user_only(schedule_server: Any) -> None:
    async with schedule_server(runner=True, people={"ann": {"phone": "+14155550123"}}) as schedule:
        reminder = await schedule.call("remind_me", text="Call the plumber", at="in 2 hours")
        with acting_as("ann"):
            anns = await schedule.call("due_work", at="2026-11-20T14:00:00Z")
        early = await schedule.call("due_work", at="2026-11-20T13:59:59Z")
        due = await schedule.call("due_work", at="2026-11-20T14:00:00Z")
    assert reminder["next_at"] == "2026-11-20T15:00+01:00"
    assert anns["items"] == [] and anns["contact"]["phone"] == "+14155550123"
    assert early["items"] == [] and early["next_at"] == "2026-11-20T14:00:00Z"
    assert [(i["key"], i["text"], i["deliver"]) for i in due["items"]] == [
        (f"reminder:{reminder['id']}", "Call the plumber", ["sms"])
    ]


async def test_a_one_time_reminder_retires_when_its_run_ends_and_a_repeating_one_stays(schedule_server: Any) -> None:
    async with schedule_server(runner=True) as schedule:
        once = await schedule.call("remind_me", text="Call the plumber", at="in 2 hours")
        weekly = await schedule.call("remind_me", text="Water the plants", every="every Monday at 15:00")
        [item] = (await schedule.call("due_work", at="2026-11-20T14:00:00Z"))["items"]
        await schedule.call("claim_run", key=item["key"], scheduled_for=item["scheduled_for"], runner="a")
        await schedule.call(
            "finish_run", key=item["key"], scheduled_for=item["scheduled_for"], runner="a", outcome="done"
        )
        listed = await schedule.call("list_reminders")
    assert item["key"] == f"reminder:{once['id']}"
    assert [r["id"] for r in listed["reminders"]] == [weekly["id"]]


async def test_run_job_is_due_at_once_and_claimed_like_any_run(schedule_server: Any) -> None:
    async with schedule_server(runner=True, jobs=[DIGEST]) as schedule:
        await schedule.call("run_job", name="morning-digest")
        due = await schedule.call("due_work", at="2026-11-20T12:00:05Z")
        [item] = due["items"]
        claim = await schedule.call("claim_run", key=item["key"], scheduled_for=item["scheduled_for"], runner="a")
        after = await schedule.call("due_work", at="2026-11-20T12:00:10Z")
    assert item["scheduled_for"] == "2026-11-20T12:00:00Z" and claim["claimed"] is True
    assert after["items"] == []


def test_two_runners_on_one_file_never_both_win_a_claim(tmp_path: Path) -> None:
    """Eight threads, each with its own store object (its own connections) on one file, race for the same runs."""
    path = tmp_path / "schedule.sqlite3"
    stores = [ScheduleStore(path) for _ in range(8)]
    wins: list[tuple[int, float]] = []
    start = threading.Barrier(len(stores))
    lock = threading.Lock()

    def race(index: int, store: ScheduleStore) -> None:
        start.wait()
        for scheduled in range(20):
            if store.claim("default", "job:morning-digest", float(scheduled), f"runner-{index}", 0.0):
                with lock:
                    wins.append((index, float(scheduled)))

    threads = [threading.Thread(target=race, args=(i, store)) for i, store in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(scheduled for _, scheduled in wins) == [float(n) for n in range(20)]  # each run won exactly once


async def test_a_time_the_spring_change_skips_runs_once_right_after_the_gap(schedule_server: Any) -> None:
    night = {"name": "night", "when": "every day at 02:30", "what": "Back up"}
    async with schedule_server(runner=True, jobs=[night], grace_minutes=30) as schedule:
        before = await schedule.call("due_work", at="2026-03-29T00:59:00Z")  # 01:59 CET: 02:00-03:00 will not exist
        after = await schedule.call("due_work", at="2026-03-29T01:30:00Z")  # 03:30 CEST
    assert before["items"] == [] and before["next_at"] == "2026-03-29T01:30:00Z"
    assert [item["scheduled_for"] for item in after["items"]] == ["2026-03-29T01:30:00Z"]
