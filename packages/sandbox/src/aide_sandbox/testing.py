"""pytest fixtures for tests that drive the official clients against the sandbox (a pytest plug-in, registered
through the `pytest11` entry point, so every package of the workspace can use them).

- `sandbox_server` (session): one sandbox on a free loopback port, in this process, seeded once, on a clock that
  starts at `NOW` (2026-11-20 12:00 UTC) and runs on from there, so seed dates and relative searches never drift;
- `sandbox` (per test): that sandbox reset to the seed data, with no faults (a reset is a page copy, not a reseed);
- `gmail` (per test): a google-api-python-client Gmail service for the first seeded account;
- `calendar` (per test): a google-api-python-client Calendar v3 service for the same account;
- `google_tasks` (per test): a google-api-python-client Tasks v1 service for the same account;
- `notion` (per test): a notion-client `Client` for the first seeded workspace;
- `twilio` (per test): a twilio-python `Client` of the seeded account; `webhooks`: a `WebhookReceiver`;
- `openai_client`, `anthropic_client` (per test): the SDKs' clients of the scripted LLM fakes;

and helpers to build messages (`mail`, `raw`) and read answers (`unb64`, `error_of`, `headers_of`).

Heavy imports happen inside the fixtures, so loading the plug-in costs nothing to test runs that do not use it.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import pytest

from aide_sandbox.seed import files

if TYPE_CHECKING:
    from googleapiclient.errors import HttpError

    from aide_sandbox.app import SandboxHandle


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    from aide_sandbox.app import start

    handle = start(tmp_path_factory.mktemp("aide-sandbox"), clock=pinned_clock(NOW))
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def sandbox(sandbox_server: SandboxHandle) -> Iterator[SandboxHandle]:
    sandbox_server.reset()
    try:
        yield sandbox_server
    finally:
        sandbox_server.close_clients()


@pytest.fixture
def gmail(sandbox: SandboxHandle) -> Any:
    return sandbox.gmail()


@pytest.fixture
def calendar(sandbox: SandboxHandle) -> Any:
    """A google-api-python-client Calendar v3 service for the first seeded account (Alex, Europe/Berlin)."""
    return sandbox.calendar()


@pytest.fixture
def google_tasks(sandbox: SandboxHandle) -> Any:
    """A google-api-python-client Tasks v1 service for the first seeded account (Alex)."""
    return sandbox.tasks()


@pytest.fixture
def twilio(sandbox: SandboxHandle) -> Any:
    """A `twilio.rest.Client` of the seeded account, its Messages and Lookup domains pointed at the sandbox."""
    return sandbox.twilio()


@pytest.fixture
def openai_client(sandbox: SandboxHandle) -> Any:
    """An `openai.OpenAI` client of the scripted fake (no retries); script it with `sandbox.llm.queue(...)`."""
    return sandbox.openai()


@pytest.fixture
def anthropic_client(sandbox: SandboxHandle) -> Any:
    """An `anthropic.Anthropic` client of the scripted fake (no retries)."""
    return sandbox.anthropic()


@pytest.fixture
def webhooks() -> Iterator[WebhookReceiver]:
    """A loopback HTTP server that records the webhooks and callbacks POSTed to it."""
    receiver = WebhookReceiver()
    try:
        yield receiver
    finally:
        receiver.close()


@pytest.fixture
def notion(sandbox: SandboxHandle) -> Any:
    """A `notion_client.Client` for the "Rivera Home" workspace (retries off: a test sees each answer)."""
    return sandbox.notion(retry=False)


#: The instant the fixtures' clock starts at (see `pinned_clock`): what "now" is for every test.
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
ME = "alex.rivera@example.com"


def pinned_clock(start: datetime) -> Callable[[], float]:
    """A clock that reads `start` now and advances in real time: tests see fixed dates, yet time still moves on
    (token expiry, ordering by time)."""
    origin = time.monotonic()
    return lambda: start.timestamp() + (time.monotonic() - origin)


SAM = "sam.okafor@example.org"
PDF = files.pdf("Quarterly report", ["Revenue up", "Costs down"])
PNG = files.png(16, 12, (10, 200, 30), (200, 10, 30))


def mail(
    subject: str,
    text: str,
    *,
    sender: str = ME,
    to: str = "friend@example.net",
    cc: str | None = None,
    html: str | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
    date: datetime | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """A complete RFC 2822 message (Date and Message-ID included, so the emulator stores it unchanged)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    message["Date"] = format_datetime(date or datetime(2026, 11, 18, 12, 0, tzinfo=UTC))
    message["Message-ID"] = make_msgid(domain="test.example")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for filename, mime_type, data in attachments or []:
        maintype, subtype = mime_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message


def raw(message: EmailMessage) -> str:
    return base64.urlsafe_b64encode(message.as_bytes()).decode()


def unb64(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


def error_of(exc: HttpError) -> dict[str, Any]:
    """The `error` object of a Google error body."""
    return json.loads(exc.content)["error"]


def headers_of(part: dict[str, Any]) -> dict[str, str]:
    return {h["name"]: h["value"] for h in part["headers"]}


@dataclass(frozen=True)
class Received:
    """One POST a `WebhookReceiver` got: `form` parsed as a form (Twilio's), `body` as sent (JSON, say)."""

    url: str
    headers: dict[str, str]
    form: dict[str, str]
    body: str = ""


@dataclass(frozen=True)
class Answer:
    """One scripted answer of a `WebhookReceiver`: a status with headers and a body, or (`status` None) the
    connection closed without any answer, as a receiver that crashed after reading the request would."""

    status: int | None = 200
    headers: dict[str, str] = field(default_factory=dict[str, str])
    body: str = ""


class WebhookReceiver:
    """Records POSTs (Twilio webhooks and status callbacks, any other webhook) and answers each with `reply` (TwiML,
    say), or with the next of the answers a test scripted with `answer(...)` (a 503 with Retry-After, then 200).

    The sandbox POSTs before `advance()` / `inbound()` return, so a test reads `received` right after: no waiting."""

    def __init__(self, reply: str = '<?xml version="1.0" encoding="UTF-8"?><Response/>') -> None:
        self.reply = reply
        self.received: list[Received] = []
        self._script: deque[Answer] = deque()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                form = dict(parse_qsl(raw, keep_blank_values=True))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver._lock:
                    receiver.received.append(Received(receiver.url(self.path), headers, form, raw))
                    scripted = receiver._script.popleft() if receiver._script else None
                if scripted is not None and scripted.status is None:
                    self.close_connection = True  # no status line at all: the client sees the connection drop
                    return
                answer = scripted or Answer(200, {"Content-Type": "text/xml"}, receiver.reply)
                body = answer.body.encode()
                assert answer.status is not None
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="webhook-receiver", daemon=True
        )
        self._thread.start()

    def answer(self, *answers: Answer) -> None:
        """Answer the next POSTs with `answers`, in order; after them, 200 with `reply` again."""
        with self._lock:
            self._script.extend(answers)

    def url(self, path: str = "/sms") -> str:
        return f"http://127.0.0.1:{self._server.server_port}{path}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
