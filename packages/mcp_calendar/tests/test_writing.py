"""Creating, changing, deleting and answering events, checked through the Calendar API itself: instants across
zones, all-day dates, DST, recurring scopes, and the guard on everything that notifies someone or deletes."""

from __future__ import annotations

from typing import Any

import pytest
from mcp.types import ElicitResult

from aide_core.testing import Answers
from aide_sandbox.app import SandboxHandle
from aide_sandbox.seed.calendar import ALEX, PRIYA, SAM

pytestmark = pytest.mark.anyio


def stored(calendar: Any, event_id: str, zone: str = "UTC") -> dict[str, Any]:
    return calendar.events().get(calendarId="primary", eventId=event_id, timeZone=zone).execute()


def instances(calendar: Any, event_id: str, start: str, end: str, zone: str = "Europe/Berlin") -> list[tuple[str, str]]:
    found = (
        calendar.events()
        .instances(calendarId="primary", eventId=event_id, timeMin=start, timeMax=end, timeZone=zone)
        .execute()
    )
    return [(i["id"], i["start"]["dateTime"]) for i in found["items"] if i.get("status") != "cancelled"]


async def test_an_event_in_another_zone_lands_at_the_right_instant(calendar_server: Any, calendar: Any) -> None:
    async with calendar_server() as server:
        done = await server.call(
            "create_event", summary="Call NYC", start="2026-12-10T09:00", duration=30, timezone="America/New_York"
        )
    event = done["result"]["event"]
    assert done["status"] == "done" and done["result"]["notified"] == []
    assert (event["start"], event["end"]) == ("2026-12-10T15:00+01:00", "2026-12-10T15:30+01:00")
    assert stored(calendar, event["id"])["start"] == {
        "dateTime": "2026-12-10T14:00:00Z",
        "timeZone": "America/New_York",
    }


async def test_tomorrow_3pm_is_resolved_in_the_users_zone(calendar_server: Any, calendar: Any) -> None:
    async with calendar_server() as server:  # now: Friday 2026-11-20 13:00 in Berlin
        done = await server.call("create_event", summary="Dentist", start="tomorrow 3pm")
    assert stored(calendar, done["result"]["event"]["id"])["start"]["dateTime"] == "2026-11-21T14:00:00Z"


async def test_all_day_events_keep_their_dates(calendar_server: Any, calendar: Any) -> None:
    async with calendar_server() as server:
        one = await server.call("create_event", summary="Holiday", start="2026-12-28")
        trip = await server.call(
            "create_event", summary="Ski trip", start="2027-01-04", end="2027-01-08", timezone="Asia/Tokyo"
        )
    assert (one["result"]["event"]["start"], one["result"]["event"]["end"]) == ("2026-12-28", "2026-12-28")
    first = stored(calendar, one["result"]["event"]["id"], "Pacific/Kiritimati")
    assert (first["start"], first["end"]) == ({"date": "2026-12-28"}, {"date": "2026-12-29"})
    second = stored(calendar, trip["result"]["event"]["id"], "America/Los_Angeles")
    assert (second["start"], second["end"]) == ({"date": "2027-01-04"}, {"date": "2027-01-09"})


async def test_a_timed_event_needs_a_time_of_day(calendar_server: Any) -> None:
    async with calendar_server() as server:  # found by the fuzzer: all_day=False with a date was a crash
        error = await server.error("create_event", summary="Review", start="2026-12-08", all_day=False)
    assert error == (
        "Error executing tool create_event: all_day is false but the start ('2026-12-08') has no time of day. "
        "Give a start time ('2026-12-08T09:00', "
        "'tomorrow 3pm'), or leave all_day out for an all-day event."
    )


async def test_a_weekly_meeting_stays_at_nine_local_across_the_dst_change(calendar_server: Any, calendar: Any) -> None:
    async with calendar_server() as server:
        done = await server.call(
            "create_event",
            summary="Standup",
            start="2027-03-16T09:00",
            duration=15,
            recurrence="every Tuesday for 4 times",
        )
    event = done["result"]["event"]
    assert done["result"]["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=4"]
    found = instances(calendar, event["id"], "2027-03-01T00:00:00Z", "2027-05-01T00:00:00Z")
    assert [start for _, start in found] == [
        "2027-03-16T09:00:00+01:00",
        "2027-03-23T09:00:00+01:00",
        "2027-03-30T09:00:00+02:00",
        "2027-04-06T09:00:00+02:00",
    ]


