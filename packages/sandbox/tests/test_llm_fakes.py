"""The scripted OpenAI and Anthropic fakes through the real `openai` and `anthropic` SDKs: text, tool calls
(parallel too), follow-ups carrying tool results, streaming, errors, retries, faults and the admin API."""

from __future__ import annotations

import json
from typing import Any, cast

import anthropic
import httpx
import openai
import pytest

from aide_sandbox.app import SandboxHandle
from aide_sandbox.llm import Reply, ToolCall

USER = [{"role": "user", "content": "Text Helen that I'm late"}]
TOOLS = [{"type": "function", "function": {"name": "send_sms", "parameters": {"type": "object"}}}]


def body_of(error: openai.APIStatusError | anthropic.APIStatusError) -> dict[str, Any]:
    """The parsed error body (the SDKs type it `object | None`)."""
    assert isinstance(error.body, dict)
    return cast(dict[str, Any], error.body)


CLAUDE_TOOLS = [{"name": "send_sms", "description": "Send an SMS", "input_schema": {"type": "object"}}]


def test_openai_chat_answers_text_and_records_the_request(sandbox: SandboxHandle, openai_client: Any) -> None:
    sandbox.llm.queue("openai.chat", Reply(text="On it."))
    answer = openai_client.chat.completions.create(model="gpt-test", messages=USER)
    assert (answer.choices[0].message.content, answer.choices[0].finish_reason) == ("On it.", "stop")
    assert answer.usage.total_tokens == 20 and answer.model == "gpt-test"
    (seen,) = sandbox.llm.requests("openai.chat")
    assert seen.path == "/v1/chat/completions" and seen.body["messages"] == USER
    assert seen.headers["authorization"] == "Bearer sk-sandbox"


def test_openai_parallel_tool_calls_and_the_follow_up(sandbox: SandboxHandle, openai_client: Any) -> None:
    sandbox.llm.queue(
        "openai.chat",
        Reply(tool_calls=[ToolCall("send_sms", {"to": "+14155552671", "body": "Late!"}), ToolCall("lookup", {})]),
        Reply(text="Sent."),
    )
    first = openai_client.chat.completions.create(model="gpt-test", messages=USER, tools=TOOLS)
    calls = first.choices[0].message.tool_calls
    assert first.choices[0].finish_reason == "tool_calls"
    assert [(c.function.name, json.loads(c.function.arguments)) for c in calls] == [
        ("send_sms", {"to": "+14155552671", "body": "Late!"}),
        ("lookup", {}),
    ]
    follow_up = [
        *USER,
        first.choices[0].message.model_dump(exclude_none=True),
        *({"role": "tool", "tool_call_id": c.id, "content": "ok"} for c in calls),
    ]
    assert openai_client.chat.completions.create(model="gpt-test", messages=follow_up).choices[0].message.content == (
        "Sent."
    )
    second = sandbox.llm.requests("openai.chat")[1].body
    assert [m["role"] for m in second["messages"]] == ["user", "assistant", "tool", "tool"]
    assert second["messages"][2]["tool_call_id"] == calls[0].id
    assert sandbox.llm.requests("openai.chat")[0].body["tools"] == TOOLS


def test_openai_chat_streams_text_tool_calls_and_usage(sandbox: SandboxHandle, openai_client: Any) -> None:
    sandbox.llm.queue("openai.chat", Reply(text="Hello from the sandbox", tool_calls=[ToolCall("f", {"n": 1})]))
    stream = openai_client.chat.completions.create(
        model="gpt-test", messages=USER, stream=True, stream_options={"include_usage": True}
    )
    text, arguments, finish, usage = "", "", None, None
    for chunk in stream:
        if chunk.usage:
            usage = chunk.usage.total_tokens
        for choice in chunk.choices:
            text += choice.delta.content or ""
            arguments += "".join(call.function.arguments or "" for call in choice.delta.tool_calls or [])
            finish = choice.finish_reason or finish
    assert (text, json.loads(arguments), finish, usage) == ("Hello from the sandbox", {"n": 1}, "tool_calls", 20)


def test_openai_responses_with_text_and_function_calls(sandbox: SandboxHandle, openai_client: Any) -> None:
    sandbox.llm.queue(
        "openai.responses", Reply(text="Hi via responses"), Reply(tool_calls=[ToolCall("send_sms", {"to": "+1"})])
    )
    assert openai_client.responses.create(model="gpt-test", input="hi").output_text == "Hi via responses"
    call = openai_client.responses.create(model="gpt-test", input="hi", instructions="be brief").output[0]
    assert (call.type, call.name, json.loads(call.arguments)) == ("function_call", "send_sms", {"to": "+1"})
    assert sandbox.llm.requests("openai.responses")[1].body["instructions"] == "be brief"


def test_openai_responses_stream_to_a_final_response(sandbox: SandboxHandle, openai_client: Any) -> None:
    sandbox.llm.queue("openai.responses", Reply(text="streamed words", tool_calls=[ToolCall("f", {"q": 2})]))
    with openai_client.responses.stream(model="gpt-test", input="hi") as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == "streamed words" == final.output_text
    assert [item.type for item in final.output] == ["message", "function_call"]


