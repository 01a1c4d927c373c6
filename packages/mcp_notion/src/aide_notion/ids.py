"""Notion ids as a model may give them: dashed or not, or inside a Notion URL."""

from __future__ import annotations

import re

from aide_core.errors import InvalidInput
from aide_core.fencing import defang_field

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_HEX = re.compile(r"[0-9a-f]{32}", re.IGNORECASE)


def notion_id(value: str, what: str = "id") -> str:
    """The UUID in an id or a Notion URL (the last 32 hex digits), dashed; `InvalidInput` when there is none."""
    last = value.strip().split("?")[0].split("#")[0].rstrip("/").rsplit("/", 1)[-1].removeprefix("^")
    if _UUID.fullmatch(last):
        last = last.replace("-", "")
    compact = last[-32:]
    if not _HEX.fullmatch(compact) or (len(last) > 32 and last[-33] != "-"):
        raise InvalidInput(
            f"{defang_field(value)[:80]!r} is not a Notion {what}.",
            hint="Pass an id from search or read_page (32 hex digits, with or without dashes) or a Notion URL.",
        )
    compact = compact.lower()
    return f"{compact[:8]}-{compact[8:12]}-{compact[12:16]}-{compact[16:20]}-{compact[20:]}"
