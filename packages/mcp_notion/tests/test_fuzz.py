"""Every Notion tool called with arguments generated from its schema (valid, junk and edge values) against the
sandbox: bad input is always an error the model can act on, never an internal error or a hang. Confirmation is by
token, so no generated call deletes or trashes anything. And every tool's schema is accepted by the OpenAI (strict)
and Anthropic tool formats, the tools that take objects keyed by the user's own property names declared as such."""

from __future__ import annotations

from typing import Any

import pytest

from aide_core.testing import call_as_strict_hosts_do, check_tool_schemas, fuzz_tools
from aide_sandbox.seed.notion import BOOKS, HOME, TASKS_DB, TRIP

pytestmark = pytest.mark.anyio

#: Tools whose arguments are objects keyed by a database's own property names: no closed schema can list them.
OPEN_OBJECTS = {
    "create_page": "properties are keyed by the database's own property names",
    "update_page": "properties are keyed by the database's own property names",
    "query_database": "where is keyed by the database's own property names",
    "add_database_item": "values are keyed by the database's own property names",
    "update_database_item": "values are keyed by the database's own property names",
}

KNOWN: dict[str, list[Any]] = {
    "id": [HOME, TASKS_DB, TRIP],
    "page_id": [BOOKS],
    "parent": [TRIP, TASKS_DB],
    "page_or_block": [TRIP],
    "where": [{"Status": "Done"}, {"Due": {"before": "2026-12-01"}, "Tags": {"contains": "home"}}],
    "values": [{"Name": "Fuzzed", "Status": "Done"}, {"Tags": ["home"], "Estimate": 2}],
    "properties": [{"Status": "In progress"}],
    "sort": [["-Due"], ["Name"]],
    "markdown": ["# Title\n\n- [ ] a\n  - b\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"],
}
BASES: dict[str, dict[str, Any]] = {
    "read_page": {"id": HOME},
    "create_page": {"parent": TASKS_DB, "title": "Fuzz", "properties": {"Status": "Done"}},
    "append_markdown": {"page_id": BOOKS, "markdown": "- one\n- two"},
    "update_page": {"id": TRIP, "title": "Trip"},
    "delete_block": {"id": TRIP},
    "describe_database": {"id": TASKS_DB},
    "query_database": {"id": TASKS_DB, "where": {"Status": "Done"}},
    "add_database_item": {"id": TASKS_DB, "values": {"Name": "Fuzzed"}},
    "update_database_item": {"id": TASKS_DB, "values": {"Status": "Done"}},
    "add_comment": {"page_or_block": TRIP, "text": "Hello"},
    "list_comments": {"id": TRIP},
    "search": {"query": "trip"},
}


async def test_no_generated_arguments_crash_or_hang_any_notion_tool(notion_server: Any) -> None:
    async with notion_server(confirm="token") as notion:
        report = await fuzz_tools(notion.client, known=KNOWN, bases=BASES, valid_examples=12, junk_examples=5)
    assert report.total_calls > 1200
    report.assert_clean()


async def test_every_notion_tool_is_accepted_by_the_openai_strict_and_anthropic_tool_formats(
    notion_server: Any,
) -> None:
    async with notion_server() as notion:
        tools = (await notion.client.list_tools()).tools
    assert len(tools) == 12
    assert check_tool_schemas(tools, open_objects=OPEN_OBJECTS) == []


async def test_every_notion_tool_takes_what_strict_hosts_send(notion_server: Any) -> None:
    calls = {name: base for name, base in BASES.items() if name != "update_database_item"}  # its base is a database
    async with notion_server(confirm="token") as notion:
        problems = await call_as_strict_hosts_do(notion.client, calls)
    assert problems == [], "\n".join(problems)
