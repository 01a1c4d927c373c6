"""core's check that every tool's schema is accepted by both tool formats a model is given tools in."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from mcp import Client
from pydantic import Field

from aide_core.activity import spec as activity
from aide_core.server import ServerSpec
from aide_core.settings import AideSettings, ServerSettings
from aide_core.testing import check_tool_schemas

pytestmark = pytest.mark.anyio


async def listed(server: Any) -> list[Any]:
    async with Client(server) as client:
        return list((await client.list_tools()).tools)


async def test_the_example_and_activity_servers_tools_are_accepted_by_both_formats(
    example_app: ServerSpec[Any], settings: AideSettings
) -> None:
    tools = await listed(example_app.build(settings, config=ServerSettings(tier="extended")))
    assert check_tool_schemas(tools) == []
    assert check_tool_schemas(await listed(activity.build(settings))) == []


async def test_what_a_host_would_refuse_is_named_and_an_open_object_must_be_declared(settings: AideSettings) -> None:
    spec = ServerSpec[None]("odd", state=lambda runtime: None)

    @spec.tool()
    def filter_rows(where: dict[str, Any], limit: int = 10) -> dict[str, int]:
        """Rows matching `where`, keyed by the user's own column names."""
        return {"count": 0}

    @spec.tool(name="spaced name")
    def spaced(value: Annotated[str, Field(alias="the value")]) -> dict[str, str]:
        """A tool whose names a host refuses."""
        return {"value": value}

    @spec.tool()
    def plain(text: str) -> dict[str, str]:
        """A tool every host accepts."""
        return {"text": text}

    tools = await listed(spec.build(settings))
    assert check_tool_schemas(tools) == [
        "filter_rows: cannot be sent in OpenAI's strict form (an open object or an unsupported keyword)",
        "spaced name: the name is not 1-64 letters, digits, '_' or '-'",
        "spaced name: property name 'the value' is not accepted",
    ]
    declared = {"filter_rows": "keyed by the user's own column names", "plain": "it is not open"}
    assert check_tool_schemas([t for t in tools if t.name != "spaced name"], open_objects=declared) == [
        "plain: listed in open_objects but converts to strict form; remove it from the list"
    ]
