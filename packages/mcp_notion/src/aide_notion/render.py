"""Notion blocks to Markdown (the inverse of `aide_notion.markdown`).

Blocks come as the API returns them, each with its nested blocks under a `children` key we add while reading
(`aide_notion.client.NotionClient.block_tree`). With `ids=True` every block carries its id, so a model can name it
to `append_markdown(after_block=...)` or `delete_block`: as a trailing ` ^<id>` on the block's first line (on the
fence line of a code block), or, for dividers and tables where trailing text would change what the Markdown means,
as a line of its own before the block. Ids are written without dashes (32 hex digits); Notion accepts both forms.

Sub-pages and databases are listed as one line each (`📄 Title`, `🗃 Title`), never inlined: read them with their
own call. Blocks Markdown has no form for are named (`[unsupported block: type]`) rather than dropped silently.
"""

from __future__ import annotations

from typing import Any

from aide_notion.markdown import CALLOUTS
from aide_notion.richtext import escape, plain, to_markdown

JsonObject = dict[str, Any]

_ICONS = {icon: kind for kind, icon in CALLOUTS.items()}
_LIST_KINDS = ("bulleted_list_item", "numbered_list_item", "to_do")


def to_markdown_text(blocks: list[JsonObject], *, ids: bool = False) -> str:
    """A Markdown document for a list of top-level blocks."""
    return _render_sequence(blocks, ids).rstrip("\n") + "\n" if blocks else ""


def _render_sequence(blocks: list[JsonObject], ids: bool) -> str:
    parts: list[str] = []
    number = 0
    previous: str | None = None
    for block in blocks:
        kind = str(block.get("type", ""))
        number = number + 1 if kind == "numbered_list_item" and previous == "numbered_list_item" else 1
        text = _render(block, ids, number)
        if parts:
            parts.append("\n" if _family(kind) is not None and _family(kind) == _family(previous) else "\n\n")
        parts.append(text)
        previous = kind
    return "".join(parts)


def _family(kind: str | None) -> str | None:
    """Which Markdown list a block continues: bullets and to-dos share `- `, numbered items have their own."""
    if kind in ("bulleted_list_item", "to_do"):
        return "bullet"
    return "number" if kind == "numbered_list_item" else None


def _id(block: JsonObject, ids: bool) -> str:
    return f" ^{str(block.get('id', '')).replace('-', '')}" if ids and block.get("id") else ""


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line else line for line in text.split("\n"))


def nested_blocks(block: JsonObject) -> list[JsonObject]:
    """A block's children: read ones under `children` (as the reader attaches them), or, in a block about to be
    written, under its content."""
    content = block.get(str(block.get("type", ""))) or {}
    return list(block.get("children") or content.get("children") or [])


def _children(block: JsonObject, ids: bool) -> str:
    return _render_sequence(nested_blocks(block), ids)


def _start_safe(text: str) -> str:
    """Text that starts a block, with a leading character that would start another kind of block escaped."""
    if text[:1] in ("#", "-", "+", "=") or (text.split(". ", 1)[0].isdigit() and ". " in text[:12]):
        if text[:1].isdigit():
            head, _, tail = text.partition(".")
            return f"{head}\\.{tail}"
        return "\\" + text
    return text


