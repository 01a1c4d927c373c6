"""The batch endpoint through `BatchHttpRequest`, and Google's 400s for requests the discovery document rejects."""

from __future__ import annotations

from typing import Any

import pytest
from googleapiclient.errors import HttpError

from aide_sandbox.app import SandboxHandle
from aide_sandbox.testing import error_of


def test_a_batch_answers_each_part_in_order_with_its_own_status(gmail: Any) -> None:
    messages = gmail.users().messages()
    ids = [m["id"] for m in messages.list(userId="me", maxResults=3).execute()["messages"]]
    results: dict[str, tuple[Any, HttpError | None]] = {}

    def collect(request_id: str, response: Any, exception: HttpError | None) -> None:
        results[request_id] = (response, exception)

    batch = gmail.new_batch_http_request(callback=collect)
    assert batch._batch_uri == gmail._rootDesc["rootUrl"] + "batch"
    batch.add(messages.get(userId="me", id=ids[0], format="minimal"), request_id="get")
    batch.add(messages.modify(userId="me", id=ids[1], body={"addLabelIds": ["STARRED"]}), request_id="modify")
    batch.add(messages.get(userId="me", id="missing", format="minimal"), request_id="missing")
    batch.add(messages.delete(userId="me", id=ids[2]), request_id="delete")
    batch.execute()

    assert list(results) == ["get", "modify", "missing", "delete"]
    assert results["get"][0]["id"] == ids[0]
    assert "STARRED" in results["modify"][0]["labelIds"]
    missing = results["missing"][1]
    assert missing is not None and missing.status_code == 404
    assert results["delete"][1] is None
    with pytest.raises(HttpError):
        messages.get(userId="me", id=ids[2]).execute()


def test_a_fault_hits_one_part_of_a_batch(sandbox: SandboxHandle, gmail: Any) -> None:
    sandbox.faults.inject("gmail.users.messages.get", status=429)
    messages = gmail.users().messages()
    ids = [m["id"] for m in messages.list(userId="me", maxResults=2).execute()["messages"]]
    statuses: list[int] = []
    batch = gmail.new_batch_http_request(
        callback=lambda _id, _response, exception: statuses.append(exception.status_code if exception else 200)
    )
    for message_id in ids:
        batch.add(messages.get(userId="me", id=message_id, format="minimal"))
    batch.execute()
    assert statuses == [429, 200]


def test_an_unknown_query_parameter_is_rejected_like_google_does(gmail: Any) -> None:
    request = gmail.users().messages().list(userId="me")
    request.uri += "&bogus=1"
    with pytest.raises(HttpError) as rejected:
        request.execute()
    error = error_of(rejected.value)
    assert rejected.value.status_code == 400
    assert error["status"] == "INVALID_ARGUMENT"
    assert error["message"] == (
        'Invalid JSON payload received. Unknown name "bogus": Cannot bind query parameter. '
        "Field 'bogus' could not be found in request message."
    )


def test_a_wrongly_typed_query_parameter_is_rejected(gmail: Any) -> None:
    request = gmail.users().messages().list(userId="me")
    request.uri += "&maxResults=many"
    with pytest.raises(HttpError) as rejected:
        request.execute()
    assert rejected.value.status_code == 400
    assert error_of(rejected.value)["message"] == "Invalid value at 'max_results' (TYPE_INT32), \"many\""


def test_a_body_that_does_not_fit_the_schema_is_rejected(gmail: Any) -> None:
    with pytest.raises(HttpError) as unknown:
        gmail.users().messages().send(userId="me", body={"nonsense": 1}).execute()
    assert (
        error_of(unknown.value)["message"]
        == 'Invalid JSON payload received. Unknown name "nonsense": Cannot find field.'
    )
    with pytest.raises(HttpError) as typed:
        gmail.users().labels().create(userId="me", body={"name": 5}).execute()
    assert error_of(typed.value)["message"] == "Invalid value at 'name' (TYPE_STRING), 5"
    with pytest.raises(HttpError) as nested:
        gmail.users().drafts().create(userId="me", body={"message": {"raw": "eA", "colour": "red"}}).execute()
    assert "Unknown name \"colour\" at 'message'" in error_of(nested.value)["message"]
