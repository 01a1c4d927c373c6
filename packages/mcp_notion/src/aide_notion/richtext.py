"""Rich text both ways: Notion's rich-text arrays to inline Markdown, and markdown-it's inline tokens to rich text.

Notion caps one rich-text object at 2,000 characters of content, so longer runs are split into several objects with
the same annotations and link (`MAX_TEXT`). Bold, italic, strikethrough, inline code and links map to `**`, `*`,
`~~`, backticks and `[text](url)`; underline and colours have no Markdown and are dropped on reading; equations read
as `$...$`; mentions as their plain text.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from markdown_it.tree import SyntaxTreeNode

JsonObject = dict[str, Any]

#: Characters of content in one rich-text object (Notion's limit).
MAX_TEXT = 2000
#: A block id marker as `render` writes it (` ^` and 32 hex digits): stripped from Markdown a model sends back.
ID_MARKER = re.compile(r"[ \t]*\^[0-9a-f]{32}[ \t]*$")
_ESCAPE = re.compile(r"([\\`*_\[\]~<>|])")
_MARKS = (("code", "`"), ("strikethrough", "~~"), ("italic", "*"), ("bold", "**"))


def text_item(content: str, *, link: str | None = None, **annotations: bool) -> list[JsonObject]:
    """`content` as rich-text objects of at most `MAX_TEXT` characters each."""
    items: list[JsonObject] = []
    marks = {name: True for name, on in annotations.items() if on}
    for start in range(0, len(content), MAX_TEXT):
        item: JsonObject = {"type": "text", "text": {"content": content[start : start + MAX_TEXT]}}
        if link:
            item["text"]["link"] = {"url": link}
        if marks:
            item["annotations"] = dict(marks)
        items.append(item)
    return items


def plain(items: list[JsonObject]) -> str:
    """The plain text of a rich-text array."""
    return "".join(_content(item) for item in items)


def _content(item: JsonObject) -> str:
    if item.get("type") == "equation":
        return str((item.get("equation") or {}).get("expression", ""))
    if item.get("plain_text") is not None:
        return str(item["plain_text"])
    return str((item.get("text") or {}).get("content", ""))


# -- Notion -> Markdown --------------------------------------------------------------------------------------------


def escape(text: str) -> str:
    return _ESCAPE.sub(r"\\\1", text)


def to_markdown(items: list[JsonObject], *, newline: str = "\\\n") -> str:
    """Inline Markdown for a rich-text array; a line break inside the text becomes `newline` (a hard break)."""
    runs: list[tuple[str, tuple[str, ...], str | None]] = []
    for item in items:
        notes = item.get("annotations") or {}
        marks = tuple(name for name, _ in _MARKS if notes.get(name))
        link = item.get("href") or ((item.get("text") or {}).get("link") or {}).get("url")
        if item.get("type") == "equation":
            runs.append((f"${_content(item)}$", (), None))
            continue
        text = _content(item)
        raw = text if "code" in marks else escape(text)
        if runs and runs[-1][1:] == (marks, link) and not runs[-1][0].startswith("$"):
            runs[-1] = (runs[-1][0] + raw, marks, link)
        else:
            runs.append((raw, marks, link))
    out: list[str] = []
    for raw, marks, link in runs:
        out.append(_wrap(raw, marks, link))
    return "".join(out).replace("\n", newline)


def _wrap(raw: str, marks: tuple[str, ...], link: str | None) -> str:
    """A run with its markers inside any leading or trailing space (Markdown ignores `** x**`)."""
    core = raw.strip(" ")
    if not core:
        return raw
    lead, trail = raw[: len(raw) - len(raw.lstrip(" "))], raw[len(raw.rstrip(" ")) :]
    for name, marker in _MARKS:
        if name in marks:
            if name == "code":
                fence = "``" if "`" in core else "`"
                pad = " " if core.startswith("`") or core.endswith("`") else ""
                core = f"{fence}{pad}{core}{pad}{fence}"
            else:
                core = f"{marker}{core}{marker}"
    if link:
        core = f"[{core}]({link.replace(' ', '%20').replace(')', '%29')})"
    return lead + core + trail


# -- Markdown -> Notion --------------------------------------------------------------------------------------------


def from_inline(node: SyntaxTreeNode | None) -> list[JsonObject]:
    """Rich text for an inline node's children (text, emphasis, strong, strikethrough, code, links, breaks)."""
    items: list[JsonObject] = []
    if node is None:
        return items
    _walk(node, {}, None, items)
    return _merge(items)


def _walk(node: SyntaxTreeNode, marks: dict[str, bool], link: str | None, out: list[JsonObject]) -> None:
    for child in node.children:
        kind = child.type
        if kind == "text":
            out += text_item(child.content, link=link, **marks)
        elif kind == "code_inline":
            out += text_item(child.content, link=link, **(marks | {"code": True}))
        elif kind == "softbreak":
            out += text_item(" ", link=link, **marks)
        elif kind == "hardbreak":
            out += text_item("\n", link=link, **marks)
        elif kind == "strong":
            _walk(child, marks | {"bold": True}, link, out)
        elif kind == "em":
            _walk(child, marks | {"italic": True}, link, out)
        elif kind == "s":
            _walk(child, marks | {"strikethrough": True}, link, out)
        elif kind == "link":
            _walk(child, marks, str(child.attrs.get("href", "")) or None, out)
        elif kind == "image":
            out += text_item(child.content or str(child.attrs.get("src", "")), link=link, **marks)
        elif kind in ("html_inline", "html_block"):
            out += text_item(child.content, link=link, **marks)
        elif child.children:
            _walk(child, marks, link, out)
        elif child.content:
            out += text_item(child.content, link=link, **marks)


def _merge(items: list[JsonObject]) -> list[JsonObject]:
    """Neighbours with the same annotations and link joined (up to `MAX_TEXT` characters)."""
    merged: list[JsonObject] = []
    for item in items:
        if merged:
            last = merged[-1]
            same = last.get("annotations") == item.get("annotations") and last["text"].get("link") == item["text"].get(
                "link"
            )
            joined = last["text"]["content"] + item["text"]["content"]
            if same and len(joined) <= MAX_TEXT:
                last["text"]["content"] = joined
                continue
        merged.append({**item, "text": dict(item["text"])})
    return merged


def strip_id(items: list[JsonObject]) -> list[JsonObject]:
    """Rich text without a trailing block id marker (a model may paste `read_page` output back)."""
    if not items:
        return items
    last = items[-1]
    content = last.get("text", {}).get("content", "")
    cleaned = ID_MARKER.sub("", content)
    if cleaned == content:
        return items
    if not cleaned:
        return strip_id(items[:-1])
    return [*items[:-1], {**last, "text": {**last["text"], "content": cleaned}}]
