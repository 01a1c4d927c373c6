"""The OpenAI and Anthropic providers driving the real `AsyncOpenAI` / `AsyncAnthropic` clients against the
sandbox's scripted fakes: what goes over the wire (asserted on the fake's recorded requests) and what comes back.

The fakes listen on loopback only, so these tests switch `ALLOW_MODEL_REQUESTS` back on (the `fakes` fixture);
nothing here can reach a real model.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import pytest
from agent_stand_ins import notes_server
from anthropic import AsyncAnthropic
from mcp.server import MCPServer
from mcp.types import ToolAnnotations
from openai import AsyncOpenAI

from aide_agent import Assistant, Message, Model, aide_server
from aide_agent.messages import ResponseDone, StreamEvent, TextDelta
from aide_agent.providers import ModelError
from aide_agent.providers.anthropic import AnthropicModel
from aide_agent.providers.openai import OpenAIModel
from aide_sandbox.app import SandboxHandle
from aide_sandbox.llm import Reply, ToolCall

pytestmark = pytest.mark.anyio
CONVERSATION = [Message.system("Be brief."), Message.user("Hello?")]


@dataclass(frozen=True)
class Provider:
    """One fake endpoint and how to build a model of it."""

    endpoint: str
    connect: Callable[[SandboxHandle, int], Any]

    def model(self, client: Any) -> Model:
        if isinstance(client, AsyncOpenAI):
            return OpenAIModel("gpt-4o-mini", client=client)
        return AnthropicModel("claude-haiku-4-5", client=client)


def _openai(sandbox: SandboxHandle, retries: int) -> AsyncOpenAI:
    return AsyncOpenAI(base_url=sandbox.urls["openai"], api_key="sk-sandbox", max_retries=retries)


def _anthropic(sandbox: SandboxHandle, retries: int) -> AsyncAnthropic:
    return AsyncAnthropic(base_url=sandbox.urls["anthropic"], api_key="sk-ant-sandbox", max_retries=retries)


OPENAI = Provider("openai.chat", _openai)
ANTHROPIC = Provider("anthropic.messages", _anthropic)
#: What each fake says (the provider's documented wording), passed on without the SDK's "Error code: ..." wrapping.
ERROR_DETAILS = {
    ("openai.chat", 429): "Rate limit reached for requests. Please try again later.",
    ("openai.chat", 500): "The server had an error while processing your request. Sorry about that!",
    ("anthropic.messages", 429): "Number of requests has exceeded your rate limit.",
    ("anthropic.messages", 500): "Internal server error",
}
BOTH = pytest.mark.parametrize("provider", [OPENAI, ANTHROPIC], ids=["openai", "anthropic"])


@asynccontextmanager
async def connected(provider: Provider, sandbox: SandboxHandle, retries: int = 0) -> AsyncIterator[Model]:
    async with provider.connect(sandbox, retries) as client:
        with anyio.fail_after(20):
            yield provider.model(client)


def bodies(sandbox: SandboxHandle, provider: Provider) -> list[dict[str, Any]]:
    return [recorded.body for recorded in sandbox.llm.requests(provider.endpoint)]


def tagging_server() -> MCPServer:
    """`tag` takes an open object, which OpenAI's strict mode cannot express."""
    server = MCPServer("tags")

    @server.tool(annotations=ToolAnnotations(read_only_hint=True))
    def tag(note_id: str, metadata: dict[str, Any]) -> str:
        """Describe a tag."""
        return f"{note_id}: {sorted(metadata)}"

    return server


async def collect(events: AsyncIterator[StreamEvent]) -> tuple[list[str], ResponseDone]:
    pieces: list[str] = []
    done: ResponseDone | None = None
    async for event in events:
        if isinstance(event, TextDelta):
            pieces.append(event.text)
        elif isinstance(event, ResponseDone):
            done = event
    assert done is not None
    return pieces, done


# -- text, usage, errors: the same for both -------------------------------------------------------------------------


@BOTH
async def test_scripted_text_comes_back_with_the_usage_the_api_reported(
    fakes: SandboxHandle, provider: Provider
) -> None:
    fakes.llm.queue(provider.endpoint, Reply(text="Hi there.", input_tokens=31, output_tokens=4))
    async with connected(provider, fakes) as model:
        response = await model.request(CONVERSATION, [])
    assert (response.text, response.tool_calls) == ("Hi there.", [])
    assert (response.usage.input_tokens, response.usage.output_tokens, response.usage.requests) == (31, 4, 1)
    (body,) = bodies(fakes, provider)
    assert "tools" not in body


