"""What every tool declares: a permission requirement, annotations, an output schema and a one-line description."""

from __future__ import annotations

from typing import Any

import pytest

from aide_calendar.scopes import PERMISSIONS, TASK_PERMISSIONS
from aide_calendar.server import spec

pytestmark = pytest.mark.anyio


def test_every_tool_declares_the_access_it_needs() -> None:
    undeclared = [
        t for t in spec.tool_names if PERMISSIONS.requirement(t) is None and TASK_PERMISSIONS.requirement(t) is None
    ]
    assert undeclared == []


@pytest.mark.parametrize("tier", ["default", "extended"])
async def test_every_tool_has_annotations_an_output_schema_and_a_short_description(
    calendar_server: Any, tier: str
) -> None:
    async with calendar_server(tier=tier) as server:
        tools = (await server.client.list_tools()).tools
    assert tools
    for tool in tools:
        assert tool.annotations is not None and tool.annotations.read_only_hint is not None, tool.name
        assert tool.output_schema is not None, tool.name
        assert tool.description and "\n" not in tool.description and len(tool.description) < 140, tool.name
