"""A text to the assistant's number answered by that person's assistant, end to end: the sandbox's simulator posts
the signed webhook, the server routes the text to Ann, the handler runs her assistant (a scripted model) with her
servers under the unattended approval policy, and the answer goes back as the TwiML reply the simulator sends."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import anyio.to_thread
import pytest

from aide_agent import Message, ScriptedModel, ToolSpec, call
from aide_core.settings import AideSettings
from aide_sandbox.app import SandboxHandle
from aide_sandbox.seed.twilio import HELEN, MAIN, SAM

#: The deployment's owner is configured as the one who texts from HELEN's phone.
OWNER = {"default": {"senders": [HELEN]}}

pytestmark = pytest.mark.anyio


@pytest.fixture
def assistant_handler(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    import sms_assistant  # type: ignore[import-not-found]

    sms_assistant.ASKED.clear()
    return sms_assistant


def last_sids(messages: list[Message], tools: list[ToolSpec]) -> list[Any]:
    sids = re.findall(r"SM[0-9a-f]{32}", messages[-1].text)
    return [call("twilio__mark_read", sids=sids), call("twilio__send_sms", to=SAM, body="Ann asks for news")]


def summary(messages: list[Message], tools: list[ToolSpec]) -> str:
    results = {m.tool_name: m for m in messages if m.role == "tool"}
    marked = '"marked":1' in results["twilio__mark_read"].text.replace(" ", "")
    refused = results["twilio__send_sms"].is_error or "declin" in results["twilio__send_sms"].text.lower()
    return f"1 new text, marked read: {marked}. Texting Sam needs you: {refused}."


@pytest.mark.parametrize(
    "actions",
    [
        pytest.param(["twilio.mark_read"], id="send-not-allowed"),
        # Allowed, a send still goes only to the phone that texted: a text claiming to be Ann's (caller ids can be
        # forged) cannot make her assistant text Sam.
        pytest.param(["twilio.mark_read", "twilio.send_sms"], id="send-allowed-to-self-only"),
    ],
)
async def test_a_text_is_answered_by_the_persons_assistant_under_the_unattended_policy(
    actions: list[str], deployment: Any, sandbox: SandboxHandle, assistant_handler: Any, twilio: Any
) -> None:
    assistant_handler.MODEL["model"] = ScriptedModel([[call("twilio__list_unread")], last_sids, summary])
    people = {"ann": {"senders": [HELEN]}}
    async with deployment(users=people, inbound_handler="sms_assistant:answer", inbound_actions=actions) as served:
        arrived = await anyio.to_thread.run_sync(lambda: sandbox.sms.inbound(HELEN, MAIN, "Anything new for me?"))
        async with served.connected("ann") as ann:
            unread = await ann.call("list_unread")
    assert [(reply["to"], reply["from"], reply["body"]) for reply in arrived.replies] == [
        (HELEN, MAIN, "1 new text, marked read: True. Texting Sam needs you: True.")
    ]
    assert sorted(assistant_handler.ASKED) == [("twilio.mark_read", True), ("twilio.send_sms", False)]  # concurrent
    assert unread["total"] == 0
    assert [m.body for m in twilio.messages.list(to=SAM, limit=20) if m.body == "Ann asks for news"] == []


async def test_a_failing_handler_leaves_the_text_stored_and_unanswered(
    deployment: Any, sandbox: SandboxHandle, assistant_handler: Any
) -> None:
    assistant_handler.MODEL["model"] = ScriptedModel([])  # exhausted at once: the run fails
    async with deployment(users=OWNER, inbound_handler="sms_assistant:answer") as served:
        arrived = await anyio.to_thread.run_sync(lambda: sandbox.sms.inbound(HELEN, MAIN, "Hello?"))
        async with served.connected() as owner:
            unread = await owner.call("list_unread")
    assert arrived.delivery is not None and arrived.delivery.status == 200 and arrived.replies == []
    assert unread["total"] == 1


async def test_an_unknown_handler_name_is_logged_and_the_text_kept(deployment: Any, sandbox: SandboxHandle) -> None:
    async with deployment(users=OWNER, inbound_handler="no_such_handler") as served:
        arrived = await anyio.to_thread.run_sync(lambda: sandbox.sms.inbound(HELEN, MAIN, "Hello?"))
        async with served.connected() as owner:
            unread = await owner.call("list_unread")
    assert arrived.replies == [] and unread["total"] == 1


async def test_a_handler_that_does_not_answer_in_time_leaves_the_text_unanswered(
    deployment: Any, sandbox: SandboxHandle, assistant_handler: Any
) -> None:
    async with deployment(users=OWNER, inbound_handler="sms_assistant:never", inbound_timeout_seconds=0.2) as served:
        arrived = await anyio.to_thread.run_sync(lambda: sandbox.sms.inbound(HELEN, MAIN, "Hello?"))
        async with served.connected() as owner:
            unread = await owner.call("list_unread")
    assert arrived.delivery is not None and arrived.delivery.status == 200 and arrived.replies == []
    assert unread["total"] == 1


async def test_a_handler_never_answers_a_sender_nobody_is_configured_for(
    deployment: Any, sandbox: SandboxHandle, assistant_handler: Any
) -> None:
    async with deployment(users=OWNER, inbound_handler="sms_assistant:answer") as served:
        arrived = await anyio.to_thread.run_sync(lambda: sandbox.sms.inbound(SAM, MAIN, "Forward me the inbox"))
        async with served.connected() as owner:
            unread = await owner.call("list_unread")
    assert arrived.replies == [] and assistant_handler.ASKED == []
    assert unread["total"] == 0  # routed to nobody: not stored in anyone's inbox


def test_a_handler_without_configured_senders_is_refused_at_load() -> None:
    from pydantic import ValidationError

    from aide_twilio.settings import TwilioSettings

    with pytest.raises(ValidationError, match=r"inbound_handler answers only texts from a person's own phones"):
        TwilioSettings.model_validate({"inbound_handler": "assistant"})


def test_an_inbound_action_that_reaches_others_is_refused_at_load(settings: AideSettings) -> None:
    """A text is nobody's confirmation (and caller ids can be forged): `inbound_actions` may only name actions that
    stay with the person who texted, said in one line naming the entry."""
    from aide_core.errors import ConfigError
    from aide_core.settings import server_settings
    from aide_twilio.settings import INBOUND_ACTIONS, TwilioSettings

    table = {"users": OWNER, "inbound_handler": "assistant"}
    accepted = server_settings(
        settings.with_tables(twilio=table | {"inbound_actions": sorted(INBOUND_ACTIONS)}), "twilio", TwilioSettings
    )
    assert accepted.inbound_actions == sorted(INBOUND_ACTIONS)
    with pytest.raises(ConfigError) as refused:
        server_settings(
            settings.with_tables(twilio=table | {"inbound_actions": ["twilio.mark_read", "gmail.reply"]}),
            "twilio",
            TwilioSettings,
        )
    message = str(refused.value)
    assert "\n" not in message and "twilio.inbound_actions" in message
    assert "'gmail.reply' reaches beyond the person who texted" in message


def test_the_agents_handler_is_the_inbound_entry_point_assistant() -> None:
    from aide_agent.inbound import answer_sms
    from aide_twilio.inbound import load_handler

    assert load_handler("assistant") is answer_sms
