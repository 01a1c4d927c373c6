"""Opaque continuation cursors and output budgets: no tool result is ever 50,000 tokens.

A cursor is base64url JSON that names the tool it belongs to and a digest of the arguments that shaped the listing,
so a cursor pasted into another tool or another query is refused with a message that says what to do, instead of
silently returning the wrong page. It is opaque to the model (it must not edit it) but not a secret: it only ever
points into the caller's own data.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar, cast

from pydantic import BaseModel, Field

from aide_core.errors import InvalidInput

T = TypeVar("T")

#: Roughly four characters of English per token: good enough to report sizes, never used to cut text.
CHARS_PER_TOKEN = 4


def estimate_tokens(text: str) -> int:
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def _digest(binds: Mapping[str, Any]) -> str:
    canonical = json.dumps(binds, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def encode_cursor(tool: str, state: Mapping[str, Any], binds: Mapping[str, Any] | None = None) -> str:
    """A cursor for `tool` that resumes at `state`, valid only with the same `binds` (the listing's arguments)."""
    payload = {"t": tool, "b": _digest(binds or {}), "s": dict(state)}
    raw = json.dumps(payload, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


_DAMAGED = "The cursor is damaged (pass it back exactly as it was returned)."


def decode_cursor(
    cursor: str,
    tool: str,
    binds: Mapping[str, Any] | None = None,
    *,
    fields: Mapping[str, type | tuple[type, ...]] | None = None,
) -> dict[str, Any]:
    """The state `encode_cursor` stored; `InvalidInput` when the cursor is damaged or belongs elsewhere.

    `fields` names the keys the caller reads from the state and their types: a cursor that decodes and is bound
    correctly but whose state lacks one, or holds another type (or an integer SQLite cannot store), is refused as
    damaged here, so a hand-edited cursor is the model's error to fix rather than a crash in the query it feeds."""
    restart = f"Call {tool} again without a cursor to start from the beginning."
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload: Any = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeError, RecursionError):
        raise InvalidInput(_DAMAGED, hint=restart) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("s"), dict):  # pyright: ignore[reportUnknownMemberType]
        raise InvalidInput(_DAMAGED, hint=restart)
    payload = cast(dict[str, Any], payload)
    if payload.get("t") != tool:
        raise InvalidInput(f"That cursor belongs to another tool, not {tool}.", hint=restart)
    if payload.get("b") != _digest(binds or {}):
        raise InvalidInput(
            "That cursor was made for different arguments; keep them unchanged while paging.", hint=restart
        )
    state: dict[str, Any] = payload["s"]
    for name, kind in (fields or {}).items():
        if not _fits(state.get(name), kind):
            raise InvalidInput(_DAMAGED, hint=restart)
    return state


def _fits(value: Any, kind: type | tuple[type, ...]) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool):  # JSON true is a Python int too: only a declared bool accepts it
        return bool in kinds
    if not isinstance(value, kinds):
        return False
    if isinstance(value, int):
        return -(2**63) <= value < 2**63  # what an SQLite INTEGER holds
    if isinstance(value, float):
        return math.isfinite(value)
    return True


class TextPage(BaseModel):
    """One window onto a long text."""

    text: str
    offset: int = Field(description="Character offset of this window in the whole text.")
    total_chars: int
    next_cursor: str | None = Field(default=None, description="Pass back as `cursor` to read on; absent at the end.")


def _cut_point(text: str, start: int, budget: int) -> int:
    """Where to end a window of at most `budget` characters: at a paragraph, line, sentence or word boundary in the
    last fifth of the window when there is one, so a page never ends mid-word unless a word is longer than that."""
    end = start + budget
    if end >= len(text):
        return len(text)
    floor = start + (budget * 4) // 5
    for separator in ("\n\n", "\n", ". ", " "):
        found = text.rfind(separator, floor, end)
        if found != -1:
            return found + len(separator)
    return end


def page_text(
    text: str, *, budget: int, tool: str, cursor: str | None = None, binds: Mapping[str, Any] | None = None
) -> TextPage:
    """The window of `text` that `cursor` points at (the start when None), at most `budget` characters long."""
    start = 0
    if cursor:
        state = decode_cursor(cursor, tool, binds)
        offset = state.get("offset")
        if not isinstance(offset, int) or not 0 <= offset <= len(text):
            raise InvalidInput("The cursor points past the end of the text.", hint=f"Call {tool} without a cursor.")
        start = offset
    end = _cut_point(text, start, budget)
    next_cursor = encode_cursor(tool, {"offset": end}, binds) if end < len(text) else None
    return TextPage(text=text[start:end], offset=start, total_chars=len(text), next_cursor=next_cursor)


def _default_size(item: object) -> int:
    return len(item.model_dump_json()) if isinstance(item, BaseModel) else len(str(item))


def take_within_budget(items: Sequence[T], budget: int, size: Callable[[T], int] | None = None) -> int:
    """How many leading `items` fit in `budget` characters (at least one, so a listing always moves forward)."""
    measure = size or _default_size
    used = 0
    for count, item in enumerate(items):
        used += measure(item)
        if used > budget and count > 0:
            return count
    return len(items)