@BOTH
async def test_streamed_text_arrives_in_pieces_and_ends_with_the_whole_response_and_usage(
    fakes: SandboxHandle, provider: Provider
) -> None:
    fakes.llm.queue(provider.endpoint, Reply(text="Streaming works fine.", input_tokens=40, output_tokens=6))
    async with connected(provider, fakes) as model:
        pieces, done = await collect(model.stream(CONVERSATION, []))
    assert len(pieces) > 1 and "".join(pieces) == "Streaming works fine."
    assert done.response.text == "Streaming works fine."
    assert (done.response.usage.input_tokens, done.response.usage.output_tokens) == (40, 6)
    (body,) = bodies(fakes, provider)
    assert body["stream"] is True
    if provider is OPENAI:
        assert body["stream_options"] == {"include_usage": True}  # else the stream carries no usage


@BOTH
@pytest.mark.parametrize(("status", "words"), [(429, "rate limited, retry in 7 s"), (500, "failed (HTTP 500)")])
async def test_a_429_or_500_reaches_the_caller_as_a_model_error_saying_what_happened(
    fakes: SandboxHandle, provider: Provider, status: int, words: str
) -> None:
    retry_after = 7 if status == 429 else None
    fakes.llm.queue(provider.endpoint, Reply(status=status, retry_after=retry_after))
    async with connected(provider, fakes) as model:
        with pytest.raises(ModelError) as raised:
            await model.request(CONVERSATION, [])
    error = raised.value
    assert (error.status, error.retry_after, error.retryable) == (status, retry_after, True)
    assert str(error) == f"{model.name}: {words}: {ERROR_DETAILS[provider.endpoint, status]}"
    assert len(bodies(fakes, provider)) == 1  # max_retries=0: tried once


@BOTH
async def test_a_stream_that_fails_is_a_model_error_too(fakes: SandboxHandle, provider: Provider) -> None:
    fakes.llm.queue(provider.endpoint, Reply(status=500))
    async with connected(provider, fakes) as model:
        with pytest.raises(ModelError, match="HTTP 500"):
            await collect(model.stream(CONVERSATION, []))


@BOTH
async def test_with_retries_a_429_is_retried_after_the_wait_it_asked_for_and_then_succeeds(
    fakes: SandboxHandle, provider: Provider
) -> None:
    fakes.llm.queue(provider.endpoint, Reply(status=429, retry_after=0.01), Reply(text="Second time lucky."))
    async with connected(provider, fakes, retries=1) as model:
        response = await model.request(CONVERSATION, [])
    assert response.text == "Second time lucky."
    attempts = fakes.llm.requests(provider.endpoint)
    assert [r.headers.get("x-stainless-retry-count") for r in attempts] == ["0", "1"]


# -- tools, as each API shapes them -----------------------------------------------------------------------------------


async def run_with_notes(model: Model, text: str = "find rent and tax") -> tuple[str, Assistant]:
    notes, _ = notes_server()
    async with Assistant([notes, tagging_server()], model, retrieve=None, learn=None) as assistant:
        result = await assistant.run(text)
    return result.text, assistant


