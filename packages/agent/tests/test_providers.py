"""Provider conversions without a network: schemas, messages, and responses parsed from the SDKs' own types.

The requests themselves are tested against the sandbox's fake OpenAI and Anthropic endpoints with the real SDKs.
"""

from __future__ import annotations

import pytest
from anthropic.types import Message as AnthropicMessage
from openai.types.chat import ChatCompletion

from aide_agent import Message, ToolCall, ToolSpec, infer_model
from aide_agent.providers import MissingCredentials, ModelRequestsDisabled
from aide_agent.providers.anthropic import AnthropicModel, parse_message, to_anthropic_messages, to_anthropic_tool
from aide_agent.providers.openai import OpenAIModel, parse_arguments, to_openai_messages, to_openai_tool
from aide_core.strict import openai_strict

RECALL = {
    "type": "object",
    "properties": {
        "query": {"type": "string", "minLength": 1, "maxLength": 2000},
        "limit": {"type": "integer", "default": 10, "minimum": 1, "maximum": 50},
        "categories": {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}], "default": None},
    },
    "required": ["query"],
}

CONVERSATION = [
    Message.system("be brief"),
    Message.user("find rent"),
    Message.assistant("Looking.", [ToolCall(id="call_1", name="notes__search", arguments={"query": "rent"})]),
    Message.tool(ToolCall(id="call_1", name="notes__search"), "found rent"),
    Message.assistant("It is 900."),
    Message.user("thanks"),
]


def test_a_closed_schema_becomes_strict_with_optional_parameters_nullable_and_required() -> None:
    converted = openai_strict(RECALL)
    assert converted.strict
    assert converted.schema == {
        "type": "object",
        "properties": {
            "query": {"type": "string"},
            "limit": {"type": ["integer", "null"], "minimum": 1, "maximum": 50},
            "categories": {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}]},
        },
        "required": ["query", "limit", "categories"],
        "additionalProperties": False,
    }
    assert converted.optional == {"limit", "categories"}
    assert RECALL["required"] == ["query"]  # the tool's own schema is left as it was


def test_a_schema_with_an_open_object_stays_non_strict() -> None:
    open_object = {"type": "object", "properties": {"metadata": {"type": "object", "additionalProperties": True}}}
    converted = openai_strict(open_object)
    assert not converted.strict and converted.schema is open_object
    assert "strict" not in to_openai_tool(ToolSpec(name="t", parameters=open_object))["function"]


def test_an_optional_nested_field_becomes_nullable_and_its_null_is_dropped_from_the_call() -> None:
    nested = {
        "type": "object",
        "properties": {
            "item": {"$ref": "#/$defs/Item"},
            "items": {"type": "array", "items": {"$ref": "#/$defs/Item"}},
        },
        "required": ["item"],
        "$defs": {"Item": {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}}},
    }
    converted = openai_strict(nested)
    assert converted.strict
    assert converted.schema["$defs"]["Item"] == {
        "type": "object",
        "properties": {"a": {"type": ["string", "null"]}, "b": {"type": ["string", "null"]}},
        "required": ["a", "b"],
        "additionalProperties": False,
    }
    raw = '{"item": {"a": "x", "b": null}, "items": [{"a": null, "b": "y"}]}'
    parsed = parse_arguments("call_1", "t", raw, converted=converted)
    assert parsed.arguments == {"item": {"a": "x"}, "items": [{"b": "y"}]}


def test_nulls_for_optional_parameters_are_dropped_so_the_server_applies_its_defaults() -> None:
    optional = openai_strict(RECALL).optional
    parsed = parse_arguments(
        "call_1", "memory__recall", '{"query": "tea", "limit": null, "categories": null}', optional
    )
    assert parsed == ToolCall(id="call_1", name="memory__recall", arguments={"query": "tea"})


def test_arguments_that_are_not_a_json_object_are_kept_for_the_loop_to_report() -> None:
    assert parse_arguments("c", "t", "{not json").invalid_arguments == "{not json"
    assert parse_arguments("c", "t", "[1]").invalid_arguments == "[1]"
    assert parse_arguments("c", "t", None).arguments == {}


def test_messages_map_to_chat_completions_with_tool_calls_and_tool_results() -> None:
    assert to_openai_messages(CONVERSATION) == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "find rent"},
        {
            "role": "assistant",
            "content": "Looking.",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "notes__search", "arguments": '{"query":"rent"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "found rent"},
        {"role": "assistant", "content": "It is 900."},
        {"role": "user", "content": "thanks"},
    ]


