"""Reading: the time, calendars, events in a window (expanded, in the user's zone), one event."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

pytestmark = pytest.mark.anyio


async def test_get_time_gives_the_date_the_zone_and_the_week_from_the_pinned_clock(calendar_server: Any) -> None:
    async with calendar_server() as server:
        assert await server.call("get_time") == {
            "now": "2026-11-20T13:00+01:00",
            "date": "2026-11-20",
            "weekday": "Friday",
            "timezone": "Europe/Berlin",
            "week": "2026-W47",
            "week_start": "2026-11-16",
            "utc_offset": "+01:00",
        }
        tokyo = await server.call("get_time", timezone="Asia/Tokyo")
        assert tokyo["now"] == "2026-11-20T21:00+09:00" and tokyo["timezone"] == "Asia/Tokyo"
        error = await server.error("get_time", timezone="Mars/Olympus")
    assert "Unknown time zone 'Mars/Olympus'" in error and "Europe/Berlin" in error


async def test_list_calendars_lists_each_with_its_zone_and_access(calendar_server: Any) -> None:
    async with calendar_server() as server:
        listed = await server.call("list_calendars")
    rows = {row["id"]: row for row in listed["calendars"]}
    assert rows["alex.rivera@example.com"] == {
        "id": "alex.rivera@example.com",
        "name": "alex.rivera@example.com",
        "timezone": "Europe/Berlin",
        "access": "owner",
        "primary": True,
    }
    assert rows["en.german#holiday@group.v.calendar.google.com"]["access"] == "reader"


async def test_calendars_page_within_the_output_budget(calendar_server: Any) -> None:
    async with calendar_server(max_output_chars=500) as server:
        pages = [await server.call("list_calendars")]
        while pages[-1]["next_cursor"]:
            pages.append(await server.call("list_calendars", cursor=pages[-1]["next_cursor"]))
    assert [len(page["calendars"]) for page in pages] == [1, 1, 1]


async def test_a_long_description_is_cut_and_says_how_much_is_left(calendar_server: Any, calendar: Any) -> None:
    calendar.events().patch(calendarId="primary", eventId="seed020", body={"description": "x" * 9000}).execute()
    async with calendar_server() as server:
        event = await server.call("get_event", id="seed020")
    assert "… (5,000 more characters not shown)" in event["description"] and len(event["description"]) < 4300


async def test_a_day_lists_its_events_with_recurring_instances_in_the_users_zone(calendar_server: Any) -> None:
    async with calendar_server() as server:
        day = await server.call("list_events", start="2026-12-08")
    assert day["window"] == "2026-12-08T00:00+01:00 to 2026-12-09T00:00+01:00"
    assert [(e["id"], e["start"], e["end"]) for e in day["events"]] == [
        ("seed001_20261208T080000Z", "2026-12-08T09:00+01:00", "2026-12-08T09:30+01:00"),
        ("seed020", "2026-12-08T10:00+01:00", "2026-12-08T12:00+01:00"),
    ]
    assert day["events"][0]["recurring"] is True and day["events"][0]["response"] == "accepted"


async def test_all_day_events_keep_their_dates_with_an_inclusive_end(calendar_server: Any) -> None:
    async with calendar_server() as server:
        trip = await server.call("list_events", start="2026-12-03", end="2026-12-05")
    [row] = [e for e in trip["events"] if e["id"] == "seed003"]
    assert (row["start"], row["end"], row["all_day"]) == ("2026-12-03", "2026-12-05", True)


async def test_phrases_resolve_against_the_clock_in_the_users_zone(calendar_server: Any) -> None:
    # 23:30 UTC on Monday 7 December is already Tuesday 8 December in Berlin: "today" is the 8th there.
    async with calendar_server(now=datetime(2026, 12, 7, 23, 30, tzinfo=UTC)) as server:
        today = await server.call("list_events", start="today")
        week = await server.call("list_events", start="next week")
    assert today["window"] == "2026-12-08T00:00+01:00 to 2026-12-09T00:00+01:00"
    assert [e["id"] for e in today["events"]] == ["seed001_20261208T080000Z", "seed020"]
    assert week["window"] == "2026-12-14T00:00+01:00 to 2026-12-21T00:00+01:00"


async def test_several_calendars_merge_in_order_and_pages_follow_with_a_cursor(calendar_server: Any) -> None:
    week = {"start": "2026-11-23", "end": "2026-11-29", "calendars": ["all"]}
    async with calendar_server(max_output_chars=500) as server:  # the smallest budget: one row a page
        pages = [await server.call("list_events", **week)]
        while pages[-1]["next_cursor"]:
            pages.append(await server.call("list_events", **week, cursor=pages[-1]["next_cursor"]))
        moved = await server.error("list_events", **(week | {"start": "2026-11-24"}), cursor=pages[0]["next_cursor"])
    ids = [e["id"] for page in pages for e in page["events"]]
    assert ids == ["seed031", "seed001_20261124T080000Z", "seed030"] and len(pages) == 3
    assert pages[0]["events"][0]["calendar"] == "northwind-team@group.calendar.google.com"
    assert "different arguments" in moved


async def test_a_cursor_keeps_the_window_of_the_first_page_while_the_clock_runs(calendar_server: Any) -> None:
    times = iter([datetime(2026, 12, 7, 8, tzinfo=UTC), datetime(2026, 12, 7, 8, 5, tzinfo=UTC)])
    async with calendar_server(now=lambda: next(times), max_output_chars=500) as server:
        first = await server.call("list_events")
        second = await server.call("list_events", cursor=first["next_cursor"])
    assert second["window"] == first["window"] == "2026-12-07T09:00+01:00 to 2026-12-14T09:00+01:00"
    assert [e["id"] for e in first["events"] + second["events"]] == ["seed001_20261208T080000Z", "seed020"]


async def test_get_event_shows_attendees_and_fences_the_description(calendar_server: Any) -> None:
    async with calendar_server() as server:
        event = await server.call("get_event", id="seed001")
    assert event["recurrence"][0] == "RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=12"
    assert event["description"].startswith("<untrusted-content") and "Status round" in event["description"]
    assert [(a["email"], a["response"], a["you"]) for a in event["attendees"]] == [
        ("alex.rivera@example.com", "accepted", True),
        ("sam.okafor@example.org", "accepted", False),
        ("priya.raman@northwind.example", "accepted", False),
    ]
    assert event["timezone"] == "Europe/Berlin" and event["start"] == "2026-10-06T09:00+02:00"


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"start": "the day after never"}, "Could not read 'the day after never'"),
        ({"start": "2026-12-10", "end": "2026-12-01"}, "is not after the start"),
        ({"start": "2026-13-45"}, "is not a date"),
        ({"start": "3000-01-01"}, "outside the years"),
    ],
)
async def test_bad_windows_are_errors_that_say_what_to_send(
    calendar_server: Any, arguments: dict[str, Any], expected: str
) -> None:
    async with calendar_server() as server:
        error = await server.error("list_events", **arguments)
    assert expected in error


async def test_an_unknown_event_is_a_clear_error(calendar_server: Any) -> None:
    async with calendar_server() as server:
        error = await server.error("get_event", id="nosuchevent")
    assert "Calendar has no event 'nosuchevent'" in error


def test_the_pinned_clock_matches_the_sandbox() -> None:
    from aide_sandbox.testing import NOW as SANDBOX_NOW

    assert datetime(2026, 11, 20, 12, tzinfo=UTC) == SANDBOX_NOW
