"""Zones, phrases and recurrence words on their own (pure functions, a pinned "now")."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from aide_calendar.recurrence import recurrence_lines, remaining_rules, truncate_before
from aide_calendar.times import localize, read_phrase, window
from aide_core.errors import InvalidInput

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # Friday, 13:00 in Berlin


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("every weekday", "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"),
        ("daily", "RRULE:FREQ=DAILY"),
        ("every other Tuesday", "RRULE:FREQ=WEEKLY;BYDAY=TU;INTERVAL=2"),
        ("every Mon, Wed and Fri", "RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR"),
        ("every 3 days", "RRULE:FREQ=DAILY;INTERVAL=3"),
        ("monthly for 6 times", "RRULE:FREQ=MONTHLY;COUNT=6"),
        ("every year", "RRULE:FREQ=YEARLY"),
        ("every day until 2027-01-31", "RRULE:FREQ=DAILY;UNTIL=20270131T225959Z"),
        ("every weekday until June", "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20270531T215959Z"),
        ("FREQ=WEEKLY;BYDAY=TU", "RRULE:FREQ=WEEKLY;BYDAY=TU"),
    ],
)
def test_recurrence_words_become_rrules(text: str, expected: str) -> None:
    assert recurrence_lines(text, datetime(2026, 12, 1, 9, tzinfo=BERLIN), False, BERLIN, NOW) == [expected]


def test_an_all_day_series_ends_on_a_date() -> None:
    lines = recurrence_lines("every week until 2027-02-01", date(2026, 12, 1), True, BERLIN, NOW)
    assert lines == ["RRULE:FREQ=WEEKLY;UNTIL=20270201"]


@pytest.mark.parametrize("text", ["whenever", "every blue moon", "RRULE:FREQ=WEEKLY;BYDAY=XX", "every 0 days"])
def test_unreadable_recurrence_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        recurrence_lines(text, datetime(2026, 12, 1, 9, tzinfo=BERLIN), False, BERLIN, NOW)
    assert "RRULE:FREQ=WEEKLY" in str(refused.value)


def test_splitting_a_series_ends_it_before_the_instance_and_carries_the_count() -> None:
    rules = ["RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=12", "EXDATE;TZID=Europe/Berlin:20261027T090000"]
    series, instance = datetime(2026, 10, 6, 9, tzinfo=BERLIN), datetime(2026, 12, 1, 9, tzinfo=BERLIN)
    assert truncate_before(rules, instance) == [
        "RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20261201T075959Z",
        "EXDATE;TZID=Europe/Berlin:20261027T090000",
    ]
    assert remaining_rules(rules, series, instance, BERLIN)[0] == "RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=4"


def test_a_time_skipped_by_dst_moves_forward_and_a_repeated_one_is_the_first() -> None:
    assert localize(datetime.fromisoformat("2027-03-28T02:30"), BERLIN).isoformat() == "2027-03-28T03:30:00+02:00"
    assert localize(datetime.fromisoformat("2026-10-25T02:30"), BERLIN).isoformat() == "2026-10-25T02:30:00+02:00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tomorrow 3pm", datetime(2026, 11, 21, 15, tzinfo=BERLIN)),
        ("next Friday", date(2026, 11, 27)),
        ("in 2 hours", datetime(2026, 11, 20, 15, tzinfo=BERLIN)),
        ("2026-12-08T15:00", datetime(2026, 12, 8, 15, tzinfo=BERLIN)),
        ("2026-12-08T15:00Z", datetime(2026, 12, 8, 16, tzinfo=BERLIN)),
        ("2026-12-08", date(2026, 12, 8)),
    ],
)
def test_phrases_and_iso_read_in_the_users_zone(text: str, expected: object) -> None:
    moment, _ = read_phrase(text, BERLIN, NOW)
    assert moment == expected and (not isinstance(moment, datetime) or moment.utcoffset() is not None)


def test_week_and_month_phrases_cover_the_whole_span() -> None:
    begin, end = window("next month", None, BERLIN, NOW)
    assert (begin.isoformat(), end.isoformat()) == ("2026-12-01T00:00:00+01:00", "2027-01-01T00:00:00+01:00")
    begin, end = window("this week", None, BERLIN, NOW)
    assert (begin.date(), end.date()) == (date(2026, 11, 16), date(2026, 11, 23))