def test_a_chat_completion_with_parallel_tool_calls_parses_into_calls_and_usage() -> None:
    completion = ChatCompletion.model_validate(
        {
            "id": "chatcmpl-2",
            "object": "chat.completion",
            "created": 1700000000,
            "model": "gpt-4o-mini",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "tool_calls",
                    "message": {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {"id": "a", "type": "function", "function": {"name": "x__s", "arguments": '{"q": "1"}'}},
                            {"id": "b", "type": "function", "function": {"name": "y__s", "arguments": '{"q": "2"}'}},
                        ],
                    },
                }
            ],
            "usage": {"prompt_tokens": 20, "completion_tokens": 10, "total_tokens": 30},
        }
    )
    response = OpenAIModel("gpt-4o-mini", api_key="sk-test").parse_completion(completion)
    assert [(c.id, c.name, c.arguments) for c in response.tool_calls] == [
        ("a", "x__s", {"q": "1"}),
        ("b", "y__s", {"q": "2"}),
    ]
    assert (response.usage.input_tokens, response.usage.output_tokens, response.stop_reason) == (20, 10, "tool_calls")


def test_messages_map_to_anthropic_with_the_system_prompt_on_top_and_tool_results_in_a_user_turn() -> None:
    error = Message.tool(ToolCall(id="toolu_2", name="x"), "no", is_error=True)
    system, messages = to_anthropic_messages([*CONVERSATION[:4], error, *CONVERSATION[4:]])
    assert system == "be brief"
    assert messages == [
        {"role": "user", "content": [{"type": "text", "text": "find rent"}]},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Looking."},
                {"type": "tool_use", "id": "call_1", "name": "notes__search", "input": {"query": "rent"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "call_1", "content": "found rent"},
                {"type": "tool_result", "tool_use_id": "toolu_2", "content": "no", "is_error": True},
            ],
        },
        {"role": "assistant", "content": [{"type": "text", "text": "It is 900."}]},
        {"role": "user", "content": [{"type": "text", "text": "thanks"}]},
    ]


def test_an_anthropic_tool_carries_the_schema_unchanged_as_input_schema() -> None:
    assert to_anthropic_tool(ToolSpec(name="memory__recall", description="Find.", parameters=RECALL)) == {
        "name": "memory__recall",
        "description": "Find.",
        "input_schema": RECALL,
    }


def test_an_anthropic_message_with_text_and_tool_use_parses_into_text_calls_and_usage() -> None:
    message = AnthropicMessage.model_validate(
        {
            "id": "msg_02",
            "type": "message",
            "role": "assistant",
            "model": "claude-x",
            "content": [
                {"type": "text", "text": "Sending."},
                {"type": "tool_use", "id": "toolu_01", "name": "sms__send", "input": {"to": "+15550001111"}},
            ],
            "stop_reason": "tool_use",
            "stop_sequence": None,
            "usage": {"input_tokens": 30, "output_tokens": 20},
        }
    )
    response = parse_message(message, "claude-x")
    assert response.text == "Sending."
    assert response.tool_calls == [ToolCall(id="toolu_01", name="sms__send", arguments={"to": "+15550001111"})]
    assert (response.usage.input_tokens, response.usage.output_tokens) == (30, 20)


def test_model_strings_choose_the_provider_and_a_missing_key_names_the_variable() -> None:
    assert isinstance(infer_model("openai:gpt-4o-mini", api_key="sk-test"), OpenAIModel)
    assert isinstance(infer_model("anthropic:claude-x", api_key="sk-ant-test"), AnthropicModel)
    local = infer_model("openai:llama3", base_url="http://127.0.0.1:11434/v1")
    assert (local.name, local.context_window) == ("openai:llama3", 8192)  # local endpoints run with small windows
    assert infer_model("openai:gpt-4.1", api_key="sk-test").context_window == 1_000_000
    with pytest.raises(MissingCredentials, match="OPENAI_API_KEY"):
        infer_model("openai:gpt-4o-mini")
    with pytest.raises(MissingCredentials, match="ANTHROPIC_API_KEY"):
        infer_model("anthropic:claude-x")
    with pytest.raises(ValueError, match="unknown provider"):
        infer_model("mistral:large")


@pytest.mark.anyio
async def test_no_test_can_reach_a_real_model() -> None:
    with pytest.raises(ModelRequestsDisabled):
        await infer_model("openai:gpt-4o-mini", api_key="sk-test").request([Message.user("hi")], [])
