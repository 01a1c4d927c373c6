"""Sends and creations over a real connection's failures: Gmail acting and then losing the line, connections the
server closed while the user read a confirmation, and a server that cannot be reached at all. Mail goes out once
or not at all, and the tool says which, or that it cannot know."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from aide_sandbox.app import SandboxHandle
from aide_sandbox.testing import SAM

pytestmark = pytest.mark.anyio

SEND = {"to": [SAM], "body": "Hello Sam"}


def received(sandbox: SandboxHandle, subject: str) -> int:
    """How many copies of `subject` reached SAM's mailbox (a new client: the fixtures' may hold closed connections)."""
    listing = sandbox.gmail(SAM).users().messages().list(userId="me", q=f'in:inbox subject:"{subject}"').execute()
    return len(listing.get("messages") or [])


def in_sent(sandbox: SandboxHandle, subject: str) -> int:
    listing = sandbox.gmail().users().messages().list(userId="me", q=f'in:sent subject:"{subject}"').execute()
    return len(listing.get("messages") or [])


def drafts_with(sandbox: SandboxHandle, subject: str) -> int:
    listing = sandbox.gmail().users().messages().list(userId="me", q=f'in:drafts subject:"{subject}"').execute()
    return len(listing.get("messages") or [])


@pytest.fixture
def refusing_port() -> Iterator[int]:
    """A loopback port that refuses connections: bound, so nothing else takes it, and not listening."""
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield bound.getsockname()[1]


async def test_a_send_gmail_carried_out_before_the_line_dropped_goes_out_once_and_is_reported_unknown(
    gmail_server: Any, sandbox: SandboxHandle
) -> None:
    fault = sandbox.faults.inject("gmail.users.messages.send", drop_after=True)
    async with gmail_server() as server:
        error = await server.error("send_email", **SEND, subject="Dropped send", idempotency_key="k1")
        again = await server.error("send_email", **SEND, subject="Dropped send", idempotency_key="k1")
    assert fault.hits == 1
    assert received(sandbox, "Dropped send") == 1 and in_sent(sandbox, "Dropped send") == 1
    assert "No answer from Gmail" in error
    assert "Gmail may have sent the message before the failure, so the outcome is unknown" in error
    assert "look for it in the Sent folder (search_emails with query 'in:sent'" in error
    assert "An identical call is running or was interrupted, so its outcome is unknown; nothing was done" in again


async def test_a_draft_sent_before_the_line_dropped_goes_out_once_and_is_reported_unknown(
    gmail_server: Any, sandbox: SandboxHandle
) -> None:
    async with gmail_server() as server:
        draft = await server.call("draft_email", **SEND, subject="Dropped draft send")
        fault = sandbox.faults.inject("gmail.users.messages.send", drop_after=True)
        error = await server.error("send_draft", draft_id=draft["draft_id"], idempotency_key="k2")
        again = await server.error("send_draft", draft_id=draft["draft_id"], idempotency_key="k2")
    assert fault.hits == 1
    # The draft stays until the send is known to have happened: nothing is lost while the outcome is unknown.
    assert received(sandbox, "Dropped draft send") == 1 and drafts_with(sandbox, "Dropped draft send") == 1
    assert "Gmail may have sent the message before the failure, so the outcome is unknown" in error
    assert "Sent folder" in error
    assert "its outcome is unknown; nothing was done now" in again


async def test_a_draft_saved_before_the_line_dropped_is_saved_once_and_reported_unknown(
    gmail_server: Any, sandbox: SandboxHandle
) -> None:
    fault = sandbox.faults.inject("gmail.users.drafts.create", drop_after=True)
    async with gmail_server() as server:
        error = await server.error("draft_email", **SEND, subject="Dropped draft")
    assert fault.hits == 1 and drafts_with(sandbox, "Dropped draft") == 1
    assert "Gmail may have saved the draft before the failure, so the outcome is unknown" in error
    assert "search_emails with query 'in:drafts'" in error


async def test_a_send_refused_for_an_expired_token_goes_out_once_after_the_refresh(
    gmail_server: Any, sandbox: SandboxHandle
) -> None:
    """google-auth sends a request again after a 401 and a token refresh: a 401 is a refusal, so that is safe."""
    async with gmail_server() as server:
        expired = sandbox.expire_tokens()
        done = await server.call("send_email", **SEND, subject="After a refresh")
    assert sandbox.expire_tokens() == expired + 1  # the send was refused, a token issued, and the send made again
    assert done["status"] == "done" and received(sandbox, "After a refresh") == 1


async def test_a_confirmation_that_outlasts_the_servers_keep_alive_still_sends_once(
    gmail_server: Any, sandbox: SandboxHandle
) -> None:
    async with gmail_server(confirm="token") as server:
        await server.call("search_emails", query="", limit=5)  # the server now holds kept-alive connections
        preview = await server.call("send_email", **SEND, subject="After a pause")
        assert sandbox.close_idle_connections() >= 1  # the user took longer than the server's keep-alive
        done = await server.call(
            "send_email", **SEND, subject="After a pause", confirmation_token=preview["confirmation_token"]
        )
        found = await server.call("search_emails", query='subject:"After a pause"')  # reads recover by themselves
    assert preview["status"] == "confirmation_required" and done["status"] == "done"
    assert received(sandbox, "After a pause") == 1 and len(found["emails"]) == 1


async def test_a_send_that_could_not_connect_sent_nothing_and_may_be_retried_with_its_key(
    gmail_server: Any, sandbox: SandboxHandle, refusing_port: int
) -> None:
    async with gmail_server(base_url=f"http://127.0.0.1:{refusing_port}/") as unreachable:
        error = await unreachable.error("send_email", **SEND, subject="Not sent", idempotency_key="k3")
    async with gmail_server() as server:
        retried = await server.call("send_email", **SEND, subject="Not sent", idempotency_key="k3")
    assert "Could not connect to Gmail, so the request was not sent and nothing was done" in error
    assert "outcome is unknown" not in error
    assert retried["status"] == "done" and received(sandbox, "Not sent") == 1
