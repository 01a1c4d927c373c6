"""End to end: an assistant with aide's memory and Gmail servers (Gmail in-process and over stdio) against the
sandbox's Gmail emulator, with a scripted model that searches mail, replies, and answers. Sends are checked in the
sandbox mailbox through the real Gmail client, not through what the assistant reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from sandboxed import count, pointed_at, write_config

from aide_agent import ApprovalRequest, Assistant, Message, ScriptedModel, ServerConfig, ToolSpec, aide_server, call
from aide_agent.providers.scripted import Turn
from aide_core.settings import AideSettings
from aide_sandbox.app import SandboxHandle

pytestmark = pytest.mark.anyio
QUERY = "is:unread in:inbox -category:promotions -category:updates"


def found(messages: list[Message]) -> list[dict[str, Any]]:
    """The rows of the newest search result in the conversation."""
    return json.loads(messages[-1].text)["emails"]


def reply_to_postmortem(messages: list[Message], _: list[ToolSpec]) -> Turn:
    (invitation,) = [row for row in found(messages) if "Postmortem" in row["subject"]]
    return [call("gmail__reply", id=invitation["id"], body="Thanks José, I will be there.")]


def answer(messages: list[Message], _: list[ToolSpec]) -> str:
    outcome = messages[-1]
    if outcome.is_error:
        return "I did not send it."
    sent = json.loads(outcome.text)  # a guarded action's outcome: its status and the send's result
    return f"{sent['status']}: {sent['result']['subject']}"


def script() -> ScriptedModel:
    return ScriptedModel([[call("gmail__search_emails", query=QUERY, limit=10)], reply_to_postmortem, answer, "[]"])


def servers(sandbox: SandboxHandle, settings: AideSettings, over_stdio: bool, tmp_path: Path) -> list[ServerConfig]:
    if over_stdio:
        write_config(sandbox, tmp_path / "config.toml")  # the AIDE_CONFIG every test has; the child reads it
        gmail = aide_server("gmail", over_stdio=True, timeout=30)
    else:
        gmail = aide_server("gmail", settings=pointed_at(sandbox, settings))
    return [gmail, aide_server("memory", settings=settings)]


@pytest.mark.parametrize("over_stdio", [False, True], ids=["in-process", "stdio"])
@pytest.mark.parametrize("granted", [False, True], ids=["denied", "granted"])
async def test_a_reply_is_sent_exactly_once_when_approved_and_never_when_denied(
    sandbox: SandboxHandle, settings: AideSettings, gmail: Any, tmp_path: Path, over_stdio: bool, granted: bool
) -> None:
    sent_before = count(gmail, "SENT")
    asked: list[ApprovalRequest] = []

    def approve(request: ApprovalRequest) -> bool:
        asked.append(request)
        return granted

    model = script()
    with anyio.fail_after(30):
        async with Assistant(servers(sandbox, settings, over_stdio, tmp_path), model, approve=approve) as assistant:
            assert assistant.toolbox.failures == {}
            result = await assistant.run("Answer José's postmortem invitation.")
    assert [(r.kind, r.server, r.tool) for r in asked] == [("tool", "gmail", "reply")]  # asked once, not twice
    assert model.remaining == 0
    if granted:
        assert result.text == "done: Re: Invitation: Postmortem review @ Sun 22 Nov 2026 11:00 (UTC)"
        assert count(gmail, "SENT") == sent_before + 1
        newest = gmail.users().messages().list(userId="me", labelIds=["SENT"], maxResults=1).execute()["messages"][0]
        headers = gmail.users().messages().get(userId="me", id=newest["id"], format="metadata").execute()
        to = {h["name"]: h["value"] for h in headers["payload"]["headers"]}["To"]
        assert "jose.alvarez@northwind.example" in to
    else:
        assert result.text == "I did not send it."
        assert count(gmail, "SENT") == sent_before


async def test_the_search_reaches_the_emulator_and_the_model_answers_from_what_it_found(
    sandbox: SandboxHandle, settings: AideSettings, tmp_path: Path
) -> None:
    def summarise(messages: list[Message], _: list[ToolSpec]) -> str:
        return "; ".join(sorted(row["subject"].split(" @ ")[0] for row in found(messages)))

    model = ScriptedModel([[call("gmail__search_emails", query=QUERY)], summarise, "[]"])
    with anyio.fail_after(30):
        async with Assistant(servers(sandbox, settings, False, tmp_path), model) as assistant:
            result = await assistant.run("What is unread?")
    assert result.text == (
        "Action required: your mailbox is almost full; Invitation: Coffee with Siobhán; "
        "Invitation: Postmortem review; Invitation: Q4 offsite: Konstanz"
    )
    assert result.usage.servers["gmail"].calls == 1
