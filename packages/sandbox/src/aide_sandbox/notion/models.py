"""Request bodies, as pydantic models of the shapes Notion documents.

Unknown top-level fields are refused (Notion answers `validation_error` for them too); the insides of property
values, blocks and filters are checked by `values` and `filters`, against the data source's schema, because their
shape depends on it.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from aide_sandbox.notion.errors import NotionError, validation

JsonObject = dict[str, Any]
_Model = TypeVar("_Model", bound=BaseModel)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Parent(_Body):
    type: Literal["page_id", "database_id", "data_source_id", "block_id", "workspace"] | None = None
    page_id: str | None = None
    database_id: str | None = None
    data_source_id: str | None = None
    block_id: str | None = None
    workspace: bool | None = None


class SearchFilter(_Body):
    property: Literal["object"]
    value: Literal["page", "data_source"]


class SearchSort(_Body):
    direction: Literal["ascending", "descending"]
    timestamp: Literal["last_edited_time"]


class SearchBody(_Body):
    query: str | None = None
    filter: SearchFilter | None = None
    sort: SearchSort | None = None
    start_cursor: str | None = None
    page_size: int | None = Field(default=None, ge=1, le=100)


class Sort(_Body):
    property: str | None = None
    timestamp: Literal["created_time", "last_edited_time"] | None = None
    direction: Literal["ascending", "descending"] = "ascending"


class QueryBody(_Body):
    filter: JsonObject | None = None
    sorts: list[Sort] | None = None
    start_cursor: str | None = None
    page_size: int | None = Field(default=None, ge=1, le=100)
    archived: bool | None = None
    in_trash: bool | None = None
    result_type: Literal["page", "data_source"] | None = None


class CreatePage(_Body):
    parent: Parent
    properties: dict[str, JsonObject] | None = None
    children: list[JsonObject] | None = Field(default=None, max_length=100)
    content: list[JsonObject] | None = Field(default=None, max_length=100)
    icon: JsonObject | None = None
    cover: JsonObject | None = None


class UpdatePage(_Body):
    properties: dict[str, JsonObject] | None = None
    icon: JsonObject | None = None
    cover: JsonObject | None = None
    is_locked: bool | None = None
    archived: bool | None = None
    in_trash: bool | None = None
    erase_content: bool | None = None


class AfterBlock(_Body):
    id: str


class Position(_Body):
    """Where appended blocks go: `{"type": "end"}` (default), `{"type": "start"}`, or
    `{"type": "after_block", "after_block": {"id": ...}}` (which replaces the older `after`)."""

    type: Literal["end", "start", "after_block"]
    after_block: AfterBlock | None = None


class AppendChildren(_Body):
    children: list[JsonObject] = Field(max_length=100)
    after: str | None = None
    position: Position | None = None


class CommentParent(_Body):
    type: Literal["page_id", "block_id"] | None = None
    page_id: str | None = None
    block_id: str | None = None


class CreateComment(_Body):
    parent: CommentParent | None = None
    discussion_id: str | None = None
    rich_text: list[JsonObject]
    display_name: JsonObject | None = None


class Annotations(_Body):
    bold: bool = False
    italic: bool = False
    strikethrough: bool = False
    underline: bool = False
    code: bool = False
    color: str = "default"


class Link(_Body):
    url: str


class TextContent(_Body):
    content: str = Field(max_length=2000)
    link: Link | None = None


class EquationContent(_Body):
    expression: str


class RichTextItem(BaseModel):
    """One rich text item as a client sends it. What Notion adds on the way out (`plain_text`, `href`) may come
    back in a round trip and is ignored."""

    model_config = ConfigDict(extra="ignore")
    type: Literal["text", "mention", "equation"] | None = None
    text: TextContent | None = None
    mention: JsonObject | None = None
    equation: EquationContent | None = None
    annotations: Annotations | None = None
    plain_text: str | None = None


def parse(model: type[_Model], body: object, where: str = "body") -> _Model:
    """`body` as `model`, or Notion's 400 naming the first field that does not fit (`where` prefixes its path)."""
    if not isinstance(body, dict):
        if where == "body":
            raise NotionError(400, "Error parsing JSON body.", "invalid_json")
        raise validation(f"body failed validation: {where} should be an object.")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        at = ".".join([where, *(str(part) for part in first["loc"])])
        if first["type"] == "missing":
            raise validation(f"body failed validation: {at} should be defined, instead was `undefined`.") from None
        if first["type"] == "extra_forbidden":
            raise validation(f"body failed validation: {at} should be not present.") from None
        raise validation(f"body failed validation: {at} {first['msg'].lower()}.") from None
