"""send_sms against the sandbox: the plan is what is sent, the preview says segments, encoding, sender and price;
opt-outs, quiet hours and the allowlist refuse with the reason; a repeated call sends once; a send is never
retried."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from aide_sandbox.app import SandboxHandle
from aide_sandbox.seed.twilio import HELEN, MAIN, OPTED_OUT, PRIYA, SECOND, ZOE

pytestmark = pytest.mark.anyio


def sent_to(twilio: Any, number: str, body: str) -> list[str]:
    return [m.sid for m in twilio.messages.list(to=number, limit=50) if m.body == body]


async def test_a_text_is_sent_from_the_configured_number_and_says_what_it_cost(twilio_server: Any, twilio: Any) -> None:
    async with twilio_server() as server:
        outcome = await server.call("send_sms", to=HELEN, body="Dinner at 7?")
    sid = outcome["result"]["sid"]
    assert re.fullmatch(r"SM[0-9a-f]{32}", sid)
    assert outcome == {
        "status": "done",
        "message": outcome["message"],
        "result": {
            "sid": sid,
            "status": "queued",
            "to": HELEN,
            "sender": MAIN,
            "segments": 1,
            "encoding": "GSM-7",
            "estimated_price": 0.0079,
            "price_unit": "USD",
        },
        "preview": f"Text {HELEN} from {MAIN}: 1 segment, GSM-7, estimated 0.0079 USD",
        "confirmation_token": None,
    }
    assert sent_to(twilio, HELEN, "Dinner at 7?") == [outcome["result"]["sid"]]


async def test_the_preview_names_recipient_sender_segments_encoding_and_price(twilio_server: Any) -> None:
    body = "Running late 🚗 " + "x" * 60
    async with twilio_server(confirm="token") as server:
        outcome = await server.call("send_sms", to="(415) 555-2671", body=body, sender=SECOND)
    assert outcome["status"] == "confirmation_required"
    assert outcome["preview"] == (f"Text {HELEN} from {SECOND}: 2 segments, UCS-2, estimated 0.0158 USD\n\n{body}")


async def test_a_number_that_is_not_international_is_refused_with_how_to_write_it(twilio_server: Any) -> None:
    async with twilio_server(default_region=None) as server:
        error = await server.error("send_sms", to="555 0100", body="Hi")
    assert error == (
        "Error executing tool send_sms: '555 0100' is not a recipient number in international form: send "
        "+<country code> and the number, such as +14155550100 or +447911123456. Ask the user for the full number "
        "with its country code if you do not know it."
    )


async def test_national_numbers_are_read_in_the_configured_region_and_international_ones_go_as_they_are(
    twilio_server: Any, twilio: Any
) -> None:
    async with twilio_server(default_region="DE") as server:
        german = await server.call("send_sms", to="0170 1234567", body="Hallo Zoe")
        british = await server.call("send_sms", to="+44 7911 123456", body="Hello")
    assert german["result"]["to"] == ZOE
    assert british["result"]["to"] == "+447911123456"
    assert sent_to(twilio, ZOE, "Hallo Zoe") == [german["result"]["sid"]]


async def test_a_text_to_someone_who_replied_stop_is_refused_with_the_reason(twilio_server: Any) -> None:
    async with twilio_server() as server:
        server.state.inbox.set_opt_out(MAIN, HELEN, True, None, 0)
        error = await server.error("send_sms", to=HELEN, body="Still on?")
    assert error == (
        f"Error executing tool send_sms: {HELEN} has opted out of texts from {MAIN} (they replied STOP): not sent. "
        "Do not retry or text them from this number; only they can opt back in, by texting START."
    )


async def test_an_opt_out_only_twilio_knows_of_is_refused_as_twilio_says(twilio_server: Any, twilio: Any) -> None:
    async with twilio_server() as server:
        error = await server.error("send_sms", to=OPTED_OUT, body="Hello", sender=SECOND)
    assert "replied STOP" in error and "Do not retry" in error
    assert sent_to(twilio, OPTED_OUT, "Hello") == []


async def test_the_same_send_twice_sends_once(twilio_server: Any, twilio: Any) -> None:
    async with twilio_server() as server:
        first = await server.call("send_sms", to=HELEN, body="Only once")
        second = await server.call("send_sms", to=HELEN, body="Only once")
    assert second["status"] == "replayed"
    assert second["result"] == first["result"]
    assert sent_to(twilio, HELEN, "Only once") == [first["result"]["sid"]]


async def test_a_send_in_the_recipients_quiet_hours_is_refused_with_the_next_allowed_time(
    twilio_server: Any, twilio: Any
) -> None:
    late_in_california = datetime(2026, 11, 21, 6, 30, tzinfo=UTC)  # 22:30 the evening before, in San Francisco
    async with twilio_server(now=late_in_california) as server:
        error = await server.error("send_sms", to=HELEN, body="Are you up?")
    assert error == (
        f"Error executing tool send_sms: It is quiet hours for {HELEN} (21:00-08:00 in America/Los_Angeles): not "
        "sent. The next allowed time is 2026-11-21T08:00-08:00 (2026-11-21 16:00 UTC). Send it at or after that "
        "time, or tell the user. Tell the user; only they can change this in aide's configuration."
    )
    assert sent_to(twilio, HELEN, "Are you up?") == []


async def test_quiet_hours_follow_the_configured_window_and_zone_overrides(twilio_server: Any) -> None:
    evening = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)  # 15:00 in San Francisco
    quiet = {"start": "14:00", "end": "16:30", "zones": {HELEN: "America/Los_Angeles"}}
    async with twilio_server(now=evening, quiet_hours=quiet) as server:
        error = await server.error("send_sms", to=HELEN, body="Now?")
    assert "The next allowed time is 2026-11-20T16:30-08:00" in error
    async with twilio_server(now=evening, quiet_hours={"enabled": False}) as server:
        assert (await server.call("send_sms", to=HELEN, body="Now?"))["status"] == "done"


async def test_the_allowlist_checks_the_normalised_number_sent_to(twilio_server: Any) -> None:
    async with twilio_server(allow_phone_numbers=["+1 415 555 2671"]) as server:
        assert (await server.call("send_sms", to="415-555-2671", body="ok"))["status"] == "done"
        error = await server.error("send_sms", to=ZOE, body="not ok")
    assert error.startswith(f"Error executing tool send_sms: Texting {ZOE} is not allowed by this server's allowlist.")


async def test_an_allowlist_entry_in_national_form_is_read_in_the_default_region(twilio_server: Any) -> None:
    async with twilio_server(allow_phone_numbers=["(415) 555-2671"], default_region="US") as server:
        assert (await server.call("send_sms", to="+14155552671", body="ok"))["status"] == "done"
        error = await server.error("send_sms", to=ZOE, body="not ok")
    assert error.startswith(f"Error executing tool send_sms: Texting {ZOE} is not allowed by this server's allowlist.")


async def test_a_sender_that_is_not_the_accounts_is_refused(twilio_server: Any) -> None:
    async with twilio_server() as server:
        error = await server.error("send_sms", to=HELEN, body="Hi", sender="+14155550123")
    assert error == (
        "Error executing tool send_sms: +14155550123 is not one of this account's numbers. "
        f"Use one of {MAIN}, {SECOND}."
    )


async def test_a_picture_message_goes_as_mms(twilio_server: Any, twilio: Any) -> None:
    async with twilio_server() as server:
        outcome = await server.call("send_sms", to=HELEN, media_urls=["https://media.example/cake.jpg"])
    assert outcome["result"]["estimated_price"] == 0.02
    message = twilio.messages(outcome["result"]["sid"]).fetch()
    assert message.num_media == "1"


async def test_a_rate_limited_send_is_not_retried_and_says_so(
    twilio_server: Any, twilio: Any, sandbox: SandboxHandle
) -> None:
    sandbox.faults.inject("twilio.messages.create", status=429, times=2)
    async with twilio_server() as server:
        error = await server.error("send_sms", to=HELEN, body="Rate limited")
    assert "rate limit" in error.lower()
    sandbox.faults.clear()
    assert sent_to(twilio, HELEN, "Rate limited") == []


async def test_without_a_signed_in_account_the_send_says_how_to_sign_in(twilio_server: Any) -> None:
    async with twilio_server(account="work") as server:
        error = await server.error("send_sms", to=HELEN, body="Hi")
    assert error == (
        "Error executing tool send_sms: Twilio has no account 'work' signed in. Ask the user to run: aide auth twilio"
    )


async def test_without_a_sender_number_the_messaging_service_sends_and_every_number_is_checked_for_opt_outs(
    twilio_server: Any, twilio: Any
) -> None:
    async with twilio_server(from_number=None, confirm="token") as server:
        preview = await server.call("send_sms", to=HELEN, body="Via the service")
    assert preview["preview"].startswith(f"Text {HELEN} from messaging service MG")
    async with twilio_server(from_number=None) as server:
        sent = await server.call("send_sms", to=HELEN, body="Via the service")
        server.state.inbox.set_opt_out(SECOND, PRIYA, True, None, 0)
        refused = await server.error("send_sms", to=PRIYA, body="Hi")
    assert (sent["result"]["status"], sent["result"]["sender"]) == ("accepted", None)
    assert sent_to(twilio, HELEN, "Via the service") == [sent["result"]["sid"]]  # once: the preview sent nothing
    assert f"has opted out of texts from {SECOND}" in refused