async def requests_around(
    fakes: SandboxHandle, provider: Provider, calls: list[ToolCall], answer: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A run where the model makes `calls` at once and then answers: the request before them and the one after."""
    fakes.llm.queue(provider.endpoint, Reply(tool_calls=calls), Reply(text=answer))
    async with connected(provider, fakes) as model:
        text, _ = await run_with_notes(model)
    assert text == answer
    first, follow_up = bodies(fakes, provider)
    return first, follow_up


async def test_openai_tools_are_strict_only_where_the_schema_allows_it(fakes: SandboxHandle) -> None:
    fakes.llm.queue("openai.chat", Reply(text="Nothing to do."))
    async with connected(OPENAI, fakes) as model:
        await run_with_notes(model)
    (body,) = bodies(fakes, OPENAI)
    functions = {tool["function"]["name"]: tool["function"] for tool in body["tools"]}
    assert {tool["type"] for tool in body["tools"]} == {"function"}
    assert functions["notes__search"]["strict"] is True
    assert functions["notes__search"]["parameters"]["additionalProperties"] is False
    assert "strict" not in functions["tags__tag"]  # an open object: sent as it is, non-strict


async def test_openai_parallel_tool_calls_run_and_the_follow_up_carries_each_tool_message(
    fakes: SandboxHandle,
) -> None:
    calls = [
        ToolCall("notes__search", {"query": "rent"}, "call_a"),
        ToolCall("notes__search", {"query": "tax"}, "call_b"),
    ]
    first, follow_up = await requests_around(fakes, OPENAI, calls, "Rent and tax found.")
    assistant_turn, *tool_turns = follow_up["messages"][-3:]
    assert [c["id"] for c in assistant_turn["tool_calls"]] == ["call_a", "call_b"]
    assert tool_turns == [
        {"role": "tool", "tool_call_id": "call_a", "content": "found rent"},
        {"role": "tool", "tool_call_id": "call_b", "content": "found tax"},
    ]
    assert follow_up["messages"][: len(first["messages"])] == first["messages"]


async def test_openai_streamed_tool_call_arguments_are_joined_from_their_fragments(fakes: SandboxHandle) -> None:
    arguments = {"query": "quarterly rent statement", "limit": 3}
    fakes.llm.queue("openai.chat", Reply(tool_calls=[ToolCall("notes__search", arguments, "call_s")]))
    async with connected(OPENAI, fakes) as model:
        _, done = await collect(model.stream(CONVERSATION, []))
    (call,) = done.response.tool_calls
    assert (call.id, call.name, call.arguments, done.response.stop_reason) == (
        "call_s",
        "notes__search",
        arguments,
        "tool_calls",
    )


async def test_anthropic_gets_the_system_prompt_on_top_and_tools_as_input_schema(fakes: SandboxHandle) -> None:
    fakes.llm.queue("anthropic.messages", Reply(text="Nothing to do."))
    async with connected(ANTHROPIC, fakes) as model:
        await run_with_notes(model)
    (body,) = bodies(fakes, ANTHROPIC)
    assert body["system"].startswith("You are")
    assert all(message["role"] != "system" for message in body["messages"])
    tools = {tool["name"]: tool for tool in body["tools"]}
    assert tools["notes__search"]["input_schema"]["required"] == ["query"]
    assert "strict" not in tools["notes__search"]
    assert body["max_tokens"] > 0


async def test_anthropic_parallel_tool_uses_run_and_the_follow_up_carries_tool_result_blocks(
    fakes: SandboxHandle,
) -> None:
    calls = [
        ToolCall("notes__search", {"query": "rent"}, "toolu_a"),
        ToolCall("notes__delete", {"note_id": "7"}, "toolu_b"),  # no approval callback: declined
    ]
    _, follow_up = await requests_around(fakes, ANTHROPIC, calls, "Found rent; did not delete.")
    tool_uses, results = follow_up["messages"][-2:]
    assert [block["id"] for block in tool_uses["content"] if block["type"] == "tool_use"] == ["toolu_a", "toolu_b"]
    assert results["role"] == "user"
    assert results["content"][0] == {"type": "tool_result", "tool_use_id": "toolu_a", "content": "found rent"}
    declined = results["content"][1]
    assert (declined["tool_use_id"], declined["is_error"]) == ("toolu_b", True)
    assert "declined" in declined["content"]


async def test_anthropic_streamed_tool_input_is_assembled_from_its_json_fragments(fakes: SandboxHandle) -> None:
    arguments = {"query": "quarterly rent statement", "limit": 3}
    reply = Reply(text="Looking.", tool_calls=[ToolCall("notes__search", arguments, "toolu_s")])
    fakes.llm.queue("anthropic.messages", reply)
    async with connected(ANTHROPIC, fakes) as model:
        pieces, done = await collect(model.stream(CONVERSATION, []))
    assert "".join(pieces) == "Looking."
    (call,) = done.response.tool_calls
    assert (call.id, call.arguments, done.response.stop_reason) == ("toolu_s", arguments, "tool_use")


# -- a whole run ------------------------------------------------------------------------------------------------------


@BOTH
@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
async def test_a_full_run_with_memory_recalls_answers_and_learns_through_the_fake(
    fakes: SandboxHandle, provider: Provider, stream: bool
) -> None:
    learned = '[{"content": "Drinks green tea", "category": "preference", "confidence": 0.9}]'
    fakes.llm.queue(
        provider.endpoint,
        Reply(tool_calls=[ToolCall("memory__recall", {"query": "tea"})], input_tokens=100, output_tokens=10),
        Reply(text="I will remember that.", input_tokens=150, output_tokens=7),
        Reply(text=learned, input_tokens=50, output_tokens=20),
    )
    async with connected(provider, fakes) as model, Assistant([aide_server("memory")], model, stream=stream) as a:
        first = await a.run("I drink green tea.")
        fakes.llm.queue(provider.endpoint, Reply(text="Green tea."), Reply(text="[]"))
        second = await a.run("What do I drink?")
    assert first.text == "I will remember that."
    assert [item["content"] for item in first.learned] == ["Drinks green tea"]
    assert (first.usage.model.requests, first.usage.model.input_tokens, first.usage.model.output_tokens) == (
        3,
        300,
        37,
    )
    assert first.usage.servers["memory"].calls == 1
    assert second.text == "Green tea."
    asked = bodies(fakes, provider)[3]
    assert "Drinks green tea" in str(asked)  # retrieved from memory into the next request's context
