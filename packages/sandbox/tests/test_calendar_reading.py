"""Calendar v3 read paths through google-api-python-client: the calendar list, calendars, recurrence expansion
across a DST change, all-day events, time zones, instances, search, free/busy and colours."""

from __future__ import annotations

from typing import Any

import pytest
from googleapiclient.errors import HttpError

from aide_sandbox.app import SandboxHandle
from aide_sandbox.testing import ME, SAM, error_of

AUTUMN = {"timeMin": "2026-10-01T00:00:00Z", "timeMax": "2027-01-01T00:00:00Z"}


def sync_instances(calendar: Any, **query: Any) -> list[dict[str, Any]]:
    return (
        calendar.events().list(calendarId="primary", singleEvents=True, orderBy="startTime", **query).execute()["items"]
    )


def test_the_calendar_list_shows_owned_shared_and_read_only_calendars(calendar: Any) -> None:
    items = calendar.calendarList().list().execute()["items"]
    roles = {item["id"]: item["accessRole"] for item in items}
    assert roles == {
        ME: "owner",
        "northwind-team@group.calendar.google.com": "owner",
        "en.german#holiday@group.v.calendar.google.com": "reader",
    }
    assert [item["id"] for item in items if item.get("primary")] == [ME]
    writable = calendar.calendarList().list(minAccessRole="writer").execute()["items"]
    assert "en.german#holiday@group.v.calendar.google.com" not in {item["id"] for item in writable}


def test_primary_names_the_callers_own_calendar(calendar: Any) -> None:
    entry = calendar.calendarList().get(calendarId="primary").execute()
    assert (entry["id"], entry["timeZone"], entry["backgroundColor"]) == (ME, "Europe/Berlin", "#9fe1e7")
    team = calendar.calendars().get(calendarId="northwind-team@group.calendar.google.com").execute()
    assert (team["summary"], team["kind"]) == ("Northwind team", "calendar#calendar")


def test_a_calendar_the_account_cannot_see_is_not_found(sandbox: SandboxHandle) -> None:
    sam = sandbox.calendar(SAM)
    with pytest.raises(HttpError) as hidden:
        sam.calendars().get(calendarId="en.german#holiday@group.v.calendar.google.com").execute()
    assert hidden.value.status_code == 404


def test_a_weekly_meeting_keeps_its_local_time_across_the_dst_change(calendar: Any) -> None:
    sync = [e for e in sync_instances(calendar, **AUTUMN) if e.get("recurringEventId") == "seed001"]
    starts = [e["start"]["dateTime"] for e in sync]
    assert starts[:4] == [
        "2026-10-06T09:00:00+02:00",
        "2026-10-13T09:00:00+02:00",
        "2026-10-20T09:00:00+02:00",
        "2026-11-03T09:00:00+01:00",  # 27 Oct is an EXDATE; summer time ended on 25 Oct
    ]
    assert sync[0]["id"] == "seed001_20261006T070000Z" and sync[3]["id"] == "seed001_20261103T080000Z"
    moved = next(e for e in sync if e["id"] == "seed001_20261110T080000Z")
    assert moved["start"]["dateTime"] == "2026-11-10T10:00:00+01:00"
    assert moved["originalStartTime"]["dateTime"] == "2026-11-10T09:00:00+01:00"
    assert starts[-1] == "2026-12-23T09:00:00+01:00"  # the RDATE
    assert len(sync) == 12 and all(e["summary"] == "Weekly team sync" for e in sync)


def test_instances_of_a_series_carry_their_master_and_original_start(calendar: Any) -> None:
    result = calendar.events().instances(calendarId="primary", eventId="seed001", maxResults=3).execute()
    assert [i["id"] for i in result["items"]] == [
        "seed001_20261006T070000Z",
        "seed001_20261013T070000Z",
        "seed001_20261020T070000Z",
    ]
    assert all(i["recurringEventId"] == "seed001" and "recurrence" not in i for i in result["items"])
    one = (
        calendar.events()
        .instances(calendarId="primary", eventId="seed001", originalStart="2026-11-10T09:00:00+01:00")
        .execute()["items"]
    )
    assert [i["start"]["dateTime"] for i in one] == ["2026-11-10T10:00:00+01:00"]


def test_without_single_events_a_series_is_listed_once_beside_its_exceptions(calendar: Any) -> None:
    items = calendar.events().list(calendarId="primary", **AUTUMN).execute()["items"]
    ids = [e["id"] for e in items]
    assert ids.count("seed001") == 1 and "seed001_20261110T080000Z" in ids
    master = next(e for e in items if e["id"] == "seed001")
    assert master["recurrence"][0] == "RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=12"


def test_start_time_ordering_needs_single_events(calendar: Any) -> None:
    with pytest.raises(HttpError) as refused:
        calendar.events().list(calendarId="primary", orderBy="startTime").execute()
    assert refused.value.status_code == 400


