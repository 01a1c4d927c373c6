"""Mail bodies as clean text: HTML to Markdown, and the quoted history and signature folded away.

HTML goes through markdownify (see pyproject.toml for why): scripts, styles, images and tracking pixels are dropped
(an image becomes its alt text), links keep their targets. Quoted history is recognised the ways mail clients write
it: Gmail's `gmail_quote` block and `<blockquote type="cite">` in HTML; in text, an "On <date>, <someone> wrote:"
line followed by `>` lines, a trailing block of `>` lines, Outlook's "-----Original Message-----" or a
"From:/Sent:" header block. A signature is what follows the "-- " delimiter line.
"""

from __future__ import annotations

import re
from typing import Any

_ATTRIBUTION = re.compile(r"^\s*(On\b.{0,300}\bwrote:|Am\b.{0,300}\bschrieb\b.{0,100}:|Le\b.{0,300}\ba écrit\s*:)\s*$")
_OUTLOOK = re.compile(r"^\s*-{2,}\s*Original Message\s*-{2,}\s*$", re.IGNORECASE)
_HEADER_BLOCK = re.compile(r"^\s*\**From:\**\s")
_SENT_LINE = re.compile(r"^\s*\**(Sent|Date):\**\s")
_SIGNATURE = re.compile(r"^--\s?$")
_BLANKS = re.compile(r"\n{3,}")


def html_to_markdown(html: str, *, include_quoted: bool = True) -> tuple[str, bool]:
    """Readable Markdown from an HTML body, and whether quoted history was folded away."""
    from bs4 import BeautifulSoup
    from markdownify import MarkdownConverter

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(["script", "style", "head", "title", "meta", "link"]):
        tag.decompose()
    folded = False
    if not include_quoted:
        for tag in soup.select("div.gmail_quote, blockquote.gmail_quote, blockquote[type=cite], div#appendonsend"):
            tag.decompose()
            folded = True

    class _Converter(MarkdownConverter):
        def convert_img(self, el: Any, text: str, parent_tags: Any = None) -> str:
            alt = (el.get("alt") or "").strip()
            return f"[image: {alt}]" if alt else ""

    text = _Converter(heading_style="ATX", bullets="-", strip=["span", "font"]).convert_soup(soup)
    text = "\n".join(line.rstrip() for line in text.splitlines())
    return _BLANKS.sub("\n\n", text).strip(), folded


def fold(text: str, *, include_quoted: bool = False) -> tuple[str, list[str]]:
    """The text without quoted history and signature (unless `include_quoted`), and what was folded."""
    lines = text.replace("\r\n", "\n").split("\n")
    folded: list[str] = []
    if not include_quoted:
        cut = _quote_start(lines)
        if cut is not None and any(line.strip() for line in lines[:cut]):
            lines = lines[:cut]
            folded.append("quoted history")
        signature = _signature_start(lines)
        if signature is not None and any(line.strip() for line in lines[:signature]):
            lines = lines[:signature]
            folded.append("signature")
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip(), folded


def _quote_start(lines: list[str]) -> int | None:
    for index, line in enumerate(lines):
        if _ATTRIBUTION.match(line) or _OUTLOOK.match(line):
            return index
        nxt = lines[index + 1] if index + 1 < len(lines) else ""
        if _HEADER_BLOCK.match(line) and _SENT_LINE.match(nxt):
            return index
        # an attribution wrapped over two lines: "On Mon, 3 Nov 2026 at 10:00, Priya Raman <...>" + "wrote:"
        if line.lstrip().startswith("On ") and nxt.strip().endswith("wrote:") and _ATTRIBUTION.match(f"{line} {nxt}"):
            return index
    # a trailing block of ">" lines (and blank lines)
    end = len(lines)
    start = end
    for index in range(end - 1, -1, -1):
        stripped = lines[index].strip()
        if stripped.startswith(">") or not stripped:
            start = index
            continue
        break
    if start < end and any(line.strip().startswith(">") for line in lines[start:]):
        return start
    return None


def _signature_start(lines: list[str]) -> int | None:
    for index in range(len(lines) - 1, -1, -1):
        if _SIGNATURE.match(lines[index]) and len(lines) - index <= 20:
            return index
    return None


def quote_for_reply(text: str, attribution: str) -> str:
    """`text` quoted below an attribution line, as a reply carries it."""
    quoted = "\n".join(f"> {line}" if line else ">" for line in text.splitlines())
    return f"{attribution}\n{quoted}"
