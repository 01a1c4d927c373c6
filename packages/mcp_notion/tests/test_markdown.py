"""Markdown to Notion blocks and back, without the network: every element round-trips to the same Markdown, and
Notion's per-object limits are respected in what is built."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aide_notion.markdown import to_blocks
from aide_notion.render import to_markdown_text
from aide_notion.richtext import MAX_TEXT

FIXTURE = Path(__file__).with_name("fixtures") / "every_element.md"


def kinds(blocks: list[dict[str, Any]]) -> list[str]:
    return [block["type"] for block in blocks]


def test_a_fixture_with_every_element_round_trips_to_the_same_markdown() -> None:
    markdown = FIXTURE.read_text()
    assert to_markdown_text(to_blocks(markdown)) == markdown


def test_the_fixture_becomes_the_block_types_notion_knows() -> None:
    blocks = to_blocks(FIXTURE.read_text())
    assert kinds(blocks) == [
        "heading_1", "heading_2", "heading_3", "paragraph",
        "bulleted_list_item", "bulleted_list_item", "bulleted_list_item",
        "numbered_list_item", "numbered_list_item", "numbered_list_item",
        "to_do", "to_do", "quote", "callout", "code", "divider", "table", "image", "toggle", "paragraph",
    ]  # fmt: skip
    nested = blocks[5]["bulleted_list_item"]["children"]
    assert kinds(nested) == ["bulleted_list_item"]
    assert kinds(nested[0]["bulleted_list_item"]["children"]) == ["bulleted_list_item"]
    assert blocks[11]["to_do"]["checked"] is True and kinds(blocks[11]["to_do"]["children"]) == ["to_do"]
    assert blocks[13]["callout"]["icon"] == {"type": "emoji", "emoji": "💡"}
    assert blocks[14]["code"]["language"] == "python"
    assert blocks[16]["table"]["table_width"] == 2 and blocks[16]["table"]["has_column_header"] is True
    assert blocks[17]["image"] == {
        "type": "external",
        "external": {"url": "https://example.com/cat.png"},
        "caption": [{"type": "text", "text": {"content": "A cat"}}],
    }


def test_inline_marks_become_annotations_and_links() -> None:
    [block] = to_blocks("Plain **bold** *it* ~~gone~~ `x` [site](https://a.example)")
    assert block["paragraph"]["rich_text"] == [
        {"type": "text", "text": {"content": "Plain "}},
        {"type": "text", "text": {"content": "bold"}, "annotations": {"bold": True}},
        {"type": "text", "text": {"content": " "}},
        {"type": "text", "text": {"content": "it"}, "annotations": {"italic": True}},
        {"type": "text", "text": {"content": " "}},
        {"type": "text", "text": {"content": "gone"}, "annotations": {"strikethrough": True}},
        {"type": "text", "text": {"content": " "}},
        {"type": "text", "text": {"content": "x"}, "annotations": {"code": True}},
        {"type": "text", "text": {"content": " "}},
        {"type": "text", "text": {"content": "site", "link": {"url": "https://a.example"}}},
    ]


def test_text_longer_than_notions_limit_is_split_into_several_rich_text_objects() -> None:
    [paragraph, code] = to_blocks("a" * 4500 + "\n\n```\n" + "b" * 2001 + "\n```")
    assert [len(item["text"]["content"]) for item in paragraph["paragraph"]["rich_text"]] == [MAX_TEXT, MAX_TEXT, 500]
    assert [len(item["text"]["content"]) for item in code["code"]["rich_text"]] == [MAX_TEXT, 1]
    assert to_markdown_text([paragraph]) == "a" * 4500 + "\n"


def test_block_id_markers_from_read_page_are_dropped_when_written_back() -> None:
    marker = " ^" + "ab" * 16
    blocks = to_blocks(f"# Title{marker}\n\n- item{marker}\n\n^{'cd' * 16}\n\n---\n\n```sh{marker}\nls\n```\n")
    assert to_markdown_text(blocks) == "# Title\n\n- item\n\n---\n\n```shell\nls\n```\n"


def test_rendered_ids_sit_where_they_do_not_change_the_markdown() -> None:
    blocks = [dict(block, id=f"{n:032x}") for n, block in enumerate(to_blocks(FIXTURE.read_text()))]
    with_ids = to_markdown_text(blocks, ids=True)
    assert "# Heading one ^" + f"{0:032x}" in with_ids
    assert f"^{15:032x}\n\n---" in with_ids
    assert to_markdown_text(to_blocks(with_ids)) == FIXTURE.read_text()


def test_text_that_looks_like_markdown_is_escaped_and_reads_back_as_text() -> None:
    blocks = [
        {"type": "paragraph", "paragraph": {"rich_text": [{"type": "text", "text": {"content": text}}]}}
        for text in ("# not a heading", "1. not a list", "a *b* [c](d) `e` ~f~ | g")
    ]
    markdown = to_markdown_text(blocks)
    assert [b["paragraph"]["rich_text"][0]["text"]["content"] for b in to_blocks(markdown)] == [
        "# not a heading",
        "1. not a list",
        "a *b* [c](d) `e` ~f~ | g",
    ]
