"""Each example in examples/ runs in the tests with a scripted model."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio
import pytest
from sandboxed import count, drafts, pointed_at

from aide_agent import ApprovalRequest, Message, ScriptedModel, ToolSpec, call
from aide_core.settings import AideSettings
from aide_sandbox.app import SandboxHandle
from aide_sandbox.llm import Reply
from aide_sandbox.llm import ToolCall as FakeCall

pytestmark = pytest.mark.anyio
COFFEE = "1a1d4a510f0000b5"  # the seed's invitation to coffee with Siobhán
POSTMORTEM = "1a1e62ec050000bf"  # and José's to a postmortem review
EXAMPLES = Path(__file__).parents[3] / "examples"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the example is imported
    spec.loader.exec_module(module)
    return module


def propose(messages: list[Message], _: list[ToolSpec]) -> str:
    context = " ".join(m.text for m in messages if m.role == "system")
    return "How about 2 PM?" if "afternoon" in context else "How about 9 AM?"


async def test_the_memory_example_proposes_an_afternoon_after_learning_the_preference() -> None:
    example = load("memory_assistant")
    learned = [{"content": "Prefers meetings in the afternoon, never before noon", "category": "preference"}]
    model = ScriptedModel(["Noted.", json.dumps(learned), propose, "[]"])
    demo = await example.run_demo(model)
    assert [item["content"] for item in demo.first.learned] == [learned[0]["content"]]
    assert demo.second.text == "How about 2 PM?"


async def test_the_composition_example_routes_to_aide_and_third_party_tools_and_asks_before_adding() -> None:
    example = load("compose_servers")
    asked: list[ApprovalRequest] = []
    model = ScriptedModel(
        [
            [call("todo__add", item="book flights")],
            [call("todo__list_items"), call("activity__list_activity")],
            lambda m, _: f"On your list: {m[-2].text}",
        ]
    )
    result, assistant = await example.run_demo(model, approve=lambda r: asked.append(r) or True)
    names = {info.exposed for info in assistant.toolbox.tools}
    assert {"todo__add", "todo__list_items", "memory__recall", "activity__list_activity"} <= names
    assert [(r.server, r.tool) for r in asked] == [("todo", "add")]
    assert result.text == 'On your list: ["book flights"]'


async def test_the_mail_triage_example_summarises_unread_mail_and_saves_approved_drafts_without_sending(
    sandbox: SandboxHandle, settings: AideSettings, gmail: Any
) -> None:
    example = load("mail_triage")
    sent, drafted = count(gmail, "SENT"), len(drafts(gmail))
    asked: list[ApprovalRequest] = []

    def approve(request: ApprovalRequest) -> bool:
        asked.append(request)
        return (request.arguments or {}).get("reply_to_id") != COFFEE  # one of the three proposals is declined

    model = example.scripted_model()
    with anyio.fail_after(30):
        result = await example.triage(model, settings=pointed_at(sandbox, settings), approve=approve)
    assert [(r.server, r.tool) for r in asked] == [("gmail", "draft_email")] * 3
    assert result.text.splitlines() == [
        "Unread mail that matters:",
        "- José Álvarez <jose.alvarez@northwind.example>: "
        "Invitation: Postmortem review @ Sun 22 Nov 2026 11:00 (UTC) (draft reply saved)",
        "- IT Service Desk <helpdesk@northwind-it-support.example>: Action required: your mailbox is almost full",
        "- Siobhán Ní Bhriain <siobhan@greenfield.example>: "
        "Invitation: Coffee with Siobhán @ Wed 25 Nov 2026 10:00 (UTC)",
        "- Priya Raman <priya.raman@northwind.example>: "
        "Invitation: Q4 offsite: Konstanz @ Fri 04 Dec 2026 09:00 (UTC) (draft reply saved)",
    ]
    assert len(drafts(gmail)) == drafted + 2
    assert count(gmail, "SENT") == sent
    assert model.remaining == 0


async def test_the_mail_triage_example_runs_with_the_openai_provider_against_the_sandbox_fake(
    fakes: SandboxHandle, settings: AideSettings, gmail: Any
) -> None:
    from openai import AsyncOpenAI

    from aide_agent.providers.openai import OpenAIModel

    example = load("mail_triage")
    drafted = len(drafts(gmail))
    fakes.llm.queue(
        "openai.chat",
        Reply(tool_calls=[FakeCall("gmail__search_emails", {"query": example.IMPORTANT_UNREAD})]),
        Reply(tool_calls=[FakeCall("gmail__draft_email", {"reply_to_id": POSTMORTEM, "body": "I will be there."})]),
        Reply(text="One invitation needs you; a draft reply is saved."),
        Reply(text="[]"),
    )
    async with AsyncOpenAI(base_url=fakes.urls["openai"], api_key="sk-sandbox", max_retries=0) as client:
        with anyio.fail_after(30):
            result = await example.triage(
                OpenAIModel("gpt-4o-mini", client=client), settings=pointed_at(fakes, settings), approve=lambda _: True
            )
    assert result.text == "One invitation needs you; a draft reply is saved."
    assert len(drafts(gmail)) == drafted + 1
    searched = fakes.llm.requests("openai.chat")[1].body["messages"][-1]
    assert searched["role"] == "tool" and POSTMORTEM in searched["content"]  # the emulator's rows reached the model


def run_example(name: str, *arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The example as a person runs it: a subprocess with no terminal (stdin empty), and no model key."""
    clean = {k: v for k, v in os.environ.items() if k not in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY")}
    path = EXAMPLES / f"{name}.py"
    return subprocess.run(
        [sys.executable, str(path), *arguments],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        env=clean | (env or {}),
    )


@pytest.mark.parametrize("name", ["mail_triage", "compose_servers", "memory_assistant"])
def test_an_example_run_without_a_key_says_so_in_one_line(name: str) -> None:
    run = run_example(name)
    assert (run.returncode, run.stdout) == (1, "")
    assert run.stderr == f"{name}: set ANTHROPIC_API_KEY, or choose another model with --model\n"


def test_mail_triage_without_a_terminal_declines_the_drafts_and_still_answers() -> None:
    run = run_example("mail_triage", "--sandbox", "--model", "scripted")
    assert run.returncode == 0, run.stderr
    assert "declined (no terminal to ask on): gmail: draft_email(" in run.stderr
    assert "Traceback" not in run.stderr
    assert run.stdout.startswith("Unread mail that matters:\n")
