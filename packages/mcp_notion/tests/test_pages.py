"""Pages through the protocol: search, read as Markdown with block ids, create, append."""

from __future__ import annotations

from typing import Any

import pytest

from aide_core.fencing import unfence
from aide_sandbox.seed.notion import BOOKS, HOME, READING, TASKS_DB, TRIP

pytestmark = pytest.mark.anyio


def compact(block_id: str) -> str:
    return block_id.replace("-", "")


async def test_search_finds_pages_by_title(notion_server: Any) -> None:
    async with notion_server() as notion:
        found = await notion.call("search", query="trip", type="page")
    assert [(hit["id"], hit["type"], hit["title"], hit["parent"]) for hit in found["results"]] == [
        (TRIP, "page", "Trip to Lisbon", HOME)
    ]


async def test_search_for_databases_finds_the_task_board(notion_server: Any) -> None:
    async with notion_server() as notion:
        found = await notion.call("search", query="tasks", type="database")
    assert [(hit["type"], hit["title"], hit["parent"]) for hit in found["results"]] == [("database", "Tasks", TASKS_DB)]


async def test_read_page_is_fenced_markdown_with_nested_blocks_and_sub_pages_listed(notion_server: Any) -> None:
    async with notion_server() as notion:
        page = await notion.call("read_page", id=HOME)
    text = unfence(page["markdown"])
    lines = [line.split(" ^")[0] for line in text.splitlines()]
    assert lines[:8] == [
        "# Welcome home",
        "",
        "Everything about the house, trips and the family calendar.",
        "",
        "- [x] Renew the car insurance",
        "- [ ] Book the boiler service",
        "- [ ] Sort the photo backup",
        "",
    ]
    assert "<details><summary>Wi-Fi details" in text
    assert lines[lines.index("- Guest network: rivera-guest") + 1 :][:2] == ["", "  Password on the fridge"]
    assert "📄 Trip to Lisbon" in lines and "🗃 Tasks" in lines
    assert {(c["title"], c["type"]) for c in page["children"]} == {
        ("Trip to Lisbon", "page"),
        ("Reading list", "page"),
        ("Tasks", "database"),
    }
    assert all(line.endswith(tuple("0123456789abcdef")) for line in text.splitlines() if line.startswith("- ["))
    assert page["title"] == "Home" and page["next_cursor"] is None and page["blocks_left_out"] is False


async def test_a_long_page_is_read_in_windows_with_a_cursor(notion_server: Any) -> None:
    paragraphs = "\n\n".join(f"Paragraph {n}: " + "word " * 60 for n in range(40))
    async with notion_server() as notion:
        created = (await notion.call("create_page", parent=HOME, title="Long", markdown=paragraphs))["result"]
        first = await notion.call("read_page", id=created["id"], max_chars=2000)
        second = await notion.call("read_page", id=created["id"], max_chars=2000, cursor=first["next_cursor"])
    assert first["offset"] == 0 and second["offset"] > 0 and first["next_cursor"]
    assert len(unfence(first["markdown"])) <= 2000
    assert unfence(first["markdown"]).startswith("Paragraph 0: word")
    assert unfence(second["markdown"]).startswith("Paragraph")
    assert first["total_chars"] > 12000


async def test_create_page_then_read_it_back_as_the_same_markdown(notion_server: Any) -> None:
    markdown = (
        "# Packing\n\n"
        "Bring **warm** clothes, *a hat* and `sunscreen`; see [the forecast](https://weather.example/lis).\n\n"
        "- [ ] passport\n- [x] tickets\n  - [ ] print them\n\n"
        "1. pack\n2. lock up\n   - windows\n     - upstairs\n\n"
        "> [!WARNING]\n> The tram is ~~cheap~~ busy.\n\n"
        "```python\nprint('hi')\n```\n\n---\n"
    )
    async with notion_server() as notion:
        created = (await notion.call("create_page", parent=TRIP, title="Packing list", markdown=markdown))["result"]
        page = await notion.call("read_page", id=created["id"])
    text = unfence(page["markdown"])
    import re

    without_ids = re.sub(r" \^[0-9a-f]{32}", "", re.sub(r"^\^[0-9a-f]{32}\n\n", "", text, flags=re.M))
    assert without_ids == markdown
    assert page["title"] == "Packing list" and len(created["block_ids"]) == 9


async def test_append_markdown_after_a_block(notion_server: Any) -> None:
    async with notion_server() as notion:
        before = unfence((await notion.call("read_page", id=BOOKS))["markdown"])
        first_id = before.splitlines()[0].rsplit("^", 1)[1]
        written = (
            await notion.call("append_markdown", page_id=BOOKS, markdown="1. Middlemarch", after_block=first_id)
        )["result"]
        after = unfence((await notion.call("read_page", id=BOOKS))["markdown"])
    assert [line.split(" ^")[0] for line in after.splitlines()] == [
        "1. The Left Hand of Darkness",
        "2. Middlemarch",
        "3. Piranesi",
        "4. A Psalm for the Wild-Built",
    ]
    assert len(written["block_ids"]) == 1 and written["id"] == BOOKS
    assert READING


async def test_a_page_with_more_blocks_than_one_read_takes_says_so(notion_server: Any) -> None:
    markdown = "\n\n".join(f"Block {n}" for n in range(1005))
    async with notion_server() as notion:
        created = (await notion.call("create_page", parent=TRIP, title="Huge", markdown=markdown))["result"]
        page = await notion.call("read_page", id=created["id"])
    assert page["blocks_left_out"] is True
    per_block = len("Block 999 ^") + 32 + 2
    assert 1000 * (per_block - 2) < page["total_chars"] <= 1000 * per_block  # the first 1,000 blocks
    assert len(page["markdown"]) < 12_000 and page["next_cursor"]


async def test_a_database_rows_properties_are_read_with_people_by_name(notion_server: Any) -> None:
    async with notion_server() as notion:
        [task] = (await notion.call("query_database", id=TASKS_DB, where={"Name": "Renew passport"}))["items"]
        page = await notion.call("read_page", id=task["id"])
    assert page["properties"] == task["values"]
    assert page["properties"]["Assignee"] == ["Alex Rivera"]
