"""The retry policy, against a real HTTP server on 127.0.0.1 driven by httpx. Nothing here really sleeps."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import httpx
import pytest
from stand_ins import (
    FieldsOnlyError,
    GoogleHttpError,
    Httplib2Response,
    RequestsConnectionError,
    RequestsConnectTimeout,
    StatusBodyError,
)

from aide_core.errors import RateLimited
from aide_core.retry import (
    Failure,
    NotSent,
    RetryPolicy,
    acall_with_retry,
    call_with_retry,
    classify,
    parse_retry_after,
)
from aide_core.upstream import ErrorProfile, ParsedError

pytestmark = pytest.mark.anyio

Reply = tuple[int, dict[str, str], bytes]
OK: Reply = (200, {}, b'{"ok": true}')


class ScriptedServer:
    """Answers each request with the next scripted reply, then with `then`; records what it was asked."""

    def __init__(self) -> None:
        self.script: list[Reply] = []
        self.then: Reply = OK
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.requests.append(f"{self.command} {self.path}")
                status, headers, body = server.script.pop(0) if server.script else server.then
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    def reply(self, *replies: Reply) -> None:
        self.script.extend(replies)


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    scripted = ScriptedServer()
    scripted.thread.start()
    yield scripted
    scripted.httpd.shutdown()
    scripted.httpd.server_close()
    scripted.thread.join()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as http:
        yield http


class RecordingSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def fetch(client: httpx.Client, url: str, method: str = "GET") -> dict[str, object]:
    response = client.request(method, url)
    response.raise_for_status()
    return response.json()


def status(code: int, headers: dict[str, str] | None = None, body: object = None) -> Reply:
    return (code, headers or {}, json.dumps(body or {"error": code}).encode())


def test_a_429_with_retry_after_is_retried_after_waiting_at_least_that_long(
    server: ScriptedServer, client: httpx.Client
) -> None:
    server.reply(status(429, {"Retry-After": "2"}), OK)
    sleep = RecordingSleep()

    result = call_with_retry(lambda: fetch(client, server.url + "/x"), service="Gmail", idempotent=True, sleep=sleep)

    assert result == {"ok": True}
    assert len(server.requests) == 2
    assert len(sleep.waits) == 1
    assert sleep.waits[0] >= 2


def test_two_503s_then_a_200_succeed_on_the_third_request(server: ScriptedServer, client: httpx.Client) -> None:
    server.reply(status(503), status(503), OK)
    sleep = RecordingSleep()

    assert call_with_retry(lambda: fetch(client, server.url), service="Calendar", idempotent=True, sleep=sleep) == {
        "ok": True
    }
    assert len(server.requests) == 3
    assert len(sleep.waits) == 2


def test_a_non_idempotent_call_without_a_key_is_sent_once_even_on_503(
    server: ScriptedServer, client: httpx.Client
) -> None:
    server.reply(status(503), OK)
    sleep = RecordingSleep()

    with pytest.raises(httpx.HTTPStatusError) as raised:
        call_with_retry(lambda: fetch(client, server.url, "POST"), service="Calendar", idempotent=False, sleep=sleep)

    assert raised.value.response.status_code == 503
    assert server.requests == ["POST /"]
    assert sleep.waits == []


def test_a_non_idempotent_call_with_an_idempotency_key_is_retried(server: ScriptedServer, client: httpx.Client) -> None:
    server.reply(status(503), OK)
    sleep = RecordingSleep()

    result = call_with_retry(
        lambda: fetch(client, server.url, "POST"),
        service="Calendar",
        idempotent=False,
        idempotency_key="send-42",
        sleep=sleep,
    )

    assert result == {"ok": True}
    assert server.requests == ["POST /", "POST /"]


def test_attempts_are_bounded_and_the_last_exception_is_reraised_unchanged(
    server: ScriptedServer, client: httpx.Client
) -> None:
    server.then = status(500)
    sleep = RecordingSleep()
    seen: list[BaseException] = []

    def attempt() -> dict[str, object]:
        try:
            return fetch(client, server.url)
        except httpx.HTTPStatusError as exc:
            seen.append(exc)
            raise

    with pytest.raises(httpx.HTTPStatusError) as raised:
        call_with_retry(attempt, service="Gmail", idempotent=True, sleep=sleep)

    assert len(server.requests) == RetryPolicy().max_attempts == 4
    assert raised.value is seen[-1]
    assert len(sleep.waits) == 3
    # Full jitter: each wait is somewhere in [0, initial_backoff * 2**n].
    assert all(0 <= wait <= 0.5 * 2**n for n, wait in enumerate(sleep.waits))


def test_a_retry_after_beyond_the_time_budget_raises_rate_limited_at_once_without_sleeping(
    server: ScriptedServer, client: httpx.Client
) -> None:
    server.reply(status(429, {"Retry-After": "60"}), OK)
    sleep = RecordingSleep()

    with pytest.raises(RateLimited) as raised:
        call_with_retry(lambda: fetch(client, server.url), service="Calendar", idempotent=True, sleep=sleep)

    assert raised.value.retry_after == 60
    assert "Calendar" in str(raised.value) and "retry in 60 s" in str(raised.value)
    assert isinstance(raised.value.__cause__, httpx.HTTPStatusError)
    assert len(server.requests) == 1
    assert sleep.waits == []


def test_waits_count_against_the_time_budget(server: ScriptedServer, client: httpx.Client) -> None:
    server.reply(status(429, {"Retry-After": "20"}), status(429, {"Retry-After": "20"}), OK)
    sleep = RecordingSleep()

    with pytest.raises(RateLimited):
        call_with_retry(lambda: fetch(client, server.url), service="Gmail", idempotent=True, sleep=sleep)

    assert len(server.requests) == 2
    assert sleep.waits == [20]


def test_a_refused_connection_is_retried_then_raised(client: httpx.Client) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    calls: list[int] = []
    sleep = RecordingSleep()

    def attempt() -> dict[str, object]:
        calls.append(1)
        return fetch(client, f"http://127.0.0.1:{closed_port}/")

    with pytest.raises(httpx.ConnectError):
        call_with_retry(attempt, service="Calendar", idempotent=True, sleep=sleep)

    assert len(calls) == 4
    assert len(sleep.waits) == 3


def test_a_400_is_not_retried(server: ScriptedServer, client: httpx.Client) -> None:
    server.reply(status(400), OK)
    sleep = RecordingSleep()

    with pytest.raises(httpx.HTTPStatusError):
        call_with_retry(lambda: fetch(client, server.url), service="Gmail", idempotent=True, sleep=sleep)

    assert len(server.requests) == 1
    assert sleep.waits == []


def fault_403(why: str) -> Reply:
    return status(403, body={"fault": why})


def faults(data: Mapping[str, Any]) -> ParsedError | None:
    """A made-up upstream whose error bodies read `{"fault": reason}`."""
    return ParsedError(reasons=frozenset({str(data["fault"])})) if "fault" in data else None


SLOW_DOWN = ErrorProfile(faults, rate_limit_reasons=frozenset({"slow_down"}))


def test_a_403_that_the_upstreams_profile_calls_a_rate_limit_is_retried_but_a_refusal_is_not(
    server: ScriptedServer, client: httpx.Client
) -> None:
    def call() -> object:
        sleep = RecordingSleep()
        return call_with_retry(
            lambda: fetch(client, server.url), service="Shout", idempotent=True, sleep=sleep, profile=SLOW_DOWN
        )

    server.reply(fault_403("slow_down"), OK)
    assert call()
    assert len(server.requests) == 2

    server.reply(fault_403("forbidden"), OK)
    with pytest.raises(httpx.HTTPStatusError):
        call()
    assert len(server.requests) == 3


def test_each_retry_is_logged_at_info_without_headers(
    server: ScriptedServer, client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    server.reply(status(503, {"Retry-After": "1", "X-Secret": "hunter2-token"}), OK)

    with caplog.at_level(logging.INFO, logger="aide.retry"):
        call_with_retry(
            lambda: fetch(client, server.url + "/?q=private"), service="Gmail", idempotent=True, sleep=RecordingSleep()
        )

    (record,) = [r for r in caplog.records if r.name == "aide.retry"]
    assert record.levelno == logging.INFO
    message = record.getMessage()
    assert "Gmail" in message and "HTTP 503" in message and "attempt 1 of 4" in message and "1.00 s" in message
    assert "hunter2" not in message and "private" not in message


async def test_the_async_variant_retries_a_503_then_succeeds(server: ScriptedServer) -> None:
    server.reply(status(503), OK)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async with httpx.AsyncClient(timeout=5) as http:

        async def attempt() -> object:
            response = await http.get(server.url)
            response.raise_for_status()
            return response.json()

        result = await acall_with_retry(attempt, service="Calendar", idempotent=True, sleep=sleep)

    assert result == {"ok": True}
    assert len(server.requests) == 2
    assert len(waits) == 1


def test_retry_after_is_read_as_seconds_or_as_an_http_date() -> None:
    now = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("2") == 2
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("Wed, 25 Nov 2026 12:00:07 GMT", now=now) == 7
    assert parse_retry_after("Wed, 25 Nov 2026 11:59:00 GMT", now=now) == 0
    assert parse_retry_after("-3") is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_classify_reads_status_and_retry_after_from_each_client_by_duck_typing() -> None:
    google = GoogleHttpError(Httplib2Response(429, {"retry-after": "3"}), b"{}")
    assert classify(google) == Failure(429, 3.0, False)
    slowed = GoogleHttpError(Httplib2Response(403, {}), json.dumps({"fault": "slow_down"}).encode())
    assert classify(slowed, SLOW_DOWN) == Failure(403, None, False, rate_limited=True)
    assert classify(slowed) == Failure(403, None, False)
    with_headers = StatusBodyError(503, {"Retry-After": "4"}, "{}")
    assert classify(with_headers) == Failure(503, 4.0, False)
    fields_only = FieldsOnlyError(400, "Unable to create record", 21211)
    assert classify(fields_only) == Failure(400, None, False)


def test_classify_treats_connection_and_timeout_errors_as_connection_failures() -> None:
    for exc in (
        ConnectionRefusedError(),
        ConnectionResetError(),
        TimeoutError(),
        TimeoutError(),
        httpx.ReadTimeout("slow"),
        httpx.ConnectError("refused"),
        RequestsConnectionError(),
    ):
        failure = classify(exc)
        assert failure is not None and failure.connection and failure.retryable, exc


class SlowClientTimeout(Exception):
    """An upstream client's own timeout error, which only its profile names."""


