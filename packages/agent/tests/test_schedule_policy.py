"""The unattended policy: a run nobody watches takes read-only tools, plus only the allowed actions whose call
stays with the user (their own phone and address, an event without attendees, a task, a memory); everything else is
declined and recorded. The same rule as the schedule server's settings check, applied to each call's arguments."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from schedule_stand import ANNS_PHONE, MY_PHONE, Clock, Stand, sandbox_tables, sign_in_twilio

from aide_agent import Message, ScriptedModel, ToolSpec, call
from aide_agent.approval import ApprovalRequest
from aide_agent.schedule import Own, Runner, Unattended
from aide_agent.schedule.policy import STAYS_WITH_USER
from aide_core.settings import AideSettings
from aide_sandbox.app import SandboxHandle
from aide_schedule.settings import UNATTENDED_ACTIONS

ME = "alex@example.com"
OWN = Own(phone="+491701234567", email=ME)


def asks(server: str, tool: str, **arguments: Any) -> ApprovalRequest:
    return ApprovalRequest("tool", server, "m", tool=tool, arguments=arguments)


def test_the_runtime_rule_names_the_actions_the_settings_accept() -> None:
    from aide_twilio.settings import INBOUND_ACTIONS

    assert set(STAYS_WITH_USER) == set(UNATTENDED_ACTIONS) == set(INBOUND_ACTIONS)


def test_only_configured_actions_are_taken_and_questions_are_declined() -> None:
    policy = Unattended(["memory.remember"], job="job:x", own=OWN)
    answers = [
        policy(asks("memory", "remember", items=[{"content": "x"}])),
        policy(asks("gmail", "send_email", to=[ME])),
        policy(ApprovalRequest("elicitation", "gmail", "Send it?", tool="send_email")),
    ]
    assert answers == [True, False, False]
    assert policy.declined == ["gmail.send_email", "gmail.send_email (question: Send it?)"]


def test_an_allowed_send_goes_to_the_users_own_phone_or_address_only() -> None:
    policy = Unattended(["twilio.send_sms", "gmail.send_email"], own=OWN)
    answers = [
        policy(asks("twilio", "send_sms", to="+49 170 1234567", body="hi")),  # the same number, written with spaces
        policy(asks("twilio", "send_sms", to="+16505551234", body="hi")),
        policy(asks("gmail", "send_email", to=[f"Alex <{ME.upper()}>"], subject="s")),
        policy(asks("gmail", "send_email", to=[ME], bcc=["eve@example.com"], subject="s")),
        policy(asks("gmail", "send_email", subject="no recipient")),
    ]
    assert answers == [True, False, True, False, False]
    assert policy.declined == [
        "twilio.send_sms (not to the user's own phone)",
        "gmail.send_email (not to the user's own address only)",
        "gmail.send_email (not to the user's own address only)",
    ]


def test_without_a_phone_or_address_of_their_own_no_send_is_allowed() -> None:
    policy = Unattended(["twilio.send_sms", "gmail.send_email"], own=Own())
    answers = [policy(asks("twilio", "send_sms", to="+491701234567")), policy(asks("gmail", "send_email", to=[ME]))]
    assert answers == [False, False]
    assert policy.declined == [
        "twilio.send_sms (no phone of the user's own is configured)",
        "gmail.send_email (no address of the user's own is configured)",
    ]


def test_an_event_is_allowed_without_attendees_in_the_primary_calendar_only() -> None:
    policy = Unattended(["calendar.create_event", "calendar.add_task", "gmail.draft_email"], own=OWN)
    answers = [
        policy(asks("calendar", "create_event", summary="Focus", start="tomorrow 9am", attendees=[])),
        policy(asks("calendar", "create_event", summary="Sync", start="tomorrow 9am", attendees=["ann@example.com"])),
        policy(asks("calendar", "create_event", summary="Team", start="tomorrow 9am", calendar="team@group.example")),
        policy(asks("calendar", "add_task", title="Call the plumber")),
        policy(asks("gmail", "draft_email", to=["ann@example.com"], body="Draft only")),
    ]
    assert answers == [True, False, False, True, True]
    assert policy.declined == [
        "calendar.create_event (it invites attendees)",
        "calendar.create_event (not in the user's primary calendar)",
    ]


def test_an_allowed_action_outside_the_rule_is_still_declined_at_run_time() -> None:
    """A configuration that never went through the settings check (a library caller) cannot widen the rule."""
    policy = Unattended(["gmail.trash_emails", "twilio.send_sms"], own=OWN)
    assert policy(asks("gmail", "trash_emails", ids=["m1"])) is False
    assert policy.declined == ["gmail.trash_emails (never allowed unattended)"]


@pytest.mark.anyio
async def test_a_job_allowed_to_text_sends_to_the_users_own_phone_and_not_to_anyone_else(
    sandbox: SandboxHandle, settings: AideSettings, twilio: Any
) -> None:
    job = {"name": "texter", "when": "every day at 12:00", "what": "Text me, and Ann too.", "servers": ["twilio"],
           "deliver": ["mail"], "allow": ["twilio.send_sms"]}  # fmt: skip

    def model(messages: list[Message], tools: list[ToolSpec]) -> Any:
        if messages[-1].role == "user":
            return [call("twilio__send_sms", to=MY_PHONE, body="Note to self: water the plants"),
                    call("twilio__send_sms", to=ANNS_PHONE, body="Hi Ann, from Alex's assistant")]  # fmt: skip
        return "Texted you."

    sign_in_twilio(settings, sandbox, "default")
    noon = Clock(datetime(2026, 11, 20, 11, 0, tzinfo=UTC))  # 12:00 in Berlin
    stand = Stand(settings.with_tables(**sandbox_tables(sandbox, jobs=[job])), noon)
    [outcome] = (await Runner(stand.runner_schedule(), stand.servers, ScriptedModel(model), clock=noon).tick()).outcomes
    assert outcome.declined == ["twilio.send_sms (not to the user's own phone)"]
    sent = {number: [m.body for m in twilio.messages.list(to=number, limit=50) if "from Alex's" in m.body
                     or m.body.startswith("Note to self")] for number in (MY_PHONE, ANNS_PHONE)}  # fmt: skip
    assert sent == {MY_PHONE: ["Note to self: water the plants"], ANNS_PHONE: []}
