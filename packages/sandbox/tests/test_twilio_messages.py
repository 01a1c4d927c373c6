"""Twilio Messages and Lookup through twilio-python: create, fetch, list with filters and pages, redact, delete,
Twilio's errors, Basic auth, Lookup v2 and faults."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from aide_sandbox.app import SandboxHandle
from aide_sandbox.seed.twilio import ACCOUNT_SID, HELEN, MAIN, OPTED_OUT, PRIYA, SAM, SECOND, SERVICE


def send(twilio: Any, **fields: Any) -> Any:
    return twilio.messages.create(**({"to": HELEN, "from_": MAIN, "body": "Dinner at 7?"} | fields))


def test_a_sent_message_is_queued_with_twilios_fields(twilio: Any) -> None:
    message = send(twilio)
    assert (message.status, message.direction, message.from_, message.to) == ("queued", "outbound-api", MAIN, HELEN)
    assert message.sid.startswith("SM") and message.account_sid == ACCOUNT_SID
    assert (message.num_segments, message.num_media, message.price, message.date_sent) == ("1", "0", None, None)
    assert isinstance(message.date_created, datetime) and message.date_created.tzinfo is not None
    assert twilio.messages(message.sid).fetch().body == "Dinner at 7?"


def test_segments_are_counted_by_encoding(twilio: Any) -> None:
    assert send(twilio, body="a" * 161).num_segments == "2"
    assert send(twilio, body="😊" * 70).num_segments == "1"
    assert send(twilio, body="😊" * 71).num_segments == "2"


def test_media_makes_an_mms(twilio: Any) -> None:
    message = send(twilio, media_url=["https://media.example/a.jpg", "https://media.example/b.png"])
    assert message.sid.startswith("MM") and message.num_media == "2"


def test_a_messaging_service_picks_the_sender_when_the_message_moves_on(sandbox: SandboxHandle, twilio: Any) -> None:
    message = twilio.messages.create(to=PRIYA, messaging_service_sid=SERVICE, body="via the service")
    assert (message.status, message.from_, message.num_segments) == ("accepted", None, "0")
    sandbox.sms.advance()
    queued = twilio.messages(message.sid).fetch()
    assert (queued.status, queued.from_, queued.messaging_service_sid) == ("queued", MAIN, SERVICE)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"to": "+1555BAD"}, 21211),
        ({"body": None}, 21602),
        ({"from_": None}, 21603),
        ({"from_": "+14155559999"}, 21606),
        ({"from_": None, "messaging_service_sid": "MG" + "0" * 32}, 21701),
        ({"body": "x" * 1601}, 21617),
        ({"to": OPTED_OUT, "from_": SECOND}, 21610),
    ],
)
def test_bad_messages_are_refused_with_twilios_codes(twilio: Any, fields: dict[str, Any], code: int) -> None:
    with pytest.raises(TwilioRestException) as refused:
        send(twilio, **fields)
    assert (refused.value.status, refused.value.code) == (400, code)
    assert refused.value.msg.startswith("Unable to create record: ")


def test_the_seeded_history_goes_both_ways(twilio: Any) -> None:
    history = twilio.messages.list()
    assert {m.direction for m in history} == {"inbound", "outbound-api"}
    assert history[0].date_sent >= history[-1].date_sent  # newest first
    from_helen = twilio.messages.list(from_=HELEN)
    assert [m.body for m in from_helen] == ["Are you coming to dinner on Sunday?"]


def test_list_filters_by_recipient_and_sent_dates(twilio: Any) -> None:
    to_helen = twilio.messages.list(to=HELEN)
    assert len(to_helen) == 3 and all(m.to == HELEN for m in to_helen)
    mid_month = twilio.messages.list(
        date_sent_after=datetime(2026, 11, 12, tzinfo=UTC), date_sent_before=datetime(2026, 11, 15, tzinfo=UTC)
    )
    assert [m.body for m in mid_month] == [
        "Reminder: boiler service on Wednesday at 8am.",
        "Design review moved to Tuesday 8am PT.",
    ]
    on_the_fifth = twilio.messages.list(date_sent=datetime(2026, 11, 5, tzinfo=UTC))
    assert {m.to for m in on_the_fifth} == {PRIYA, MAIN}


def test_paging_follows_next_page_uri_to_the_end(twilio: Any) -> None:
    first = twilio.messages.page(page_size=4)
    assert len(list(first)) == 4 and first.next_page_url is not None
    everything = twilio.messages.list(page_size=4)
    assert len(everything) == 11 and len({m.sid for m in everything}) == 11
    assert [m.sid for m in twilio.messages.list(page_size=4, limit=6)] == [m.sid for m in everything[:6]]


def test_a_bad_page_token_fails_the_page(sandbox: SandboxHandle, twilio: Any) -> None:
    with pytest.raises(TwilioException):
        twilio.messages.get_page(
            f"{sandbox.urls['twilio']}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
            "?PageSize=2&Page=1&PageToken=PAnope"
        )


def test_a_delivered_message_can_be_redacted_and_deleted(sandbox: SandboxHandle, twilio: Any) -> None:
    message = send(twilio)
    with pytest.raises(TwilioRestException) as early:
        twilio.messages(message.sid).update(body="")
    assert early.value.code == 20009
    sandbox.sms.advance(2)
    assert twilio.messages(message.sid).update(body="").body == ""
    assert twilio.messages(message.sid).delete() is True
    with pytest.raises(TwilioRestException) as gone:
        twilio.messages(message.sid).fetch()
    assert (gone.value.status, gone.value.code) == (404, 20404)


def test_a_message_in_flight_cannot_be_deleted(twilio: Any) -> None:
    message = send(twilio)
    with pytest.raises(TwilioRestException) as refused:
        twilio.messages(message.sid).delete()
    assert (refused.value.status, refused.value.code) == (409, 20009)


def test_a_wrong_auth_token_is_refused(sandbox: SandboxHandle) -> None:
    client = Client(ACCOUNT_SID, "0" * 32)
    client.api.base_url = sandbox.urls["twilio"]
    with pytest.raises(TwilioRestException) as refused:
        client.messages.create(to=HELEN, from_=MAIN, body="x")
    client.http_client.session.close()  # pyright: ignore[reportAttributeAccessIssue]
    assert (refused.value.status, refused.value.code) == (401, 20003)


def test_lookup_validates_formats_and_knows_line_types(twilio: Any) -> None:
    helen = twilio.lookups.v2.phone_numbers(HELEN).fetch(fields="line_type_intelligence,caller_name")
    assert (helen.valid, helen.national_format, helen.country_code) == (True, "(415) 555-2671", "US")
    assert helen.line_type_intelligence["type"] == "mobile"
    assert helen.caller_name["caller_name"] == "Helen Rivera"
    national = twilio.lookups.v2.phone_numbers("0170 1234567").fetch(country_code="DE")
    assert (national.phone_number, national.calling_country_code) == ("+491701234567", "49")
    short = twilio.lookups.v2.phone_numbers("+1415555").fetch()
    assert (short.valid, short.validation_errors) == (False, ["TOO_SHORT"])
    with pytest.raises(TwilioRestException) as refused:
        twilio.lookups.v2.phone_numbers(SAM).fetch(fields="horoscope")
    assert refused.value.status == 400


def test_a_429_reaches_the_twilio_client_with_retry_after(sandbox: SandboxHandle, twilio: Any) -> None:
    fault = sandbox.faults.inject("twilio.messages.create", status=429, retry_after=3)
    with pytest.raises(TwilioRestException) as limited:
        send(twilio)
    assert (limited.value.status, limited.value.code) == (429, 20429)
    assert fault.hits == 1 and send(twilio).status == "queued"


def test_a_500_fails_a_list_page(sandbox: SandboxHandle, twilio: Any) -> None:
    sandbox.faults.inject("twilio.messages.list", status=500)
    with pytest.raises(TwilioException):
        twilio.messages.list()


def test_a_dropped_connection_reaches_the_twilio_client(sandbox: SandboxHandle, twilio: Any) -> None:
    sandbox.faults.inject("twilio.messages.fetch", drop=True)
    message = send(twilio)
    with pytest.raises(requests.ConnectionError):
        twilio.messages(message.sid).fetch()
    assert twilio.messages(message.sid).fetch().sid == message.sid
