"""Latency faults on every newer service: the answer still comes, only later (measured, not waited for)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from aide_sandbox.app import SandboxHandle
from aide_sandbox.llm import Reply

DELAY = 0.15


def calendar_call(sandbox: SandboxHandle) -> Any:
    return sandbox.calendar().colors().get().execute()["kind"]


def notion_call(sandbox: SandboxHandle) -> Any:
    me: Any = sandbox.notion(retry=False).users.me()
    return me["object"]


def twilio_call(sandbox: SandboxHandle) -> Any:
    return sandbox.twilio().messages.list(limit=1)[0].api_version


def openai_call(sandbox: SandboxHandle) -> Any:
    sandbox.llm.queue("openai.chat", Reply(text="late"))
    return sandbox.openai().chat.completions.create(model="m", messages=[]).choices[0].message.content


def anthropic_call(sandbox: SandboxHandle) -> Any:
    sandbox.llm.queue("anthropic.messages", Reply(text="late"))
    return sandbox.anthropic().messages.create(model="m", max_tokens=5, messages=[]).content[0].text


@pytest.mark.parametrize(
    ("match", "call", "expected"),
    [
        ("calendar.colors.get", calendar_call, "calendar#colors"),
        ("notion.users.me", notion_call, "user"),
        ("twilio.messages.list", twilio_call, "2010-04-01"),
        ("openai.chat.completions", openai_call, "late"),
        ("anthropic.messages", anthropic_call, "late"),
    ],
)
def test_a_delay_fault_makes_the_answer_late_but_right(
    sandbox: SandboxHandle, match: str, call: Callable[[SandboxHandle], Any], expected: Any
) -> None:
    fault = sandbox.faults.inject(match, delay=DELAY)
    started = time.perf_counter()
    assert call(sandbox) == expected
    assert time.perf_counter() - started >= DELAY
    assert fault.hits == 1