def test_anthropic_messages_answer_text_and_parallel_tool_use(sandbox: SandboxHandle, anthropic_client: Any) -> None:
    sandbox.llm.queue(
        "anthropic.messages",
        Reply(text="Sending.", tool_calls=[ToolCall("send_sms", {"to": "+1"}), ToolCall("send_sms", {"to": "+2"})]),
        Reply(text="Done."),
    )
    first = anthropic_client.messages.create(
        model="claude-test", max_tokens=200, system="You are aide.", messages=USER, tools=CLAUDE_TOOLS
    )
    assert first.stop_reason == "tool_use" and first.content[0].text == "Sending."
    uses = [block for block in first.content if block.type == "tool_use"]
    assert [u.input for u in uses] == [{"to": "+1"}, {"to": "+2"}]
    results = [{"type": "tool_result", "tool_use_id": u.id, "content": "sent"} for u in uses]
    messages = [*USER, {"role": "assistant", "content": first.content}, {"role": "user", "content": results}]
    done = anthropic_client.messages.create(model="claude-test", max_tokens=200, messages=messages)
    assert (done.content[0].text, done.stop_reason) == ("Done.", "end_turn")
    seen = sandbox.llm.requests("anthropic.messages")
    assert seen[0].path == "/v1/messages" and seen[0].body["system"] == "You are aide."
    assert seen[1].body["messages"][2]["content"][0]["tool_use_id"] == uses[0].id
    assert "anthropic-version" in seen[0].headers


def test_anthropic_streams_text_and_tool_input(sandbox: SandboxHandle, anthropic_client: Any) -> None:
    sandbox.llm.queue("anthropic.messages", Reply(text="Hello", tool_calls=[ToolCall("send_sms", {"to": "+1555"})]))
    with anthropic_client.messages.stream(model="claude-test", max_tokens=100, messages=USER) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "Hello" and final.stop_reason == "tool_use"
    assert final.content[1].input == {"to": "+1555"}


def test_scripted_rate_limits_raise_each_sdks_error(
    sandbox: SandboxHandle, openai_client: Any, anthropic_client: Any
) -> None:
    sandbox.llm.queue("openai.chat", Reply(status=429, retry_after=7))
    sandbox.llm.queue("anthropic.messages", Reply(status=429, retry_after=7))
    with pytest.raises(openai.RateLimitError) as limited:
        openai_client.chat.completions.create(model="gpt-test", messages=USER)
    assert limited.value.response.headers["retry-after"] == "7"
    assert body_of(limited.value)["code"] == "rate_limit_exceeded"
    with pytest.raises(anthropic.RateLimitError) as claude_limited:
        anthropic_client.messages.create(model="claude-test", max_tokens=10, messages=USER)
    assert body_of(claude_limited.value)["error"]["type"] == "rate_limit_error"


def test_the_sdks_retry_a_scripted_500_and_get_the_next_reply(sandbox: SandboxHandle) -> None:
    sandbox.llm.queue("openai.chat", Reply(status=500, retry_after=0.01), Reply(text="second try"))
    client = sandbox.openai(max_retries=1)
    assert client.chat.completions.create(model="gpt-test", messages=USER).choices[0].message.content == "second try"
    assert [r.headers["x-stainless-retry-count"] for r in sandbox.llm.requests("openai.chat")] == ["0", "1"]


def test_an_unscripted_turn_fails_at_once_without_retries(sandbox: SandboxHandle) -> None:
    client = sandbox.anthropic(max_retries=2)
    with pytest.raises(anthropic.InternalServerError) as failed:
        client.messages.create(model="claude-test", max_tokens=10, messages=USER)
    assert "no scripted reply" in str(failed.value)
    assert len(sandbox.llm.requests("anthropic.messages")) == 1


def test_injected_faults_reach_both_sdks(sandbox: SandboxHandle, openai_client: Any, anthropic_client: Any) -> None:
    sandbox.faults.inject("anthropic.messages", status=503)
    with pytest.raises(anthropic.InternalServerError) as overloaded:
        anthropic_client.messages.create(model="claude-test", max_tokens=10, messages=USER)
    assert overloaded.value.status_code == 503 and body_of(overloaded.value)["error"]["type"] == "overloaded_error"
    sandbox.faults.inject("openai.chat.completions", drop=True)
    with pytest.raises(openai.APIConnectionError):
        openai_client.chat.completions.create(model="gpt-test", messages=USER)
    assert sandbox.llm.requests("openai.chat") == []  # faults strike before the script is read


def test_requests_without_a_key_or_a_required_field_are_refused(sandbox: SandboxHandle) -> None:
    with httpx.Client() as http:
        no_key = http.post(sandbox.urls["openai"] + "/chat/completions", json={"model": "m", "messages": []})
        no_max = http.post(
            sandbox.urls["anthropic"] + "/v1/messages",
            headers={"x-api-key": "k"},
            json={"model": "claude-test", "messages": USER},
        )
    assert no_key.status_code == 401 and no_key.json()["error"]["code"] == "invalid_api_key"
    assert no_max.status_code == 400 and no_max.json()["error"]["message"] == "max_tokens: Field required"


def test_the_admin_api_scripts_replies_and_shows_requests(sandbox: SandboxHandle, openai_client: Any) -> None:
    with httpx.Client(base_url=sandbox.admin_url) as admin:
        queued = admin.post("llm/openai.chat", json={"replies": [{"tool_calls": [{"name": "f", "arguments": {}}]}]})
        assert queued.status_code == 201 and queued.json()["pending"] == 1
        answer = openai_client.chat.completions.create(model="gpt-test", messages=USER)
        assert answer.choices[0].message.tool_calls[0].function.name == "f"
        seen = admin.get("llm/openai.chat").json()
        assert (len(seen["requests"]), seen["pending"]) == (1, 0)
        assert admin.post("llm/nonsense", json={"replies": []}).status_code == 400


def test_a_reset_empties_the_script(sandbox: SandboxHandle) -> None:
    sandbox.llm.queue("openai.responses", Reply(text="left over"))
    sandbox.reset()
    assert sandbox.llm.pending("openai.responses") == 0