async def test_plain_word_recurrence_becomes_an_rrule_and_a_bad_one_is_refused(calendar_server: Any) -> None:
    async with calendar_server() as server:
        done = await server.call(
            "create_event", summary="Focus", start="2026-12-01T08:00", recurrence="every weekday until June"
        )
        bad = await server.error(
            "create_event", summary="X", start="2026-12-01T08:00", recurrence="whenever I feel like it"
        )
        broken = await server.error(
            "create_event", summary="X", start="2026-12-01T08:00", recurrence="RRULE:FREQ=SOMETIMES"
        )
    assert done["result"]["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20270531T215959Z"]
    assert "Could not read the recurrence 'whenever I feel like it'" in bad and "RRULE:FREQ=WEEKLY" in bad
    assert "is not a valid RRULE" in broken


async def test_conflicts_are_reported_when_asked(calendar_server: Any) -> None:
    async with calendar_server() as server:
        done = await server.call(
            "create_event", summary="Overlap", start="2026-12-08T11:00", duration=60, check_conflicts=True
        )
    assert [(c["id"], c["start"]) for c in done["result"]["conflicts"]] == [("seed020", "2026-12-08T10:00+01:00")]


async def test_a_meet_link_is_requested_with_conference(calendar_server: Any) -> None:
    async with calendar_server() as server:
        done = await server.call("create_event", summary="Video", start="2026-12-09T10:00", conference=True)
    assert done["result"]["meet"].startswith("https://meet.google.com/")


async def test_an_invitation_is_confirmed_first_and_sent_once(
    calendar_server: Any, calendar: Any, sandbox: SandboxHandle
) -> None:
    arguments = {"summary": "Planning", "start": "2026-12-09T10:00", "attendees": [SAM]}
    async with calendar_server(confirm="token") as server:
        first = await server.call("create_event", **arguments)
        assert first["status"] == "confirmation_required"
        assert first["preview"].startswith(f"Create 'Planning', 2026-12-09T10:00+01:00 to 11:00+01:00; notifies {SAM}")
        assert sandbox.calendar_updates() == []
        done = await server.call("create_event", **arguments, confirmation_token=first["confirmation_token"])
        again = await server.call("create_event", **arguments, confirmation_token=first["confirmation_token"])
    assert done["status"] == "done" and done["result"]["notified"] == [SAM]
    assert again["status"] == "replayed"
    assert len(sandbox.calendar_updates()) == 1


async def test_an_event_without_attendees_is_created_without_asking(calendar_server: Any) -> None:
    answers = Answers()
    async with calendar_server(confirm="elicit", elicitation=answers) as server:
        done = await server.call("create_event", summary="Alone", start="2026-12-09T10:00")
    assert done["status"] == "done" and answers.questions == []


async def test_changing_a_lone_event_goes_ahead_and_changing_a_shared_one_asks(calendar_server: Any) -> None:
    answers = Answers(ElicitResult(action="decline"))
    async with calendar_server(confirm="elicit", elicitation=answers) as server:
        lone = await server.call("update_event", id="seed003", changes={"location": "Porto"})
        shared = await server.call("update_event", id="seed020", changes={"location": "Room 2"})
    assert lone["status"] == "done" and lone["result"]["event"]["location"] == "Porto"
    assert shared["status"] == "declined"
    assert answers.questions[0].startswith(
        f"Change 'Q4 offsite planning', 2026-12-08T10:00+01:00 to 12:00+01:00; notifies {SAM}, {PRIYA}"
    )


async def test_the_allowlist_refuses_inviting_someone_outside_it(calendar_server: Any) -> None:
    async with calendar_server(allow_domains=["example.com"]) as server:
        error = await server.error("create_event", summary="X", start="2026-12-09T10:00", attendees=[SAM])
    assert "not allowed by this server's allowlist" in error


async def test_editing_one_occurrence_changes_only_that_one(calendar_server: Any, calendar: Any) -> None:
    async with calendar_server() as server:
        done = await server.call(
            "update_event", id="seed001_20261124T080000Z", changes={"start": "2026-11-24T11:00"}, scope="this"
        )
    assert done["result"]["notified"] == [SAM, PRIYA]
    found = dict(instances(calendar, "seed001", "2026-11-16T00:00:00Z", "2026-12-03T00:00:00Z"))
    assert found == {
        "seed001_20261117T080000Z": "2026-11-17T09:00:00+01:00",
        "seed001_20261124T080000Z": "2026-11-24T11:00:00+01:00",
        "seed001_20261201T080000Z": "2026-12-01T09:00:00+01:00",
    }


async def test_editing_all_occurrences_moves_the_series(calendar_server: Any, calendar: Any) -> None:
    async with calendar_server() as server:
        await server.call(
            "update_event",
            id="seed001_20261124T080000Z",
            changes={"start": "2026-11-24T09:15", "summary": "Sync"},
            scope="all",
        )
    series = stored(calendar, "seed001", "Europe/Berlin")
    assert series["summary"] == "Sync" and series["start"]["dateTime"] == "2026-10-06T09:15:00+02:00"


