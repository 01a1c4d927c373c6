"""What the memory tools take and return. Field descriptions are read by a model: they stay short.

What a memory says may have been copied from a mail or a page, so the text a tool returns is defanged
(`UntrustedLines`, `UntrustedText`): no stored note can close an untrusted-content fence elsewhere in the model's
context. It is not fenced: most memories are the user's own words, which the model is meant to act on, and a recall
of ten hits would pay for ten fences. What is stored stays as it was given.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from aide_core.errors import InvalidInput
from aide_core.fencing import UntrustedLines, UntrustedText, defang_field

MAX_CONTENT_CHARS = 8_000
CATEGORIES = ("preference", "fact", "habit", "person", "event", "task", "note")

_CATEGORY_WORD = r"[a-z][a-z0-9_-]{0,31}"
Category = Annotated[
    str,
    Field(
        pattern=f"^{_CATEGORY_WORD}$",
        description="preference, fact, habit, person, event, task, note, or another lowercase word",
    ),
]


def _within_utc_range(moment: datetime | None) -> datetime | None:
    """Times are stored as UTC epoch seconds and read back as UTC datetimes: one whose UTC form falls outside years
    1-9999 ("0001-01-01T00:00+14:00") could be stored but never read back, so it is refused on the way in."""
    if moment is not None and moment.tzinfo is not None:
        try:
            moment.astimezone(UTC)
        except OverflowError:
            raise ValueError("the time is out of range once converted to UTC") from None
    return moment


AboutTime = Annotated[
    datetime | None, AfterValidator(_within_utc_range), Field(description="when it happened or will happen")
]
#: A time read from a file (a backup's created_at...): the same range rule, with no description for a model.
StoredTime = Annotated[datetime, AfterValidator(_within_utc_range)]

MAX_METADATA_CHARS = 4_000


def _bounded_metadata(value: dict[str, Any]) -> dict[str, Any]:
    """Metadata is returned with every hit of a recall: an unbounded value would push the memories themselves out
    of the output budget (a 200 KB value made one recall 2.5 MB)."""
    size = len(json.dumps(value, ensure_ascii=False, default=str))
    if size > MAX_METADATA_CHARS:
        raise ValueError(f"metadata is {size:,} characters as JSON; at most {MAX_METADATA_CHARS:,}")
    return value


Metadata = Annotated[dict[str, Any], AfterValidator(_bounded_metadata)]
Tags = Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=32)]


def _defanged_tree(value: Any) -> Any:
    """Every string in a metadata value (keys too) defanged like a field: metadata may come from a mail or a page
    as much as the content does."""
    if isinstance(value, str):
        return defang_field(value)
    if isinstance(value, dict):
        return {defang_field(str(k)): _defanged_tree(v) for k, v in value.items()}  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, list):
        return [_defanged_tree(v) for v in value]  # pyright: ignore[reportUnknownVariableType]
    return value


#: Metadata as a tool returns it (see `_defanged_tree`).
UntrustedMetadata = Annotated[dict[str, Any], AfterValidator(_defanged_tree)]


def clean_content(value: str) -> str:
    """What `remember` stores of a text: NUL characters (SQLite's C API would cut the text there) and the spaces
    around it dropped; nothing left is an error."""
    cleaned = value.replace("\x00", "").strip()
    if not cleaned:
        raise ValueError("content is empty")
    return cleaned


def checked_category(category: str) -> str:
    """The rule `remember` applies through its schema, for `update`, whose schema leaves it out to stay short."""
    if not re.fullmatch(_CATEGORY_WORD, category):  # fullmatch: re's "$" would let a trailing newline through
        raise InvalidInput(
            f"Category {category[:40]!r} is not a lowercase word of at most 32 letters, digits, '-' or '_'.",
            hint="Use preference, fact, habit, person, event, task, note, or another lowercase word.",
        )
    return category


def checked_about_time(moment: datetime) -> datetime:
    try:
        _within_utc_range(moment)
    except ValueError:
        raise InvalidInput(
            f"about_time {moment.isoformat()} is out of range once converted to UTC.",
            hint="Use a time between years 1 and 9999 in UTC.",
        ) from None
    return moment


class NewMemory(BaseModel):
    """One thing to remember."""

    # A key the model misspelt ("catgory") is refused, as a misspelt argument is, not silently dropped.
    model_config = ConfigDict(extra="forbid")

    content: Annotated[str, Field(min_length=1, max_length=MAX_CONTENT_CHARS), AfterValidator(clean_content)]
    category: Category = "note"
    confidence: Annotated[float, Field(ge=0, le=1)] = 0.8
    source: Annotated[str, Field(max_length=200, description="conversation, email, calendar, sms, manual...")] = (
        "conversation"
    )
    source_ref: Annotated[str | None, Field(max_length=500, description="e.g. a message id")] = None
    tags: Tags = []
    metadata: Metadata = {}
    about_time: AboutTime = None


class Memory(BaseModel):
    id: str
    content: UntrustedLines
    category: str
    confidence: float
    source: UntrustedText
    source_ref: UntrustedText | None = None
    tags: list[UntrustedText] = []
    metadata: UntrustedMetadata = {}
    about_time: datetime | None = None
    created_at: datetime
    updated_at: datetime
    valid_from: datetime
    valid_to: datetime | None = None
    superseded_by: str | None = None
    forgotten: bool = False


class Remembered(BaseModel):
    ids: list[str] = Field(description="One id per item, in order (an existing id when merged).")
    merged: list[bool] = Field(description="True where the item matched a memory already stored.")


class Hit(BaseModel):
    id: str
    score: float
    content: UntrustedLines
    category: str
    confidence: float
    metadata: UntrustedMetadata = {}
    about_time: datetime | None = None
    why: str = Field(description="What matched.")
    superseded: bool = False


class RecallResult(BaseModel):
    results: list[Hit]
    truncated: bool = Field(default=False, description="Some content was cut to fit the output budget.")


class Memories(BaseModel):
    memories: list[Memory]
    missing: list[str] = []
    next_cursor: str | None = None
    truncated: bool = Field(
        default=False, description="Some text or metadata was cut to fit the output budget: ask for fewer ids."
    )


class Stats(BaseModel):
    total: int
    current: int = Field(description="Not superseded and not forgotten.")
    superseded: int
    forgotten: int
    by_category: dict[str, int]
    oldest: datetime | None = None
    newest: datetime | None = None
    embeddings: str = Field(description="Embedding model in use, or 'none' (lexical recall only).")
    without_vectors: int | None = Field(
        default=None, description="Current memories still waiting for their vectors (filled in the background)."
    )


class ProfileItem(BaseModel):
    id: str
    category: str
    content: UntrustedLines
    confidence: float


class Profile(BaseModel):
    items: list[ProfileItem] = Field(
        description="Preferences, facts, habits, people, notes and the user's own categories, surest first."
    )
    truncated: bool = Field(default=False, description="More than fits: use recall or list_memories.")


class Updated(BaseModel):
    id: str = Field(description="The new version's id.")
    supersedes: str


class Forgotten(BaseModel):
    ids: list[str]
    hard: bool


def require_ids(ids: list[str]) -> list[str]:
    cleaned = [i.strip() for i in ids if i.strip()]
    if not cleaned:
        raise InvalidInput("No ids given.", hint="Pass the ids that recall or list_memories returned.")
    return cleaned
