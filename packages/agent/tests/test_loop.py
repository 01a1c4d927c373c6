"""The loop end to end, with in-process servers and a scripted model."""

from __future__ import annotations

import pytest
from agent_stand_ins import notes_server

from aide_agent import ApprovalRequest, Assistant, ScriptedModel, call

pytestmark = pytest.mark.anyio


async def test_a_tool_call_runs_and_its_result_reaches_the_model_before_it_answers() -> None:
    server, counter = notes_server()
    model = ScriptedModel([[call("notes__search", query="rent")], lambda messages, _: f"saw: {messages[-1].text}"])
    async with Assistant([server], model) as assistant:
        result = await assistant.run("find rent")
    assert counter.calls == ["search:rent"]
    assert result.text == "saw: found rent"


async def test_a_declined_approval_means_the_destructive_tool_never_runs() -> None:
    server, counter = notes_server()
    asked: list[ApprovalRequest] = []

    def deny(request: ApprovalRequest) -> bool:
        asked.append(request)
        return False

    model = ScriptedModel([[call("notes__delete", note_id="n1")], lambda messages, _: messages[-1].text])
    async with Assistant([server], model, approve=deny) as assistant:
        result = await assistant.run("delete n1")
    assert counter.calls == []
    assert [(r.kind, r.server, r.tool, r.arguments) for r in asked] == [("tool", "notes", "delete", {"note_id": "n1"})]
    assert "declined" in result.text
