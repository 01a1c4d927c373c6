"""Injected faults as google-api-python-client sees them, through the Python handle and the admin API."""

from __future__ import annotations

import time
from typing import Any

import httplib2
import httpx
import pytest
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.errors import HttpError

from aide_sandbox.app import SandboxHandle
from aide_sandbox.google.client import build_service
from aide_sandbox.testing import ME, error_of


def profile(gmail: Any) -> str:
    return gmail.users().getProfile(userId="me").execute()["emailAddress"]


def test_a_429_carries_retry_after_and_happens_once(sandbox: SandboxHandle, gmail: Any) -> None:
    fault = sandbox.faults.inject("gmail.users.messages.list", status=429, retry_after=7)
    with pytest.raises(HttpError) as limited:
        gmail.users().messages().list(userId="me").execute()
    assert limited.value.status_code == 429
    assert limited.value.resp["retry-after"] == "7"
    assert error_of(limited.value)["errors"][0]["reason"] == "rateLimitExceeded"
    assert error_of(limited.value)["status"] == "RESOURCE_EXHAUSTED"
    assert gmail.users().messages().list(userId="me").execute()["messages"]
    assert fault.hits == 1 and sandbox.faults.list() == []


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_reach_the_client(sandbox: SandboxHandle, gmail: Any, status: int) -> None:
    sandbox.faults.inject("gmail.users.getProfile", status=status)
    with pytest.raises(HttpError) as failed:
        profile(gmail)
    assert failed.value.status_code == status
    assert error_of(failed.value)["errors"][0]["reason"] == "backendError"


def test_the_clients_own_retries_outlast_a_fault_injected_twice(sandbox: SandboxHandle, gmail: Any) -> None:
    fault = sandbox.faults.inject("gmail.users.getProfile", status=503, times=2)
    request = gmail.users().getProfile(userId="me")
    request._sleep = lambda _seconds: None  # the client's backoff; the point is the retry, not the wait
    assert request.execute(num_retries=2)["emailAddress"] == ME
    assert fault.hits == 2


def test_a_glob_matches_a_family_of_methods_until_cleared(sandbox: SandboxHandle, gmail: Any) -> None:
    sandbox.faults.inject("gmail.users.messages.*", status=500, times=None)
    for _ in range(3):
        with pytest.raises(HttpError):
            gmail.users().messages().list(userId="me").execute()
    assert profile(gmail) == ME
    sandbox.faults.clear()
    assert gmail.users().messages().list(userId="me").execute()["messages"]


def test_latency_delays_the_answer(sandbox: SandboxHandle, gmail: Any) -> None:
    sandbox.faults.inject("gmail.users.getProfile", delay=0.3)
    started = time.monotonic()
    assert profile(gmail) == ME
    assert time.monotonic() - started >= 0.3


def test_latency_beyond_the_clients_timeout_raises_a_timeout(sandbox: SandboxHandle) -> None:
    sandbox.faults.inject("gmail.users.getProfile", delay=1.0)
    http = AuthorizedHttp(sandbox.google_credentials(), http=httplib2.Http(timeout=0.2))
    gmail = build_service("gmail", "v1", sandbox.urls["gmail"], http=http)
    with pytest.raises(TimeoutError):
        profile(gmail)
    gmail.close()


def test_a_dropped_connection_raises_once_httplib2_has_used_its_one_silent_retry(
    sandbox: SandboxHandle, gmail: Any
) -> None:
    fault = sandbox.faults.inject("gmail.users.getProfile", drop=True, times=2)
    with pytest.raises(ConnectionError):
        profile(gmail)
    assert fault.hits == 2
    assert profile(gmail) == ME


def test_a_single_drop_is_retried_by_httplib2_without_the_caller_noticing(sandbox: SandboxHandle, gmail: Any) -> None:
    fault = sandbox.faults.inject("gmail.users.getProfile", drop=True)
    assert profile(gmail) == ME
    assert fault.hits == 1


def test_faults_and_token_expiry_work_through_the_admin_api(sandbox: SandboxHandle) -> None:
    credentials = sandbox.google_credentials()
    gmail = sandbox.gmail(credentials=credentials)
    with httpx.Client(base_url=sandbox.admin_url) as admin:
        created = admin.post("faults", json={"match": "gmail", "status": 503, "times": 3})
        assert created.status_code == 201 and created.json()["remaining"] == 3
        with pytest.raises(HttpError) as failed:
            profile(gmail)
        assert failed.value.status_code == 503
        assert admin.get("faults").json()["faults"][0]["remaining"] == 2
        assert admin.delete("faults").json() == {"faults": []}
        assert admin.post("faults", json={"status": 500}).status_code == 400

        seeded = credentials.token
        assert admin.post("oauth/expire", json={"account": ME}).json() == {"expired": 1}
        assert profile(gmail) == ME
        assert credentials.token != seeded
