"""Markdown to Notion blocks, parsed with markdown-it-py (CommonMark, with its table and strikethrough rules).

What maps to what (the inverse of `aide_notion.render`):

- `#`, `##`, `###` headings (deeper ones become heading_3); paragraphs with inline marks (`aide_notion.richtext`);
- `-`/`*` and `1.` lists, nested by indentation; `- [ ]` / `- [x]` items become to-dos;
- `>` quotes; a quote whose first line is `[!NOTE]` (GitHub's alert syntax, also TIP, IMPORTANT, WARNING, CAUTION)
  becomes a callout with a matching icon;
- fenced code with a language; `---` dividers; pipe tables (the first row is the column header); a paragraph that
  is only an image `![caption](https://...)` becomes an image block (external URL);
- `<details><summary>Title</summary>` ... `</details>` becomes a toggle holding the blocks between;
- block id markers (` ^<32 hex>`, as `read_page` writes them) are dropped, so read output can be written back.

markdown-it is imported inside `to_blocks`: the server does not load it until a tool converts Markdown.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from aide_notion.richtext import ID_MARKER, from_inline, strip_id, text_item

if TYPE_CHECKING:
    from markdown_it.tree import SyntaxTreeNode

JsonObject = dict[str, Any]

#: GitHub alert kinds and the callout icons they stand for (NOTE is Notion's default bulb).
CALLOUTS = {"NOTE": "💡", "TIP": "✅", "IMPORTANT": "❗", "WARNING": "⚠️", "CAUTION": "🛑"}
_ALERT = re.compile(r"^\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\](?:[ \t]*\^[0-9a-f]{32})?[ \t]*", re.IGNORECASE)
_TASK = re.compile(r"^\[([ xX])\][ \t]+")
_SUMMARY = re.compile(r"^<details>\s*<summary>(.*?)</summary>\s*$", re.IGNORECASE | re.DOTALL)
_LANGUAGES = {
    "": "plain text",
    "sh": "shell",
    "bash": "bash",
    "zsh": "shell",
    "js": "javascript",
    "ts": "typescript",
    "py": "python",
    "yml": "yaml",
    "md": "markdown",
    "text": "plain text",
    "txt": "plain text",
}


def to_blocks(markdown: str) -> list[JsonObject]:
    """Notion block objects (with nested `children`) for a Markdown document."""
    from markdown_it import MarkdownIt
    from markdown_it.tree import SyntaxTreeNode

    parser = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    tree = SyntaxTreeNode(parser.parse(markdown.replace("\r\n", "\n").replace("\r", "\n")))
    return _sequence(tree.children)


def _sequence(nodes: list[SyntaxTreeNode]) -> list[JsonObject]:
    """Blocks for sibling nodes, folding `<details>` ... `</details>` runs into toggles."""
    out: list[JsonObject] = []
    stack: list[tuple[JsonObject, list[JsonObject]]] = []
    for node in nodes:
        if node.type == "html_block":
            html = node.content.strip()
            opening = _SUMMARY.match(html)
            if opening:
                toggle = _block("toggle", strip_id(_inline_text(opening.group(1))))
                stack.append((toggle, out))
                out = []
                continue
            if html.lower() == "</details>" and stack:
                toggle, parent = stack.pop()
                if out:
                    toggle["toggle"]["children"] = out
                parent.append(toggle)
                out = parent
                continue
        out += _node(node)
    while stack:  # an unclosed <details>: close it at the end
        toggle, parent = stack.pop()
        if out:
            toggle["toggle"]["children"] = out
        parent.append(toggle)
        out = parent
    return out


def _block(kind: str, rich_text: list[JsonObject] | None = None, **extra: Any) -> JsonObject:
    body: JsonObject = {} if rich_text is None else {"rich_text": rich_text}
    return {"object": "block", "type": kind, kind: body | extra}


def _inline_text(markdown: str) -> list[JsonObject]:
    from markdown_it import MarkdownIt
    from markdown_it.tree import SyntaxTreeNode

    parser = MarkdownIt("commonmark").enable(["strikethrough"])
    tree = SyntaxTreeNode(parser.parse(markdown.strip()))
    paragraph = next((n for n in tree.children if n.type == "paragraph"), None)
    return from_inline(paragraph.children[0]) if paragraph and paragraph.children else []


def _node(node: SyntaxTreeNode) -> list[JsonObject]:
    kind = node.type
    if kind == "heading":
        level = min(3, int(node.tag[1]))
        return [_block(f"heading_{level}", strip_id(from_inline(_inline(node))))]
    if kind == "paragraph":
        return _paragraph(node)
    if kind in ("bullet_list", "ordered_list"):
        return [_list_item(item, kind) for item in node.children]
    if kind == "blockquote":
        return [_quote(node)]
    if kind in ("fence", "code_block"):
        info = ID_MARKER.sub("", node.info.strip()).strip()
        language = _LANGUAGES.get(info.split(" ")[0].lower(), info.split(" ")[0].lower()) if info else "plain text"
        content = node.content[:-1] if node.content.endswith("\n") else node.content
        return [_block("code", text_item(content), language=language)]
    if kind == "hr":
        return [_block("divider")]
    if kind == "table":
        return [_table(node)]
    if kind == "html_block":
        content = node.content.strip()
        return [_block("paragraph", text_item(content))] if content else []
    return []


def _inline(node: SyntaxTreeNode) -> SyntaxTreeNode | None:
    return next((child for child in node.children if child.type == "inline"), None)


def _paragraph(node: SyntaxTreeNode) -> list[JsonObject]:
    inline = _inline(node)
    if inline is not None:
        parts = [c for c in inline.children if not (c.type == "text" and not ID_MARKER.sub("", c.content).strip())]
        if len(parts) == 1 and parts[0].type == "image":
            image = parts[0]
            caption = from_inline(image)
            url = str(image.attrs.get("src", ""))
            return [_block("image", type="external", external={"url": url}, caption=caption)]
    rich = strip_id(from_inline(inline))
    if not rich:  # only an id marker
        return []
    return [_block("paragraph", rich)]


def _list_item(item: SyntaxTreeNode, list_kind: str) -> JsonObject:
    children = list(item.children)
    first = children[0] if children and children[0].type == "paragraph" else None
    rich = strip_id(from_inline(_inline(first))) if first is not None else []
    rest = children[1:] if first is not None else children
    kind = "numbered_list_item" if list_kind == "ordered_list" else "bulleted_list_item"
    extra: JsonObject = {}
    if kind == "bulleted_list_item" and rich and rich[0]["text"]["content"]:
        task = _TASK.match(rich[0]["text"]["content"])
        if task:
            kind = "to_do"
            extra["checked"] = task.group(1).lower() == "x"
            rich = _drop_prefix(rich, task.end())
    block = _block(kind, rich, **extra)
    nested = _sequence(rest)
    if nested:
        block[kind]["children"] = nested
    return block


def _drop_prefix(rich: list[JsonObject], length: int) -> list[JsonObject]:
    first = rich[0]
    content = first["text"]["content"][length:]
    tail = rich[1:]
    return ([{**first, "text": {**first["text"], "content": content}}] if content else []) + tail


def _quote(node: SyntaxTreeNode) -> JsonObject:
    children = list(node.children)
    first = children[0] if children and children[0].type == "paragraph" else None
    rich = strip_id(from_inline(_inline(first))) if first is not None else []
    rest = children[1:] if first is not None else children
    kind, extra = "quote", {}
    if rich and rich[0]["text"]["content"]:
        alert = _ALERT.match(rich[0]["text"]["content"])
        if alert:
            kind = "callout"
            extra["icon"] = {"type": "emoji", "emoji": CALLOUTS[alert.group(1).upper()]}
            rich = _drop_prefix(rich, alert.end())
            if rich and rich[0]["text"]["content"].startswith(" ") and not rich[0].get("annotations"):
                rich = _drop_prefix(rich, 1)  # the soft break after [!NOTE]
    block = _block(kind, rich, **extra)
    nested = _sequence(rest)
    if nested:
        block[kind]["children"] = nested
    return block


def _table(node: SyntaxTreeNode) -> JsonObject:
    rows: list[JsonObject] = []
    for section in node.children:  # thead, tbody
        for row in section.children:
            cells = [from_inline(_inline(cell)) for cell in row.children]
            rows.append({"object": "block", "type": "table_row", "table_row": {"cells": cells}})
    width = max((len(r["table_row"]["cells"]) for r in rows), default=1)
    for row in rows:  # GFM allows short body rows; Notion wants every row as wide as the table
        cells = row["table_row"]["cells"]
        cells += [[] for _ in range(width - len(cells))]
    return _block("table", table_width=width, has_column_header=True, has_row_header=False, children=rows)
