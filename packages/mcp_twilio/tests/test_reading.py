"""The read tools against the sandbox's seeded history: conversations, one conversation with paging and filters,
one message with its error in words, Lookup; inbound bodies fenced; 429 retried."""

from __future__ import annotations

from typing import Any

import pytest

from aide_core.fencing import unfence
from aide_sandbox.app import SandboxHandle
from aide_sandbox.seed.twilio import HELEN, MAIN, PHARMACY, PRIYA, SAM, SECOND, ZOE

pytestmark = pytest.mark.anyio


def seeded(twilio: Any, body: str) -> str:
    return next(m.sid for m in twilio.messages.list(limit=100) if m.body == body)


def bodies(messages: list[dict[str, Any]]) -> list[str]:
    return [unfence(m["body"]) if m["direction"] == "inbound" else m["body"] for m in messages]


async def test_the_conversation_with_one_number_is_listed_newest_first_with_inbound_bodies_fenced(
    twilio_server: Any, twilio: Any
) -> None:
    async with twilio_server() as server:
        page = await server.call("list_messages", number="+1 415-555-2671")
    inbound = seeded(twilio, "Are you coming to dinner on Sunday?")
    assert page["number"] == HELEN and page["next_cursor"] is None
    assert bodies(page["messages"]) == [
        "Photo from the market",
        "Reminder: boiler service on Wednesday at 8am.",
        "Yes! Bringing dessert.",
        "Are you coming to dinner on Sunday?",
    ]
    assert page["messages"][-1] == {
        "sid": inbound,
        "direction": "inbound",
        "sender": HELEN,
        "to": MAIN,
        "body": page["messages"][-1]["body"],
        "status": "received",
        "at": "2026-11-02T18:04:00Z",
        "segments": 1,
        "media": 0,
        "read": None,
    }
    assert page["messages"][-1]["body"].startswith('<untrusted-content kind="sms" source="sms ')
    assert [m["sender"] for m in page["messages"][:2]] == [SECOND, MAIN]
    assert page["messages"][0]["media"] == 1


async def test_a_conversation_pages_with_a_cursor_and_filters_by_direction_and_date(twilio_server: Any) -> None:
    async with twilio_server() as server:
        outbound = await server.call("list_messages", number=HELEN, direction="outbound", since="2026-11-10")
        first = await server.call("list_messages", number=HELEN, until="2026-11-03")
        server.runtime.config.max_output_chars = 500  # a page of one message, then the cursor
        one = await server.call("list_messages", number=HELEN)
        two = await server.call("list_messages", number=HELEN, cursor=one["next_cursor"])
        wrong = await server.error("list_messages", number=SAM, cursor=one["next_cursor"])
    assert bodies(outbound["messages"]) == ["Photo from the market", "Reminder: boiler service on Wednesday at 8am."]
    assert bodies(first["messages"]) == ["Yes! Bringing dessert.", "Are you coming to dinner on Sunday?"]
    assert bodies(one["messages"]) == ["Photo from the market"]
    assert bodies(two["messages"]) == ["Reminder: boiler service on Wednesday at 8am."]
    assert "That cursor was made for different arguments" in wrong


async def test_conversations_show_the_latest_message_per_number_with_unread_counts(
    twilio_server: Any, twilio: Any
) -> None:
    async with twilio_server() as server:
        listed = await server.call("list_conversations")
    numbers = [c["number"] for c in listed["conversations"]]
    assert numbers == [SAM, HELEN, "+13105550142", ZOE, PHARMACY, PRIYA]
    latest = {c["number"]: c["last"]["sid"] for c in listed["conversations"]}
    assert latest[SAM] == seeded(twilio, "Thanks, Tuesday works.")
    assert all(c["unread"] == 0 for c in listed["conversations"])


async def test_a_message_says_its_status_and_its_error_in_words(twilio_server: Any, twilio: Any) -> None:
    sid = seeded(twilio, "Refill request for prescription 4471.")
    async with twilio_server() as server:
        detail = await server.call("get_message", sid=sid)
        missing = await server.error("get_message", sid="SM" + "0" * 32)
        junk = await server.error("get_message", sid="hello")
    assert detail == {
        "sid": sid,
        "direction": "outbound",
        "sender": MAIN,
        "to": PHARMACY,
        "body": "Refill request for prescription 4471.",
        "status": "undelivered",
        "at": "2026-11-09T10:30:00Z",
        "segments": 1,
        "media": 0,
        "read": None,
        "error_code": 30006,
        "error": "Error 30006: the number is a landline or its carrier cannot receive texts.",
        "price": "-0.00790",
        "price_unit": "USD",
    }
    assert missing == (
        f"Error executing tool get_message: No message SM{'0' * 32} in this account. "
        "list_messages shows the sids of a conversation."
    )
    assert junk == (
        "Error executing tool get_message: 'hello' is not a message sid. Sids look like SM and 32 hex digits."
    )


async def test_lookup_says_whether_a_number_is_valid_and_what_line_it_is(twilio_server: Any) -> None:
    async with twilio_server() as server:
        landline = await server.call("lookup_number", number="(415) 555-0199")
        mobile = await server.call("lookup_number", number=ZOE)
        invalid = await server.call("lookup_number", number="+1 415 555")
        garbage = await server.error("lookup_number", number="call me")
    assert landline == {
        "number": PHARMACY,
        "valid": True,
        "country": "US",
        "national_format": "(415) 555-0199",
        "line_type": "landline",
        "carrier": "Pacific Bell",
        "can_receive_sms": False,
        "problems": [],
    }
    assert (mobile["number"], mobile["valid"], mobile["country"], mobile["line_type"]) == (ZOE, True, "DE", "mobile")
    assert mobile["can_receive_sms"] is True
    assert (invalid["valid"], invalid["problems"], invalid["line_type"]) == (False, ["TOO_SHORT"], None)
    assert "is not a phone number in international form" in garbage


async def test_a_rate_limited_read_is_retried(twilio_server: Any, sandbox: SandboxHandle) -> None:
    fault = sandbox.faults.inject("twilio.messages.list", status=429, times=1)
    async with twilio_server() as server:
        page = await server.call("list_messages", number=SAM, direction="inbound")
    assert fault.hits == 1
    assert bodies(page["messages"]) == ["Design review moved to Tuesday 8am PT."]


async def test_a_read_that_stays_rate_limited_says_to_wait(twilio_server: Any, sandbox: SandboxHandle) -> None:
    sandbox.faults.inject("twilio.messages.list", status=429, times=None)
    async with twilio_server() as server:
        error = await server.error("list_messages", number=SAM)
    sandbox.faults.clear()
    assert "rate limit" in error.lower()
