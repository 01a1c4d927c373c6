"""The SMS simulator: delivery progress with status callbacks signed as Twilio signs them (checked with twilio's
own RequestValidator), failures for configured numbers, and inbound SMS posted to a webhook whose TwiML replies
are sent."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator

from aide_sandbox.app import SandboxHandle
from aide_sandbox.seed.twilio import AUTH_TOKEN, HELEN, MAIN, PHARMACY, PRIYA, SECOND
from aide_sandbox.testing import Received, WebhookReceiver

VALIDATOR = RequestValidator(AUTH_TOKEN)


def signed(received: Received) -> bool:
    return VALIDATOR.validate(received.url, received.form, received.headers["x-twilio-signature"])


def test_a_message_moves_to_delivered_with_a_signed_callback_per_step(
    sandbox: SandboxHandle, twilio: Any, webhooks: WebhookReceiver
) -> None:
    message = twilio.messages.create(to=HELEN, from_=MAIN, body="On my way", status_callback=webhooks.url("/status"))
    sandbox.sms.advance()
    assert twilio.messages(message.sid).fetch().status == "sent"
    sandbox.sms.advance()
    delivered = twilio.messages(message.sid).fetch()
    assert (delivered.status, delivered.price, delivered.error_code) == ("delivered", "-0.00790", None)
    assert [r.form["MessageStatus"] for r in webhooks.received] == ["sent", "delivered"]
    assert all(signed(r) for r in webhooks.received)
    assert webhooks.received[0].form["MessageSid"] == message.sid and webhooks.received[0].form["From"] == MAIN
    assert sandbox.sms.advance() == []  # nothing left to move


def test_a_tampered_callback_fails_validation(sandbox: SandboxHandle, twilio: Any, webhooks: WebhookReceiver) -> None:
    twilio.messages.create(to=HELEN, from_=MAIN, body="x", status_callback=webhooks.url("/status?tenant=7"))
    sandbox.sms.advance()
    received = webhooks.received[0]
    assert signed(received)
    assert not VALIDATOR.validate(
        received.url, received.form | {"MessageStatus": "delivered"}, received.headers["x-twilio-signature"]
    )


def test_configured_numbers_end_undelivered_or_failed_with_error_codes(
    sandbox: SandboxHandle, twilio: Any, webhooks: WebhookReceiver
) -> None:
    landline = twilio.messages.create(to=PHARMACY, from_=MAIN, body="Refill?", status_callback=webhooks.url())
    sandbox.sms.set_fate(PRIYA, "failed", 30007)
    filtered = twilio.messages.create(to=PRIYA, from_=MAIN, body="Win a prize", status_callback=webhooks.url())
    sandbox.sms.advance(3)
    assert (twilio.messages(landline.sid).fetch().status, twilio.messages(landline.sid).fetch().error_code) == (
        "undelivered",
        30006,
    )
    assert twilio.messages(filtered.sid).fetch().error_code == 30007
    statuses = [(r.form["MessageSid"], r.form["MessageStatus"], r.form.get("ErrorCode")) for r in webhooks.received]
    assert statuses == [
        (landline.sid, "sent", None),
        (filtered.sid, "failed", "30007"),
        (landline.sid, "undelivered", "30006"),
    ]


def test_an_inbound_sms_is_posted_signed_and_its_twiml_reply_is_sent(
    sandbox: SandboxHandle, twilio: Any, webhooks: WebhookReceiver
) -> None:
    webhooks.reply = "<Response><Message>Got it, thanks!</Message></Response>"
    sandbox.sms.set_webhook(MAIN, webhooks.url("/sms"))
    arrived = sandbox.sms.inbound(HELEN, MAIN, "Landed in Lisbon", ["https://media.example/plane.jpg"])
    (hook,) = webhooks.received
    assert signed(hook)
    assert {k: hook.form[k] for k in ("From", "To", "Body", "NumMedia", "MediaUrl0", "SmsStatus")} == {
        "From": HELEN,
        "To": MAIN,
        "Body": "Landed in Lisbon",
        "NumMedia": "1",
        "MediaUrl0": "https://media.example/plane.jpg",
        "SmsStatus": "received",
    }
    assert hook.form["MessageSid"] == arrived.message["sid"]
    (reply,) = arrived.replies
    fetched = twilio.messages(reply["sid"]).fetch()
    assert (fetched.direction, fetched.from_, fetched.to, fetched.body) == (
        "outbound-reply",
        MAIN,
        HELEN,
        "Got it, thanks!",
    )
    assert twilio.messages.list(from_=HELEN, limit=1)[0].body == "Landed in Lisbon"


def test_stop_blocks_further_messages_until_start(sandbox: SandboxHandle, twilio: Any) -> None:
    sandbox.sms.inbound(PRIYA, SECOND, "stop")
    with pytest.raises(TwilioRestException) as refused:
        twilio.messages.create(to=PRIYA, from_=SECOND, body="Still there?")
    assert refused.value.code == 21610
    assert twilio.messages.create(to=PRIYA, from_=MAIN, body="Other line").status == "queued"
    sandbox.sms.inbound(PRIYA, SECOND, "START")
    assert twilio.messages.create(to=PRIYA, from_=SECOND, body="Welcome back").status == "queued"


def test_the_admin_api_steps_the_simulator_and_injects_sms(
    sandbox: SandboxHandle, twilio: Any, webhooks: WebhookReceiver
) -> None:
    message = twilio.messages.create(to=HELEN, from_=MAIN, body="x", status_callback=webhooks.url())
    admin = sandbox.admin_url
    with httpx.Client() as http:
        http.post(admin + "twilio/webhook", json={"number": SECOND, "url": webhooks.url("/in")}).raise_for_status()
        stepped = http.post(admin + "twilio/advance", json={"steps": 2}).json()
        arrived = http.post(admin + "twilio/inbound", json={"from": HELEN, "to": SECOND, "body": "hi"}).json()
    assert [d["params"]["MessageStatus"] for d in stepped["deliveries"]] == ["sent", "delivered"]
    assert twilio.messages(message.sid).fetch().status == "delivered"
    assert arrived["delivery"]["status"] == 200 and webhooks.received[-1].form["Body"] == "hi"
