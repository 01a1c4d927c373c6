"""Prompts in files (`aide_core.prompts`) and on a `ServerSpec`: the format, bad files, safe substitution, and what
a client lists and gets over MCP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS

from aide_core.prompts import MAX_ARGUMENT_CHARS, PromptArgumentDecl, PromptDecl, PromptFileError, parse_prompt
from aide_core.server import ServerSpec
from aide_core.settings import AideSettings, ServerSettings

pytestmark = pytest.mark.anyio

GOOD = """+++
title = "Draft a reply"
description = "Draft a reply; nothing is sent."
tools = ["read", "draft"]

[arguments.message_id]
description = "The message."
required = true

[arguments.intent]
description = "What to say."
default = "what it needs"
+++
Answer $message_id saying: ${intent}. Costs $$0.
"""


def test_a_prompt_file_is_read_into_its_declaration() -> None:
    assert parse_prompt("draft_reply", GOOD) == PromptDecl(
        name="draft_reply",
        title="Draft a reply",
        description="Draft a reply; nothing is sent.",
        arguments=(
            PromptArgumentDecl("message_id", "The message.", required=True),
            PromptArgumentDecl("intent", "What to say.", required=False, default="what it needs"),
        ),
        tools=("read", "draft"),
        text="Answer $message_id saying: ${intent}. Costs $$0.",
        where="draft_reply.md",
    )


def front(body: str, meta: str = 'title = "T"\ndescription = "D"') -> str:
    return f"+++\n{meta}\n+++\n{body}\n"


@pytest.mark.parametrize(
    ("name", "source", "problem"),
    [
        ("x", "no front matter", "starts with a front matter between '+++' lines"),
        ("x", "+++\ntitle = 'T'\n", "starts with a front matter between '+++' lines"),
        ("x", front("Hi", "title = T"), "the front matter is not TOML"),
        ("x", front("Hi", 'title = "T"\ndescription = "D"\nauthor = "me"'), "unknown front-matter key author"),
        ("x", front("Hi", 'title = "T"'), "title and description are required, as text"),
        ("x", front("   "), "the prompt's text after the front matter is empty"),
        ("x", front("Hi $who"), "placeholder $who is not a declared argument"),
        ("x", front("It costs $5"), "a '$' that is not a placeholder: write '$$' for a dollar sign"),
        ("x", front("Hi", 'title = "T"\ndescription = "D"\ntools = "echo"'), "tools is a list of tool names"),
        ("Bad-Name", front("Hi"), "a prompt's name is lowercase letters"),
        (
            "x",
            front("Hi", 'title = "T"\ndescription = "D"\n[arguments.who]\ndescription = "Who."\nrequired = true'),
            "argument who is declared but the text never uses it",
        ),
        (
            "x",
            front("Hi $who", 'title = "T"\ndescription = "D"\n[arguments.who]\ndescription = "Who."'),
            "arguments.who is optional: give the default",
        ),
        (
            "x",
            front(
                "Hi $who",
                'title = "T"\ndescription = "D"\n[arguments.who]\ndescription = "W"\nrequired = true\ndefault = "a"',
            ),
            "arguments.who is required, so it has no default",
        ),
        (
            "x",
            front("Hi $who", 'title = "T"\ndescription = "D"\n[arguments.who]\nrequired = true'),
            "arguments.who needs a description",
        ),
        (
            "x",
            front("Hi $Who", 'title = "T"\ndescription = "D"\n[arguments.Who]\ndescription = "W"\nrequired = true'),
            "argument name 'Who' is not lowercase",
        ),
        (
            "x",
            front("Hi $who", 'title = "T"\ndescription = "D"\n[arguments.who]\ndescription = "W"\ntype = "str"'),
            "arguments.who: unknown key type",
        ),
    ],
)
def test_a_bad_prompt_file_is_refused_with_what_is_wrong_and_where(name: str, source: str, problem: str) -> None:
    with pytest.raises(PromptFileError) as refused:
        parse_prompt(name, source, where="prompts/x.md")
    assert str(refused.value).startswith("prompt file prompts/x.md: ")
    assert problem in str(refused.value)


def test_a_callers_argument_is_data_never_template_syntax() -> None:
    prompt = parse_prompt("draft_reply", GOOD)
    rendered = prompt.render({"message_id": "$intent ${intent} $$ {intent}", "intent": "  say $message_id  "})
    assert rendered == "Answer $intent ${intent} $$ {intent} saying: say $message_id. Costs $0."


def test_an_optional_argument_not_given_reads_as_its_default() -> None:
    prompt = parse_prompt("draft_reply", GOOD)
    assert prompt.render({"message_id": "m1"}) == prompt.render({"message_id": "m1", "intent": " "})
    assert prompt.render({"message_id": "m1"}) == "Answer m1 saying: what it needs. Costs $0."


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ({"message_id": "m1", "tone": "dry"}, "draft_reply has no argument tone (it takes message_id, intent)"),
        ({}, "draft_reply needs message_id: The message."),
        ({"message_id": "m" * (MAX_ARGUMENT_CHARS + 1)}, f"message_id is longer than {MAX_ARGUMENT_CHARS} characters"),
        ({"message_id": 5}, "draft_reply: message_id is text"),
    ],
)
def test_bad_arguments_are_refused_with_what_the_prompt_takes(given: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_prompt("draft_reply", GOOD).render(given)
    assert problem in str(refused.value)


async def test_a_server_lists_its_prompts_with_their_arguments(
    example_app: ServerSpec[Any], settings: AideSettings
) -> None:
    async with Client(example_app.build(settings)) as client:
        listed = [prompt.model_dump(exclude_none=True) for prompt in (await client.list_prompts()).prompts]
    assert listed == [
        {
            "name": "announce",
            "title": "Announce",
            "description": "Send an announcement.",
            "arguments": [{"name": "to", "description": "Who hears it.", "required": True}],
        },
        {
            "name": "greet",
            "title": "Greet someone",
            "description": "Echo a greeting.",
            "arguments": [
                {"name": "name", "description": "Whom to greet.", "required": True},
                {"name": "mood", "description": "How (default: warmly).", "required": False},
            ],
        },
    ]


async def test_getting_a_prompt_fills_it_in_as_one_user_message(
    example_app: ServerSpec[Any], settings: AideSettings
) -> None:
    async with Client(example_app.build(settings)) as client:
        result = await client.get_prompt("greet", {"name": "Ann ${mood}"})
    assert result.model_dump(exclude={"meta"}, exclude_none=True) == {
        "description": "Echo a greeting.",
        "messages": [
            {
                "role": "user",
                "content": {"type": "text", "text": "Greet Ann ${mood} warmly with the echo tool. It costs $0."},
            }
        ],
        "result_type": "complete",
    }


async def test_bad_prompt_arguments_come_back_as_an_error_that_says_what_to_pass(
    example_app: ServerSpec[Any], settings: AideSettings
) -> None:
    async with Client(example_app.build(settings)) as client:
        with pytest.raises(MCPError) as unknown:
            await client.get_prompt("greet", {"name": "Ann", "loudly": "yes"})
        with pytest.raises(MCPError) as missing:
            await client.get_prompt("greet", {})
        with pytest.raises(MCPError) as absent:
            await client.get_prompt("nope", {})
    assert unknown.value.message == "greet has no argument loudly (it takes name, mood)"
    assert missing.value.message == "greet needs name: Whom to greet."
    assert absent.value.message == "Unknown prompt: nope (prompts: announce, greet)"
    assert {unknown.value.code, missing.value.code, absent.value.code} == {INVALID_PARAMS}


async def test_a_prompt_whose_tools_are_not_offered_is_not_listed(
    example_app: ServerSpec[Any], settings: AideSettings
) -> None:
    read_only = example_app.build(settings, config=ServerSettings(read_only=True))  # `send` is not registered
    async with Client(read_only) as client:
        names = [prompt.name for prompt in (await client.list_prompts()).prompts]
        with pytest.raises(MCPError) as hidden:
            await client.get_prompt("announce", {"to": "ann@example.com"})
    assert names == ["greet"]
    assert hidden.value.message == "Unknown prompt: announce (prompts: greet)"


def gated_spec(allowed: set[str], folder: Path) -> ServerSpec[Any]:
    """A server that lists `later` only while allowed, with a prompt that needs it."""
    (folder / "use_later.md").write_text(front("Call later.", 'title = "T"\ndescription = "D"\ntools = ["later"]'))
    spec = ServerSpec[Any]("gated")
    spec.tool_visibility(lambda _runtime, name: name in allowed)

    @spec.tool()
    def later() -> str:
        """There once allowed."""
        return "later"

    spec.prompts_from(folder)
    return spec


async def test_a_prompt_follows_the_callers_tool_visibility_and_clients_are_told(
    settings: AideSettings, tmp_path: Path
) -> None:
    allowed: set[str] = set()
    received: list[Any] = []

    async def on_message(message: Any) -> None:
        received.append(message)

    server = gated_spec(allowed, tmp_path).build(settings)
    async with Client(server, mode="legacy", message_handler=on_message) as client:
        before = [prompt.name for prompt in (await client.list_prompts()).prompts]
        with pytest.raises(MCPError):
            await client.get_prompt("use_later", {})
        allowed.add("later")
        after = [prompt.name for prompt in (await client.list_prompts()).prompts]
        got = await client.get_prompt("use_later", {})
    assert (before, after) == ([], ["use_later"])
    assert [message.content.model_dump()["text"] for message in got.messages] == ["Call later."]
    assert [type(m).__name__ for m in received] == ["ToolListChangedNotification", "PromptListChangedNotification"]


def test_a_prompt_naming_a_tool_the_server_does_not_have_fails_the_build(
    settings: AideSettings, tmp_path: Path
) -> None:
    (tmp_path / "stale.md").write_text(front("Use get.", 'title = "T"\ndescription = "D"\ntools = ["get"]'))
    spec = ServerSpec[Any]("renamed")

    @spec.tool()
    def get_memory() -> str:
        """Renamed from get."""
        return ""

    spec.prompts_from(tmp_path)
    with pytest.raises(PromptFileError, match=r"stale\.md: renamed has no tool get \(tools: get_memory\)"):
        spec.build(settings)


def test_a_bad_file_fails_when_declared_and_a_prompt_is_declared_once(tmp_path: Path) -> None:
    spec = ServerSpec[Any]("twice")
    (tmp_path / "hello.md").write_text(front("Hello."))
    spec.prompts_from(tmp_path)
    with pytest.raises(ValueError, match="twice: prompt hello declared twice"):
        spec.prompts_from(tmp_path)
    (tmp_path / "broken.md").write_text("no front matter")
    with pytest.raises(PromptFileError, match=r"broken\.md"):
        ServerSpec[Any]("other").prompts_from(tmp_path)
    with pytest.raises(PromptFileError, match="no prompts folder"):
        ServerSpec[Any]("none").prompts_from(tmp_path / "missing")
