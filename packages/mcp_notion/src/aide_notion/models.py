"""The tools' output models. Titles, names, comments and plain values read from Notion are data from outside:
defanged single-line fields (`UntrustedText`); page text comes fenced (`Page.markdown`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from aide_core.fencing import UntrustedText
from aide_core.schemas import Output

Cursor = Field(default=None, description="Pass back as `cursor` for more; absent at the end.")


class SearchHit(Output):
    id: str
    type: Literal["page", "database"]
    title: UntrustedText
    url: str | None = None
    parent: str | None = Field(default=None, description="The parent page or database id.")
    last_edited: str | None = None


class SearchResult(Output):
    results: list[SearchHit]
    next_cursor: str | None = Cursor


class ChildRef(Output):
    id: str
    type: Literal["page", "database"]
    title: UntrustedText


class Page(Output):
    id: str
    title: UntrustedText
    url: str | None = None
    properties: dict[str, Any] = Field(default_factory=dict, description="Database properties as plain values.")
    markdown: str = Field(description="The page as Markdown, fenced; each block ends with its id (^id).")
    offset: int
    total_chars: int
    next_cursor: str | None = Cursor
    children: list[ChildRef] = Field(default_factory=list, description="Sub-pages and databases, not inlined.")
    blocks_left_out: bool = Field(default=False, description="The page has more blocks than one read takes.")


class Written(Output):
    id: str
    url: str | None = None
    title: UntrustedText | None = None
    block_ids: list[str] = Field(default_factory=list, description="Ids of the top-level blocks written.")


class Updated(Output):
    id: str
    url: str | None = None
    title: UntrustedText | None = None
    in_trash: bool = False
    properties: dict[str, Any] = Field(default_factory=dict)


class Deleted(Output):
    id: str
    type: str
    in_trash: bool = True


class PropertyInfo(Output):
    name: UntrustedText
    type: str
    options: list[UntrustedText] | None = None
    relation_to: str | None = Field(default=None, description="The data source the relation points to.")


class Database(Output):
    id: str = Field(description="The database id.")
    data_source_id: str
    title: UntrustedText
    url: str | None = None
    properties: list[PropertyInfo]
    other_data_sources: list[str] = Field(default_factory=list)


class Item(Output):
    id: str
    url: str | None = None
    values: dict[str, Any]


class QueryResult(Output):
    items: list[Item]
    next_cursor: str | None = Cursor
    filter: dict[str, Any] | None = Field(default=None, description="The Notion filter that was sent.")


class Comment(Output):
    id: str
    author: UntrustedText
    text: UntrustedText
    created: str | None = None
    discussion_id: str | None = None


class Comments(Output):
    comments: list[Comment]
    next_cursor: str | None = Cursor
