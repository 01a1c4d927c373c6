"""Calendar v3 writes through google-api-python-client: insert, get, patch, update, delete, move, instance
exceptions, invitations with replies, recorded `sendUpdates`, access roles and validation."""

from __future__ import annotations

from typing import Any

import pytest
from googleapiclient.errors import HttpError

from aide_sandbox.app import SandboxHandle
from aide_sandbox.testing import ME, SAM, error_of

TEAM = "northwind-team@group.calendar.google.com"
HOLIDAYS = "en.german#holiday@group.v.calendar.google.com"


def lunch(**extra: Any) -> dict[str, Any]:
    return {
        "summary": "Lunch with José",
        "start": {"dateTime": "2026-12-09T12:30:00+01:00"},
        "end": {"dateTime": "2026-12-09T13:30:00+01:00"},
    } | extra


def test_an_inserted_event_is_filled_in_like_googles(calendar: Any) -> None:
    created = calendar.events().insert(calendarId="primary", body=lunch()).execute()
    assert created["kind"] == "calendar#event" and created["status"] == "confirmed"
    assert created["organizer"] == {"email": ME, "displayName": ME, "self": True}
    assert created["creator"] == {"email": ME, "self": True}
    assert created["iCalUID"] == f"{created['id']}@google.com" and created["sequence"] == 0
    assert calendar.events().get(calendarId="primary", eventId=created["id"]).execute()["summary"] == "Lunch with José"


def test_patch_merges_and_update_replaces(calendar: Any) -> None:
    event = calendar.events().insert(calendarId="primary", body=lunch(location="Café Grün")).execute()
    patched = calendar.events().patch(calendarId="primary", eventId=event["id"], body={"summary": "Lunch"}).execute()
    assert (patched["summary"], patched["location"]) == ("Lunch", "Café Grün")
    assert patched["sequence"] == 1
    replaced = calendar.events().update(calendarId="primary", eventId=event["id"], body=lunch()).execute()
    assert "location" not in replaced and replaced["id"] == event["id"]


def test_a_deleted_event_is_cancelled_shown_when_asked_and_gone_for_a_second_delete(calendar: Any) -> None:
    event = calendar.events().insert(calendarId="primary", body=lunch()).execute()
    assert calendar.events().delete(calendarId="primary", eventId=event["id"]).execute() == ""
    window = {"timeMin": "2026-12-09T00:00:00Z", "timeMax": "2026-12-10T00:00:00Z"}
    visible = calendar.events().list(calendarId="primary", **window).execute()["items"]
    assert event["id"] not in {e["id"] for e in visible}
    shown = calendar.events().list(calendarId="primary", showDeleted=True, **window).execute()["items"]
    assert {e["id"]: e["status"] for e in shown}[event["id"]] == "cancelled"
    with pytest.raises(HttpError) as gone:
        calendar.events().delete(calendarId="primary", eventId=event["id"]).execute()
    assert gone.value.status_code == 410


def test_changing_one_instance_makes_an_exception_and_deleting_one_removes_it(calendar: Any) -> None:
    instance = "seed002_20261105T130000Z"
    changed = calendar.events().patch(calendarId="primary", eventId=instance, body={"location": "Café"}).execute()
    assert (changed["recurringEventId"], changed["location"]) == ("seed002", "Café")
    calendar.events().delete(calendarId="primary", eventId="seed002_20261119T130000Z").execute()
    rest = (
        calendar.events()
        .instances(
            calendarId="primary", eventId="seed002", timeMin="2026-11-01T00:00:00Z", timeMax="2026-12-01T00:00:00Z"
        )
        .execute()["items"]
    )
    assert [(i["id"], i.get("location")) for i in rest] == [(instance, "Café")]


def test_an_id_that_is_no_instance_of_the_series_is_not_found(calendar: Any) -> None:
    with pytest.raises(HttpError) as missing:
        calendar.events().get(calendarId="primary", eventId="seed001_20261027T080000Z").execute()  # the EXDATE
    assert missing.value.status_code == 404


def test_a_recurring_event_spanning_a_dst_change_can_be_created(calendar: Any) -> None:
    body = {
        "summary": "Standup",
        "start": {"dateTime": "2026-10-23T09:00:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2026-10-23T09:15:00", "timeZone": "Europe/Berlin"},
        "recurrence": ["RRULE:FREQ=DAILY;COUNT=4"],
    }
    series = calendar.events().insert(calendarId="primary", body=body).execute()
    starts = [
        i["start"]["dateTime"]
        for i in calendar.events().instances(calendarId="primary", eventId=series["id"]).execute()["items"]
    ]
    assert starts == [
        "2026-10-23T09:00:00+02:00",
        "2026-10-24T09:00:00+02:00",
        "2026-10-25T09:00:00+01:00",
        "2026-10-26T09:00:00+01:00",
    ]


def test_a_recurring_event_needs_a_time_zone(calendar: Any) -> None:
    with pytest.raises(HttpError) as refused:
        calendar.events().insert(calendarId="primary", body=lunch(recurrence=["RRULE:FREQ=DAILY"])).execute()
    assert refused.value.status_code == 400
    assert error_of(refused.value)["message"] == "Missing time zone definition for start time."


def test_an_event_ending_before_it_starts_is_refused(calendar: Any) -> None:
    body = lunch(end={"dateTime": "2026-12-09T11:00:00+01:00"})
    with pytest.raises(HttpError) as refused:
        calendar.events().insert(calendarId="primary", body=body).execute()
    assert error_of(refused.value)["errors"][0]["reason"] == "timeRangeEmpty"