def _render(block: JsonObject, ids: bool, number: int) -> str:
    kind = str(block.get("type", ""))
    content: JsonObject = block.get(kind) or {}
    rich = list(content.get("rich_text") or [])
    tag = _id(block, ids)
    if kind == "paragraph":
        text = _start_safe(to_markdown(rich)) + tag
        nested = _children(block, ids)
        return text + ("\n\n" + nested if nested else "") if text else nested
    if kind.startswith("heading_"):
        level = int(kind[-1])
        heading = "#" * level + " " + to_markdown(rich, newline=" ") + tag
        nested = _children(block, ids)
        return heading + ("\n\n" + nested if nested else "")
    if kind in _LIST_KINDS:
        marker = {"bulleted_list_item": "- ", "numbered_list_item": f"{number}. "}.get(kind)
        if marker is None:
            marker = "- [x] " if content.get("checked") else "- [ ] "
        width = 2 if kind != "numbered_list_item" else len(marker)
        head = to_markdown(rich, newline="\\\n" + " " * width)
        line = marker + (_start_safe(head) if head else "") + tag
        nested = _children(block, ids)
        if not nested:
            return line
        # A nested paragraph right under the item's line would continue it: a blank line keeps it a block.
        gap = "\n" if _family(str(nested_blocks(block)[0].get("type"))) else "\n\n"
        return line + gap + _indent(nested, " " * width)
    if kind in ("quote", "callout"):
        lines: list[str] = []
        if kind == "callout":
            icon = (content.get("icon") or {}).get("emoji")
            alert = _ICONS.get(str(icon), "NOTE")
            lines.append(f"[!{alert}]" + tag)
            if icon and icon not in _ICONS:
                rich = [{"type": "text", "text": {"content": f"{icon} "}, "plain_text": f"{icon} "}, *rich]
            body = to_markdown(rich)
            if body:
                lines.append(body)
        else:
            lines.append(to_markdown(rich) + tag)
        nested = _children(block, ids)
        text = "\n".join(lines) + ("\n\n" + nested if nested else "")
        return _indent(text, "> ").replace("\n\n", "\n>\n").replace("\n>\n>\n", "\n>\n")
    if kind == "code":
        language = str(content.get("language") or "plain text")
        language = "" if language == "plain text" else language
        code = plain(rich)
        fence = "```"
        while fence in code:
            fence += "`"
        return f"{fence}{language}{tag}\n{code}\n{fence}"
    if kind == "divider":
        return (tag.strip() + "\n\n" if tag else "") + "---"
    if kind == "table":
        return (tag.strip() + "\n\n" if tag else "") + _table(block)
    if kind == "image":
        caption = to_markdown(list(content.get("caption") or []), newline=" ")
        source = content.get(str(content.get("type", "external"))) or {}
        return f"![{caption}]({source.get('url', '')})" + tag
    if kind == "bookmark" or kind == "embed" or kind == "link_preview":
        url = str(content.get("url", ""))
        caption = to_markdown(list(content.get("caption") or []), newline=" ")
        return f"[{caption or escape(url)}]({url})" + tag
    if kind == "equation":
        return f"$${content.get('expression', '')}$$" + tag
    if kind == "toggle":
        nested = _children(block, ids)
        summary = to_markdown(rich, newline=" ")
        return f"<details><summary>{summary}{tag}</summary>\n\n" + (nested + "\n\n" if nested else "") + "</details>"
    if kind == "child_page":
        return f"📄 {escape(str(content.get('title') or 'Untitled'))}" + tag
    if kind == "child_database":
        return f"🗃 {escape(str(content.get('title') or 'Untitled'))}" + tag
    if kind == "table_of_contents":
        return "[table of contents]" + tag
    return f"[unsupported block: {escape(kind)}]" + tag


def _table(block: JsonObject) -> str:
    rows = [row for row in nested_blocks(block) if row.get("type") == "table_row"]
    width = int((block.get("table") or {}).get("table_width") or 1)
    lines: list[str] = []
    for index, row in enumerate(rows):
        cells = list((row.get("table_row") or {}).get("cells") or [])
        cells += [[] for _ in range(width - len(cells))]
        lines.append("| " + " | ".join(to_markdown(cell, newline="<br>") for cell in cells) + " |")
        if index == 0:
            lines.append("|" + "|".join(["---"] * width) + "|")
    if not rows:
        lines = ["| " + " | ".join([" "] * width) + " |", "|" + "|".join(["---"] * width) + "|"]
    return "\n".join(lines)
