"""free_busy and find_free_slots through the server: the sandbox's free/busy for Alex (Berlin) and Sam (Los
Angeles), working hours on each one's wall clock, constraints, and no slot over anyone's busy time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from aide_sandbox.seed.calendar import SAM

pytestmark = pytest.mark.anyio
SAM_LA = f"{SAM}=America/Los_Angeles"


async def test_free_busy_shows_each_persons_busy_time_in_the_users_zone(calendar_server: Any) -> None:
    async with calendar_server() as server:
        answer = await server.call("free_busy", emails=[SAM, "nobody@elsewhere.example"], start="2026-12-01")
    sync = {"start": "2026-12-01T09:00+01:00", "end": "2026-12-01T09:30+01:00"}  # the weekly sync Sam is a guest of
    review = {"start": "2026-12-01T17:00+01:00", "end": "2026-12-01T18:00+01:00"}  # 08:00 in Los Angeles
    assert answer["people"] == [
        {"email": SAM, "busy": [sync, review], "error": None},
        {"email": "nobody@elsewhere.example", "busy": [], "error": "notFound"},
    ]


async def test_slots_fall_where_both_zones_working_hours_meet_and_nobody_is_busy(calendar_server: Any) -> None:
    async with calendar_server() as server:
        found = await server.call(
            "find_free_slots", duration=60, start="2026-12-08", end="2026-12-08", attendees=[SAM_LA],
            working_hours="08:00-20:00",
        )  # fmt: skip
        busy = await server.call("free_busy", emails=["alex.rivera@example.com", SAM], start="2026-12-08")
    starts = [slot["start"] for slot in found["slots"]]
    assert sorted(starts) == ["2026-12-08T17:00+01:00", "2026-12-08T18:00+01:00", "2026-12-08T19:00+01:00"]
    for slot in found["slots"]:
        for person in busy["people"]:
            for period in person["busy"]:
                assert slot["end"] <= period["start"] or period["end"] <= slot["start"]


async def test_across_the_dst_change_the_overlap_moves_by_an_hour(calendar_server: Any) -> None:
    async with calendar_server(now=datetime.fromisoformat("2027-03-01T12:00:00+00:00")) as server:
        found = await server.call(
            "find_free_slots", duration=60, start="2027-03-16", end="2027-03-16", attendees=[SAM_LA],
            working_hours="08:00-20:00",
        )  # fmt: skip
    assert sorted(s["start"][11:16] for s in found["slots"]) == ["16:00", "17:00", "18:00", "19:00"]


async def test_constraints_shape_and_rank_the_slots(calendar_server: Any) -> None:
    async with calendar_server() as server:
        found = await server.call(
            "find_free_slots", duration=30, start="2026-12-07", end="2026-12-12", buffer=15,
            constraints={"not_before": "10:00", "avoid_days": ["Wed"], "prefer": "afternoon", "max_per_day": 1,
                         "focus": ["14:00-15:00"]},
        )  # fmt: skip
    days = {slot["start"][:10] for slot in found["slots"]}
    assert "2026-12-09" not in days and "2026-12-08" not in days  # Wednesday avoided; Tuesday has two meetings
    for slot in found["slots"]:
        assert slot["start"][11:16] >= "10:00" and not ("14:00" <= slot["start"][11:16] < "15:00")
    assert found["slots"][0]["reason"].startswith("afternoon, as preferred")
    assert found["slots"][0]["score"] >= found["slots"][-1]["score"]


async def test_bad_working_hours_and_unknown_zones_are_clear_errors(calendar_server: Any) -> None:
    async with calendar_server() as server:
        hours = await server.error("find_free_slots", duration=30, working_hours="17:00-09:00")
        zone = await server.error("find_free_slots", duration=30, attendees=[f"{SAM}=Nowhere/Land"])
        day = await server.error("find_free_slots", duration=30, constraints={"avoid_days": ["Someday"]})
    assert "end before they start" in hours and "Unknown time zone 'Nowhere/Land'" in zone
    assert "'Someday' is not a day of the week" in day


async def test_room_is_left_for_the_tasks_due_that_day(calendar_server: Any) -> None:
    # A task is due on 25 and on 27 November; keeping 8 hours for each leaves only the 26th for a meeting.
    async with calendar_server() as server:
        found = await server.call(
            "find_free_slots", duration=30, start="2026-11-25", end="2026-11-27", constraints={"task_minutes": 480}
        )
    assert {slot["start"][:10] for slot in found["slots"]} == {"2026-11-26"}