def test_a_guests_reply_reaches_the_organizer_and_updates_are_recorded(sandbox: SandboxHandle, calendar: Any) -> None:
    body = lunch(attendees=[{"email": SAM}, {"email": "jose.alvarez@northwind.example"}])
    event = calendar.events().insert(calendarId="primary", body=body, sendUpdates="all").execute()
    sam = sandbox.calendar(SAM)
    invitation = sam.events().get(calendarId="primary", eventId=event["id"]).execute()
    mine = next(a for a in invitation["attendees"] if a.get("self"))
    assert mine["responseStatus"] == "needsAction"
    mine["responseStatus"] = "accepted"
    sam.events().patch(calendarId="primary", eventId=event["id"], body={"attendees": invitation["attendees"]}).execute()
    seen = calendar.events().get(calendarId="primary", eventId=event["id"]).execute()
    assert {a["email"]: a["responseStatus"] for a in seen["attendees"]} == {
        SAM: "accepted",
        "jose.alvarez@northwind.example": "needsAction",
    }
    updates = sandbox.calendar_updates()
    assert (updates[0].action, updates[0].send_updates) == ("insert", "all")
    assert updates[0].recipients == ["jose.alvarez@northwind.example", SAM]


def test_external_only_updates_skip_sandbox_accounts(sandbox: SandboxHandle, calendar: Any) -> None:
    body = lunch(attendees=[{"email": SAM}, {"email": "jose.alvarez@northwind.example"}])
    calendar.events().insert(calendarId="primary", body=body, sendUpdates="externalOnly").execute()
    assert sandbox.calendar_updates()[-1].recipients == ["jose.alvarez@northwind.example"]


def test_a_guest_deleting_an_invitation_declines_it(sandbox: SandboxHandle, calendar: Any) -> None:
    sam = sandbox.calendar(SAM)
    sam.events().delete(calendarId="primary", eventId="seed020").execute()
    seen = calendar.events().get(calendarId="primary", eventId="seed020").execute()
    assert {a["email"]: a["responseStatus"] for a in seen["attendees"]}[SAM] == "declined"
    assert seen["status"] == "confirmed"


def test_an_event_moves_to_another_calendar(calendar: Any) -> None:
    event = calendar.events().insert(calendarId="primary", body=lunch()).execute()
    moved = calendar.events().move(calendarId="primary", eventId=event["id"], destination=TEAM).execute()
    assert moved["organizer"]["email"] == TEAM
    assert calendar.events().get(calendarId=TEAM, eventId=event["id"]).execute()["status"] == "confirmed"
    assert calendar.events().get(calendarId="primary", eventId=event["id"]).execute()["status"] == "cancelled"


def test_a_reader_cannot_write(calendar: Any) -> None:
    with pytest.raises(HttpError) as refused:
        calendar.events().insert(calendarId=HOLIDAYS, body=lunch()).execute()
    assert refused.value.status_code == 403
    assert error_of(refused.value)["errors"][0]["reason"] == "requiredAccessLevel"


def test_unknown_event_fields_are_refused_before_anything_is_written(calendar: Any) -> None:
    with pytest.raises(HttpError) as refused:
        calendar.events().insert(calendarId="primary", body=lunch(bogusField=1)).execute()
    assert refused.value.status_code == 400 and "bogusField" in error_of(refused.value)["message"]


def test_a_chosen_id_is_kept_and_cannot_be_taken_twice(calendar: Any) -> None:
    calendar.events().insert(calendarId="primary", body=lunch(id="lunch20261209")).execute()
    with pytest.raises(HttpError) as taken:
        calendar.events().insert(calendarId="primary", body=lunch(id="lunch20261209")).execute()
    assert taken.value.status_code == 409


def test_a_get_modify_update_round_trip_keeps_the_servers_own_fields(sandbox: SandboxHandle, calendar: Any) -> None:
    event = calendar.events().get(calendarId="primary", eventId="seed020").execute()
    event["summary"] = "Q4 offsite planning (agenda inside)"
    calendar.events().update(calendarId="primary", eventId="seed020", body=event).execute()
    calendar.events().patch(calendarId="primary", eventId="seed020", body={"organizer": event["organizer"]}).execute()
    seen_by_sam = sandbox.calendar(SAM).events().get(calendarId="primary", eventId="seed020").execute()
    assert seen_by_sam["summary"] == "Q4 offsite planning (agenda inside)"
    assert "self" not in seen_by_sam["organizer"] and "self" not in seen_by_sam["creator"]
    me = [a for a in seen_by_sam["attendees"] if a.get("self")]
    assert [a["email"] for a in me] == [SAM]


def test_a_meet_link_is_made_only_with_conference_data_version_1(calendar: Any) -> None:
    request = {"createRequest": {"requestId": "lunch-1", "conferenceSolutionKey": {"type": "hangoutsMeet"}}}
    with_meet = (
        calendar.events()
        .insert(calendarId="primary", body=lunch(conferenceData=request), conferenceDataVersion=1)
        .execute()
    )
    assert with_meet["hangoutLink"].startswith("https://meet.google.com/")
    assert with_meet["conferenceData"]["createRequest"]["status"] == {"statusCode": "success"}
    assert with_meet["conferenceData"]["entryPoints"][0]["uri"] == with_meet["hangoutLink"]
    without = calendar.events().insert(calendarId="primary", body=lunch(conferenceData=request)).execute()
    assert "conferenceData" not in without and "hangoutLink" not in without
