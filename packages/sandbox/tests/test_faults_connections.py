"""Connection faults: a request carried out and then dropped, and idle keep-alive connections closed on demand."""

from __future__ import annotations

import http.client
import json
from typing import Any

import httpx
import pytest
import requests

from aide_sandbox.app import SandboxHandle
from aide_sandbox.seed.twilio import HELEN, MAIN
from aide_sandbox.testing import SAM, mail, raw


def sent(gmail: Any, subject: str) -> int:
    listing = gmail.users().messages().list(userId="me", q=f'in:sent subject:"{subject}"').execute()
    return len(listing.get("messages") or [])


def send_request(sandbox: SandboxHandle, subject: str) -> tuple[str, str, dict[str, str]]:
    """The URL, body and headers of a messages.send, as any HTTP client would send it."""
    token = sandbox.authorized_user()["token"]
    body = json.dumps({"raw": raw(mail(subject, "hello", to=SAM))})
    url = sandbox.urls["gmail"] + "gmail/v1/users/me/messages/send"
    return url, body, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def test_a_request_dropped_after_acting_is_carried_out_and_never_answered(sandbox: SandboxHandle, gmail: Any) -> None:
    fault = sandbox.faults.inject("gmail.users.messages.send", drop_after=True)
    url, body, headers = send_request(sandbox, "Accepted then dropped")
    with httpx.Client() as client, pytest.raises(httpx.RemoteProtocolError):
        client.post(url, content=body, headers=headers)
    assert fault.hits == 1 and sandbox.faults.list() == []
    assert sent(gmail, "Accepted then dropped") == 1
    assert sent(sandbox.gmail(SAM), "Accepted then dropped") == 0  # SAM's copy is in the inbox, not in Sent
    inbox = sandbox.gmail(SAM).users().messages().list(userId="me", q='subject:"Accepted then dropped"').execute()
    assert len(inbox["messages"]) == 1


def test_httplib2_silently_repeats_a_send_dropped_after_acting(sandbox: SandboxHandle, gmail: Any) -> None:
    """The defect a single-attempt transport exists for: the caller sees one success, the recipient gets two."""
    sandbox.faults.inject("gmail.users.messages.send", drop_after=True)
    message = raw(mail("Sent twice", "hello", to=SAM))
    gmail.users().messages().send(userId="me", body={"raw": message}).execute()
    assert sent(gmail, "Sent twice") == 2


def test_a_drop_after_fault_in_a_batch_drops_the_whole_answer_after_every_part_ran(
    sandbox: SandboxHandle, gmail: Any
) -> None:
    sandbox.faults.inject("gmail.users.labels.create", drop_after=True, times=None)
    batch = gmail.new_batch_http_request()
    for name in ("Batch one", "Batch two"):
        batch.add(gmail.users().labels().create(userId="me", body={"name": name}))
    with pytest.raises(ConnectionError):
        batch.execute()  # httplib2 sends it twice, and both answers are dropped
    sandbox.faults.clear()
    names = {label["name"] for label in gmail.users().labels().list(userId="me").execute()["labels"]}
    assert {"Batch one", "Batch two"} <= names


def test_a_fault_is_one_of_status_drop_or_drop_after(sandbox: SandboxHandle) -> None:
    with pytest.raises(ValueError, match="one of them"):
        sandbox.faults.inject("gmail", status=503, drop_after=True)
    with pytest.raises(ValueError, match="one of them"):
        sandbox.faults.inject("gmail", drop=True, drop_after=True)


def test_closing_idle_connections_resets_a_kept_alive_connection(sandbox: SandboxHandle) -> None:
    connection = http.client.HTTPConnection(sandbox.host, sandbox.port, timeout=10)
    try:
        connection.request("GET", "/gmail/gmail/v1/users/me/profile")
        assert connection.getresponse().read()  # a 401: any answer leaves the connection open
        assert sandbox.close_idle_connections() >= 1
        with pytest.raises(ConnectionError):
            connection.request("GET", "/gmail/gmail/v1/users/me/profile")
            connection.getresponse()
    finally:
        connection.close()


def test_drop_after_and_closing_idle_connections_work_through_the_admin_api(sandbox: SandboxHandle) -> None:
    idle = http.client.HTTPConnection(sandbox.host, sandbox.port, timeout=10)
    url, body, headers = send_request(sandbox, "Through the admin API")
    try:
        idle.request("GET", "/gmail/gmail/v1/users/me/profile")
        idle.getresponse().read()
        with httpx.Client(base_url=sandbox.admin_url) as admin:
            created = admin.post("faults", json={"match": "gmail.users.messages.send", "drop_after": True})
            assert created.status_code == 201 and created.json()["drop_after"] is True
            with httpx.Client() as client, pytest.raises(httpx.RemoteProtocolError):
                client.post(url, content=body, headers=headers)
            assert admin.post("connections/close-idle").json()["closed"] >= 1  # not the admin's own, busy one
        with pytest.raises(ConnectionError):
            idle.request("GET", "/gmail/gmail/v1/users/me/profile")
            idle.getresponse()
    finally:
        idle.close()
    assert sent(sandbox.gmail(), "Through the admin API") == 1


def test_drop_after_works_for_every_service_through_the_same_strike(sandbox: SandboxHandle, twilio: Any) -> None:
    fault = sandbox.faults.inject("twilio.messages.create", drop_after=True)
    with pytest.raises(requests.ConnectionError):
        twilio.messages.create(to=HELEN, from_=MAIN, body="Dropped after queueing")
    assert fault.hits == 1
    assert [m.body for m in twilio.messages.list(to=HELEN) if m.body == "Dropped after queueing"] == [
        "Dropped after queueing"
    ]
