"""A model's argument mistakes come back as one sentence naming the argument, never as pydantic's text, and an
argument a tool does not take is refused rather than ignored."""

from __future__ import annotations

from typing import Annotated

import pytest
from mcp import Client
from pydantic import Field

from aide_core.server import ServerSpec
from aide_core.settings import AideSettings

pytestmark = pytest.mark.anyio


def search_server() -> ServerSpec[None]:
    spec = ServerSpec[None]("search", state=lambda runtime: None)

    @spec.tool()
    def search(
        query: str, limit: Annotated[int, Field(ge=1, le=50)] = 10, tags: list[str] | None = None
    ) -> dict[str, int]:
        """Search."""
        return {"count": limit}

    return spec


async def errors(settings: AideSettings, *calls: dict[str, object]) -> list[str]:
    async with Client(search_server().build(settings)) as client:
        results = [await client.call_tool("search", arguments) for arguments in calls]
    assert all(result.is_error for result in results)
    return [result.content[0].text for result in results]  # type: ignore[union-attr]


async def test_bad_arguments_are_one_sentence_naming_each_argument(settings: AideSettings) -> None:
    found = await errors(
        settings,
        {"query": 123, "limit": "many"},
        {"limit": 99},
        {"query": "x", "tags": ["a", {"b": 1}]},
        {"query": "x" * 200, "limit": 0},
    )
    assert found == [
        "Error executing tool search: bad arguments: query: must be a valid string (not 123); limit: must be a "
        "valid integer, unable to parse string as an integer (not 'many').",
        "Error executing tool search: bad arguments: query is required; limit: must be less than or equal to 50 "
        "(not 99).",
        "Error executing tool search: bad arguments: tags.1: must be a valid string (not {'b': 1}).",
        "Error executing tool search: bad arguments: limit: must be greater than or equal to 1 (not 0).",
    ]
    assert not any("pydantic" in text for text in found)


async def test_an_argument_the_tool_does_not_take_is_refused_with_the_ones_it_does(settings: AideSettings) -> None:
    assert await errors(settings, {"queyr": "x"}, {"query": "x", "b": 1, "a": 2}) == [
        "Error executing tool search: unknown argument 'queyr'; it takes limit, query, tags.",
        "Error executing tool search: unknown arguments 'a', 'b'; it takes limit, query, tags.",
    ]


async def test_a_null_for_an_optional_argument_means_not_given_and_for_a_required_one_is_refused(
    settings: AideSettings,
) -> None:
    async with Client(search_server().build(settings)) as client:
        defaulted = await client.call_tool("search", {"query": "x", "limit": None, "tags": None})
        refused = await client.call_tool("search", {"query": None})
    assert defaulted.structured_content == {"count": 10}
    assert refused.is_error and refused.content[0].text == (  # type: ignore[union-attr]
        "Error executing tool search: bad arguments: query: must be a valid string (not None)."
    )


async def test_the_example_and_activity_servers_take_what_strict_hosts_send(
    example_app: ServerSpec[object], settings: AideSettings
) -> None:
    from aide_core.activity import spec as activity
    from aide_core.settings import ServerSettings
    from aide_core.testing import call_as_strict_hosts_do

    async with Client(example_app.build(settings, config=ServerSettings(confirm="token"))) as client:
        example = await call_as_strict_hosts_do(
            client, {"echo": {"text": "hi"}, "send": {"to": "ann@example.com", "text": "hi"}, "outbox_size": {}}
        )
    async with Client(activity.build(settings)) as client:
        listed = await call_as_strict_hosts_do(client, {"list_activity": {}})
    assert example == [] and listed == []