def test_the_time_zone_parameter_rewrites_times_into_that_zone(calendar: Any) -> None:
    window = {"timeMin": "2026-12-02T00:00:00+09:00", "timeMax": "2026-12-02T23:00:00+09:00"}
    tokyo = sync_instances(calendar, timeZone="America/New_York", **window)
    call = next(e for e in tokyo if e["id"] == "seed005")
    assert call["start"]["dateTime"] == "2026-12-01T19:00:00-05:00"
    assert call["start"]["timeZone"] == "Asia/Tokyo"


def test_all_day_events_have_dates_with_an_exclusive_end(calendar: Any) -> None:
    december = sync_instances(calendar, timeMin="2026-12-04T00:00:00+01:00", timeMax="2026-12-05T00:00:00+01:00")
    trip = next(e for e in december if e["id"] == "seed003")
    assert (trip["start"], trip["end"]) == ({"date": "2026-12-03"}, {"date": "2026-12-06"})
    after_trip = sync_instances(calendar, timeMin="2026-12-06T00:00:00+01:00", timeMax="2026-12-07T00:00:00+01:00")
    assert "seed003" not in {e["id"] for e in after_trip}
    birthdays = calendar.events().instances(calendarId="primary", eventId="seed004", maxResults=2).execute()["items"]
    assert [(b["id"], b["start"]) for b in birthdays] == [
        ("seed004_20261114", {"date": "2026-11-14"}),
        ("seed004_20271114", {"date": "2027-11-14"}),
    ]


def test_free_text_search_looks_at_summary_description_and_attendees(calendar: Any) -> None:
    by_text = sync_instances(calendar, q="localisation", **AUTUMN)
    assert [e["id"] for e in by_text] == ["seed005"]
    by_guest = {e["id"] for e in sync_instances(calendar, q="taro.yamada", **AUTUMN)}
    assert by_guest == {"seed005"}


def test_an_invitation_awaits_a_reply_on_the_guests_calendar(calendar: Any) -> None:
    review = calendar.events().get(calendarId="primary", eventId="seed011").execute()
    assert review["organizer"]["email"] == SAM and not review["organizer"].get("self")
    me = next(a for a in review["attendees"] if a.get("self"))
    assert (me["email"], me["responseStatus"]) == (ME, "needsAction")


def test_free_busy_merges_opaque_time_and_reports_unknown_calendars(calendar: Any) -> None:
    answer = (
        calendar.freebusy()
        .query(
            body={
                "timeMin": "2026-12-01T00:00:00Z",
                "timeMax": "2026-12-02T00:00:00Z",
                "timeZone": "Europe/Berlin",
                "items": [{"id": "primary"}, {"id": SAM}, {"id": "stranger@elsewhere.example"}],
            }
        )
        .execute()
    )
    assert answer["calendars"]["primary"]["busy"] == [
        {"start": "2026-12-01T09:00:00+01:00", "end": "2026-12-01T09:30:00+01:00"},
        {"start": "2026-12-01T17:00:00+01:00", "end": "2026-12-01T18:00:00+01:00"},
    ]
    # Sam's morning run is transparent, so only the meetings count.
    assert len(answer["calendars"][SAM]["busy"]) == 2
    assert answer["calendars"]["stranger@elsewhere.example"]["errors"] == [{"domain": "global", "reason": "notFound"}]


def test_colors_are_googles_palettes(calendar: Any) -> None:
    palette = calendar.colors().get().execute()
    assert len(palette["calendar"]) == 24 and len(palette["event"]) == 11
    assert palette["event"]["11"]["background"] == "#dc2127"


def test_a_bad_page_token_is_a_400(calendar: Any) -> None:
    with pytest.raises(HttpError) as refused:
        calendar.events().list(calendarId="primary", pageToken="not a token").execute()
    assert refused.value.status_code == 400 and error_of(refused.value)["code"] == 400


def test_extended_properties_filter_events(calendar: Any) -> None:
    tagged = {
        "summary": "Booked by aide",
        "start": {"dateTime": "2026-12-14T10:00:00Z"},
        "end": {"dateTime": "2026-12-14T11:00:00Z"},
        "extendedProperties": {"private": {"source": "aide", "task": "42"}, "shared": {"kind": "booking"}},
    }
    created = calendar.events().insert(calendarId="primary", body=tagged).execute()
    found = calendar.events().list(calendarId="primary", privateExtendedProperty=["source=aide", "task=42"]).execute()
    assert [e["id"] for e in found["items"]] == [created["id"]]
    assert calendar.events().list(calendarId="primary", privateExtendedProperty="task=41").execute()["items"] == []
    shared = calendar.events().list(calendarId="primary", sharedExtendedProperty="kind=booking").execute()
    assert [e["id"] for e in shared["items"]] == [created["id"]]


def test_the_calendar_list_sync_token_reports_no_changes(calendar: Any) -> None:
    token = calendar.calendarList().list().execute()["nextSyncToken"]
    assert calendar.calendarList().list(syncToken=token).execute()["items"] == []
    with pytest.raises(HttpError) as gone:
        calendar.calendarList().list(syncToken="bogus").execute()
    assert gone.value.status_code == 410