async def test_this_and_following_splits_the_series_with_until(calendar_server: Any, calendar: Any) -> None:
    async with calendar_server() as server:
        done = await server.call(
            "update_event", id="seed001_20261201T080000Z", changes={"summary": "New sync"}, scope="following"
        )
    new_id = done["result"]["event"]["id"]
    old = stored(calendar, "seed001")
    assert old["recurrence"][0] == "RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20261201T075959Z"
    new = stored(calendar, new_id, "Europe/Berlin")
    assert new["summary"] == "New sync" and new["start"]["dateTime"] == "2026-12-01T09:00:00+01:00"
    assert new["recurrence"][0] == "RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=4"
    assert done["result"]["also"] == ["seed001"]


async def test_deleting_one_occurrence_leaves_the_rest(
    calendar_server: Any, calendar: Any, sandbox: SandboxHandle
) -> None:
    async with calendar_server() as server:
        done = await server.call("delete_event", id="seed001_20261117T080000Z")
    assert done["result"] == {"id": "seed001_20261117T080000Z", "scope": "this", "notified": [SAM, PRIYA]}
    found = [i for i, _ in instances(calendar, "seed001", "2026-11-16T00:00:00Z", "2026-11-25T00:00:00Z")]
    assert found == ["seed001_20261124T080000Z"]
    assert len(sandbox.calendar_updates()) == 1


async def test_deleting_asks_even_without_attendees(calendar_server: Any) -> None:
    answers = Answers(ElicitResult(action="decline"))
    async with calendar_server(confirm="elicit", elicitation=answers) as server:
        declined = await server.call("delete_event", id="seed003")
    assert declined["status"] == "declined" and answers.questions[0].startswith("Delete 'Lisbon trip', 2026-12-03 to")


async def test_scope_this_on_a_whole_series_says_to_use_an_occurrence_id(calendar_server: Any) -> None:
    async with calendar_server() as server:
        error = await server.error("delete_event", id="seed001", scope="this")
        rule = await server.error("update_event", id="seed001_20261124T080000Z", changes={"recurrence": "daily"})
    assert "needs the id of one occurrence" in error
    assert "One occurrence has no recurrence of its own" in rule and "scope=all" in rule


async def test_answering_an_invitation_notifies_the_organizer(calendar_server: Any, calendar: Any) -> None:
    async with calendar_server() as server:
        done = await server.call("respond_to_event", id="seed011", response="declined", comment="Travelling")
    assert done["result"]["notified"] == [SAM]
    mine = [a for a in stored(calendar, "seed011")["attendees"] if a["email"] == ALEX]
    assert mine[0]["responseStatus"] == "declined"


async def test_deleting_this_and_following_ends_the_series_and_all_deletes_it(
    calendar_server: Any, calendar: Any
) -> None:
    async with calendar_server() as server:
        following = await server.call("delete_event", id="seed002_20261119T130000Z", scope="following")
        everything = await server.call("delete_event", id="seed001_20261124T080000Z", scope="all")
    assert following["result"]["scope"] == "following" and everything["result"]["scope"] == "all"
    assert stored(calendar, "seed002")["recurrence"] == ["RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TH;UNTIL=20261119T125959Z"]
    assert [i for i, _ in instances(calendar, "seed002", "2026-11-01T00:00:00Z", "2027-01-01T00:00:00Z")] == [
        "seed002_20261105T130000Z"
    ]
    assert stored(calendar, "seed001")["status"] == "cancelled"


async def test_an_update_that_notifies_is_confirmed_and_not_repeated(
    calendar_server: Any, sandbox: SandboxHandle
) -> None:
    arguments = {"id": "seed020", "changes": {"start": "2026-12-08T14:00"}}
    async with calendar_server(confirm="token") as server:
        first = await server.call("update_event", **arguments)
        assert first["status"] == "confirmation_required" and sandbox.calendar_updates() == []
        assert first["preview"].startswith(
            f"Change 'Q4 offsite planning', 2026-12-08T14:00+01:00 to 16:00+01:00; notifies {SAM}"
        )
        done = await server.call("update_event", **arguments, confirmation_token=first["confirmation_token"])
        again = await server.call("update_event", **arguments, confirmation_token=first["confirmation_token"])
    assert done["status"] == "done" and again["status"] == "replayed"
    assert done["result"]["event"]["start"] == "2026-12-08T14:00+01:00" and len(sandbox.calendar_updates()) == 1