SlowClientTimeout.__module__ = "slow_client.errors"


def test_classify_treats_the_timeouts_a_profile_names_as_connection_failures_only_under_that_profile() -> None:
    profile = ErrorProfile(faults, timeouts=frozenset({"slow_client.SlowClientTimeout"}))
    failure = classify(SlowClientTimeout(), profile)
    assert failure is not None and failure.connection and failure.retryable and not failure.not_sent
    assert classify(SlowClientTimeout()) is None and classify(SlowClientTimeout(), SLOW_DOWN) is None


def test_classify_tells_a_failure_to_connect_from_one_after_the_request_may_have_left() -> None:
    import httplib2

    for exc in (
        NotSent("refused"),
        ConnectionRefusedError(),
        httplib2.ServerNotFoundError("Unable to find the server at gmail.example"),
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("slow to connect"),
        RequestsConnectTimeout(),
    ):
        failure = classify(exc)
        assert failure is not None and failure.connection and failure.not_sent, exc
    for exc in (ConnectionResetError(), TimeoutError(), httpx.ReadTimeout("slow"), RequestsConnectionError()):
        failure = classify(exc)
        assert failure is not None and failure.connection and not failure.not_sent, exc


def test_classify_returns_none_for_what_is_not_an_upstream_failure() -> None:
    assert classify(ValueError("bad")) is None
    assert classify(RateLimited("Gmail", 5)) is None
    assert classify(httpx.UnsupportedProtocol("ftp://")) is None
    assert classify(OSError("disk full")) is None


def test_a_policy_that_cannot_work_is_refused() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(initial_backoff=10, max_backoff=1)
