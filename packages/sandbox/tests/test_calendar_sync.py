"""Calendar v3 sync tokens, paging, the batch endpoint and faults, through google-api-python-client."""

from __future__ import annotations

from typing import Any

import pytest
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from aide_sandbox.app import SandboxHandle
from aide_sandbox.testing import error_of


def full_sync(calendar: Any) -> tuple[list[dict[str, Any]], str]:
    items: list[dict[str, Any]] = []
    request = calendar.events().list(calendarId="primary", maxResults=4)
    response: dict[str, Any] = {}
    while request is not None:
        response = request.execute()
        items += response["items"]
        request = calendar.events().list_next(request, response)
    return items, response["nextSyncToken"]


def test_paging_visits_every_event_once_and_the_sync_token_comes_last(calendar: Any) -> None:
    first = calendar.events().list(calendarId="primary", maxResults=4).execute()
    assert len(first["items"]) == 4 and "nextPageToken" in first and "nextSyncToken" not in first
    items, _ = full_sync(calendar)
    ids = [e["id"] for e in items]
    assert len(ids) == len(set(ids)) > 4
    assert {"seed001", "seed001_20261110T080000Z", "seed003", "seed011", "seed020"} <= set(ids)


def test_a_sync_token_returns_only_what_changed_since_including_deletions(calendar: Any) -> None:
    _, token = full_sync(calendar)
    assert calendar.events().list(calendarId="primary", syncToken=token).execute()["items"] == []
    added = (
        calendar.events()
        .insert(
            calendarId="primary",
            body={
                "summary": "Dentist",
                "start": {"dateTime": "2026-12-11T08:00:00Z"},
                "end": {"dateTime": "2026-12-11T08:30:00Z"},
            },
        )
        .execute()
    )
    calendar.events().delete(calendarId="primary", eventId="seed005").execute()
    changes = calendar.events().list(calendarId="primary", syncToken=token).execute()
    assert {e["id"]: e["status"] for e in changes["items"]} == {added["id"]: "confirmed", "seed005": "cancelled"}
    again = calendar.events().list(calendarId="primary", syncToken=changes["nextSyncToken"]).execute()
    assert again["items"] == []


def test_a_sync_token_of_another_calendar_needs_a_full_sync(calendar: Any) -> None:
    token = calendar.events().list(calendarId="northwind-team@group.calendar.google.com").execute()["nextSyncToken"]
    with pytest.raises(HttpError) as gone:
        calendar.events().list(calendarId="primary", syncToken=token).execute()
    assert gone.value.status_code == 410
    assert error_of(gone.value)["errors"][0]["reason"] == "fullSyncRequired"


def test_a_sync_token_cannot_be_combined_with_a_time_window(calendar: Any) -> None:
    _, token = full_sync(calendar)
    with pytest.raises(HttpError) as refused:
        calendar.events().list(calendarId="primary", syncToken=token, timeMin="2026-01-01T00:00:00Z").execute()
    assert refused.value.status_code == 400


def test_a_batch_answers_each_request_in_turn(calendar: Any) -> None:
    answers: dict[str, Any] = {}

    def collect(request_id: str, response: Any, error: HttpError | None) -> None:
        answers[request_id] = error.status_code if error else response["summary"]

    batch: BatchHttpRequest = calendar.new_batch_http_request(callback=collect)
    batch.add(calendar.events().get(calendarId="primary", eventId="seed003"), request_id="trip")
    batch.add(calendar.events().get(calendarId="primary", eventId="nosuchevent"), request_id="missing")
    batch.add(calendar.calendars().get(calendarId="primary"), request_id="calendar")
    batch.execute()
    assert answers == {"trip": "Lisbon trip", "missing": 404, "calendar": "alex.rivera@example.com"}


def test_a_429_on_calendar_carries_retry_after(sandbox: SandboxHandle, calendar: Any) -> None:
    sandbox.faults.inject("calendar.events.list", status=429, retry_after=2)
    with pytest.raises(HttpError) as limited:
        calendar.events().list(calendarId="primary").execute()
    assert limited.value.status_code == 429 and limited.value.resp["retry-after"] == "2"
    assert calendar.events().list(calendarId="primary").execute()["items"]


def test_a_dropped_connection_reaches_the_calendar_client(sandbox: SandboxHandle, calendar: Any) -> None:
    sandbox.faults.inject("calendar.colors.get", drop=True, times=2)  # httplib2 retries a dropped request once
    with pytest.raises(ConnectionError):
        calendar.colors().get().execute()
    assert calendar.colors().get().execute()["kind"] == "calendar#colors"
