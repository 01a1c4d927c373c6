"""The free-slot algorithm on its own (pure): properties over random calendars, and each rule."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from aide_calendar.slots import Person, Rules, find_slots

BERLIN, LA = ZoneInfo("Europe/Berlin"), ZoneInfo("America/Los_Angeles")
START = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)  # a Monday

intervals = st.lists(
    st.tuples(st.integers(0, 3 * 24 * 4), st.integers(1, 16)).map(
        lambda p: (START + timedelta(minutes=15 * p[0] + 7), START + timedelta(minutes=15 * (p[0] + p[1]) + 7))
    ),
    max_size=25,
)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    mine=intervals,
    theirs=intervals,
    minutes=st.sampled_from([15, 30, 45, 60, 90]),
    buffer=st.sampled_from([0, 5, 10, 15]),
    zone=st.sampled_from([BERLIN, LA, ZoneInfo("Asia/Kolkata")]),
)
def test_no_slot_overlaps_a_busy_period_or_leaves_working_hours(
    mine: list[tuple[datetime, datetime]],
    theirs: list[tuple[datetime, datetime]],
    minutes: int,
    buffer: int,
    zone: ZoneInfo,
) -> None:
    people = [Person(BERLIN, (time(8), time(18))), Person(zone, (time(7), time(20)))]
    found, considered = find_slots(
        duration=timedelta(minutes=minutes), begin=START, end=START + timedelta(days=3), busy=mine + theirs,
        my_busy=mine, people=people, zone=BERLIN, buffer=timedelta(minutes=buffer), limit=20,
    )  # fmt: skip
    assert len(found) <= min(20, considered)
    pad = timedelta(minutes=buffer)
    for slot in found:
        assert slot.end - slot.start == timedelta(minutes=minutes)
        assert slot.start >= START and slot.end <= START + timedelta(days=3)
        for busy_start, busy_end in mine + theirs:
            assert slot.end <= busy_start - pad or busy_end + pad <= slot.start
        for person in people:
            assert person.zone is not None
            local_start, local_end = slot.start.astimezone(person.zone), slot.end.astimezone(person.zone)
            assert local_start.weekday() < 5 and person.hours[0] <= local_start.time()
            assert local_end.time() <= person.hours[1] and local_end.date() == local_start.date()
    for first in found:
        assert all(first is other or first.end <= other.start or other.end <= first.start for other in found)


def _slots(
    rules: Rules, busy: list[tuple[datetime, datetime]] | None = None, **options: object
) -> list[tuple[str, str]]:
    found, _ = find_slots(
        duration=timedelta(minutes=60), begin=START, end=START + timedelta(days=5), busy=busy or [],
        my_busy=busy or [], people=[Person(BERLIN)], zone=BERLIN, rules=rules, limit=50, **options,  # type: ignore[arg-type]
    )  # fmt: skip
    return [(f.start.astimezone(BERLIN).strftime("%a %H:%M"), f.reason) for f in found]


def test_not_before_and_not_after_bound_each_day() -> None:
    found = _slots(Rules(not_before=time(10), not_after=time(12)))
    assert {start for start, _ in found} == {
        f"{d} {h}" for d in ("Mon", "Tue", "Wed", "Thu", "Fri") for h in ("10:00", "11:00")
    }


def test_avoided_days_and_dates_get_no_slot() -> None:
    found = _slots(Rules(avoid_days=frozenset({2}), avoid_dates=frozenset({date(2026, 12, 7)})))
    assert {start[:3] for start, _ in found} == {"Tue", "Thu", "Fri"}


def test_a_preference_ranks_first_and_says_why() -> None:
    found = _slots(Rules(prefer="afternoon"))
    assert found[0] == ("Mon 12:00", "afternoon, as preferred; no other meetings that day; today")
    assert all(start.endswith(("12:00", "13:00", "14:00", "15:00", "16:00")) for start, _ in found[:20])


def test_focus_time_is_kept_free() -> None:
    found = _slots(Rules(focus=((time(9), time(12)),)))
    assert not any(start.endswith(("09:00", "10:00", "11:00")) for start, _ in found)


def test_a_day_at_its_meeting_limit_gets_no_slot() -> None:
    meeting = (datetime(2026, 12, 8, 8, tzinfo=UTC), datetime(2026, 12, 8, 9, tzinfo=UTC))  # Tue 09:00-10:00 Berlin
    found = _slots(Rules(max_per_day=1), busy=[meeting])
    assert "Tue" not in {start[:3] for start, _ in found} and "Mon" in {start[:3] for start, _ in found}


def test_room_is_left_for_tasks_due_that_day() -> None:
    # Wednesday: 8 working hours, 3 tasks due at 150 minutes each leave no room for a meeting; Thursday's 1 task does.
    due = {date(2026, 12, 9): 3, date(2026, 12, 10): 1}
    found = _slots(Rules(task_minutes=150), tasks_due=due)
    days = {start[:3] for start, _ in found}
    assert "Wed" not in days and "Thu" in days
    assert any("1 task(s) due that day" in reason for start, reason in found if start.startswith("Thu"))


def test_working_hours_in_two_zones_across_a_dst_change() -> None:
    # 2027-03-15: Los Angeles is already on summer time, Berlin not yet: 8 hours apart, not 9.
    begin = datetime(2027, 3, 15, tzinfo=UTC)
    found, _ = find_slots(
        duration=timedelta(minutes=60), begin=begin, end=begin + timedelta(days=1), busy=[],
        people=[Person(BERLIN, (time(8), time(20))), Person(LA, (time(8), time(20)))], zone=BERLIN, limit=10,
    )  # fmt: skip
    assert sorted(f.start.astimezone(BERLIN).strftime("%H:%M") for f in found) == ["16:00", "17:00", "18:00", "19:00"]
