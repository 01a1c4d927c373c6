"""Pages, blocks, databases and data sources of one workspace: creating, rendering and changing them.

Rendering computes what is not stored: `has_children`, a sub-page or inline database seen as a `child_page` /
`child_database` block, a database's `data_sources`, and `created_time` / `last_edited_time` properties. Trashed
objects (`in_trash`, with `archived` kept equal for older clients) can still be retrieved, but drop out of
children lists, search and queries, and cannot be edited until restored.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any, cast

from aide_sandbox.notion import values
from aide_sandbox.notion.errors import NotionError, not_found, validation
from aide_sandbox.notion.store import Integration, Stored, Workspaces

JsonObject = dict[str, Any]
_MAX_NESTING = 2


def new_id() -> str:
    return str(uuid.uuid4())


def url_of(title: str, object_id: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-")
    return f"https://www.notion.so/{slug + '-' if slug else ''}{object_id.replace('-', '')}"


def title_of(data: JsonObject) -> str:
    if data.get("object") in ("database", "data_source"):
        return values.plain(data.get("title", []))
    for prop in data.get("properties", {}).values():
        if prop.get("type") == "title":
            return values.plain(prop["title"])
    return ""


class Workspace:
    """One integration's view of its workspace."""

    def __init__(self, store: Workspaces, integration: Integration, ids: Callable[[], str] = new_id) -> None:
        self.store = store
        self.integration = integration
        self.workspace = integration.workspace
        self.new_id = ids  # the seed passes a deterministic one

    @property
    def bot(self) -> JsonObject:
        return {"object": "user", "id": self.integration.bot_id}

    # -- lookups --------------------------------------------------------------------------------------------------
    def find(self, object_id: str, *kinds: str, label: str = "block") -> Stored:
        stored = self.store.get(self.workspace, object_id)
        if stored is None or (kinds and stored.kind not in kinds):
            raise not_found(label, object_id)
        return stored

    def user_ids(self) -> set[str]:
        return {user["id"] for user in self.store.users(self.workspace)}

    def schema_of(self, data_source_id: str) -> Stored:
        return self.find(data_source_id, "data_source", label="data source")

    # -- rendering ------------------------------------------------------------------------------------------------
    def render(self, stored: Stored, *, filter_properties: list[str] | None = None) -> JsonObject:
        data = dict(stored.data)
        if stored.kind == "page":
            data["properties"] = self._page_properties(stored, filter_properties)
        elif stored.kind == "database":
            sources = self.store.children(self.workspace, stored.id, ("data_source",))
            data["data_sources"] = [{"id": s.id, "name": values.plain(s.data.get("title", []))} for s in sources]
        elif stored.kind == "block":
            data["has_children"] = any(
                not c.data.get("in_trash") for c in self.store.children(self.workspace, stored.id)
            )
        return data

    def _page_properties(self, stored: Stored, wanted: list[str] | None) -> JsonObject:
        properties: JsonObject = dict(stored.data["properties"])
        parent = stored.data["parent"]
        if parent.get("type") == "data_source_id":
            schema = self.schema_of(parent["data_source_id"]).data["properties"]
            for name, prop in schema.items():
                if prop["type"] in values.COMPUTED_TYPES:
                    properties[name] = {"id": prop["id"], "type": prop["type"], prop["type"]: stored.data[prop["type"]]}
                elif name not in properties:
                    properties[name] = values.empty_value(prop)
        if wanted:
            properties = {name: prop for name, prop in properties.items() if prop["id"] in wanted or name in wanted}
        return properties

    def as_block(self, stored: Stored) -> JsonObject:
        """A child as `blocks.children.list` shows it: sub-pages and databases as child_page / child_database."""
        if stored.kind == "block":
            return self.render(stored)
        kind = "child_page" if stored.kind == "page" else "child_database"
        return {
            "object": "block",
            "id": stored.id,
            "parent": _parent_ref(stored.parent_id, self.store.get(self.workspace, stored.parent_id or "")),
            "created_time": stored.data["created_time"],
            "last_edited_time": stored.data["last_edited_time"],
            "created_by": stored.data["created_by"],
            "last_edited_by": stored.data["last_edited_by"],
            "has_children": stored.kind == "page" and bool(self.store.children(self.workspace, stored.id)),
            "archived": stored.data.get("in_trash", False),
            "in_trash": stored.data.get("in_trash", False),
            "type": kind,
            kind: {"title": title_of(stored.data)},
        }

    # -- pages ----------------------------------------------------------------------------------------------------
    def _stamps(self) -> JsonObject:
        now = self.store.now()
        return {"created_time": now, "last_edited_time": now, "created_by": self.bot, "last_edited_by": self.bot}

    def create_page(
        self, parent: JsonObject, properties: dict[str, JsonObject], children: list[JsonObject], extra: JsonObject
    ) -> JsonObject:
        page_id = self.new_id()
        if parent.get("data_source_id") or parent.get("database_id"):
            source = self._source_for(parent)
            parent_ref = {"type": "data_source_id", "data_source_id": source.id, "database_id": source.parent_id}
            stored_properties = self.property_values(source, properties)
            parent_id: str | None = source.id
        elif parent.get("page_id") or parent.get("block_id"):
            host = self.find(str(parent.get("page_id") or parent.get("block_id")), "page", "block", label="page")
            self._editable(host)
            parent_ref = _parent_ref(host.id, host)
            stored_properties = self._page_title(properties)
            parent_id = host.id
        elif parent.get("workspace"):
            parent_ref, parent_id = {"type": "workspace", "workspace": True}, None
            stored_properties = self._page_title(properties)
        else:
            raise validation("body failed validation: body.parent should be a page_id, data_source_id or workspace.")
        data: JsonObject = (
            {"object": "page", "id": page_id}
            | self._stamps()
            | {
                "cover": extra.get("cover"),
                "icon": extra.get("icon"),
                "parent": parent_ref,
                "archived": False,
                "in_trash": False,
                "is_locked": False,
                "properties": stored_properties,
                "public_url": None,
            }
        )
        data["url"] = url_of(title_of(data), page_id)
        self.store.create(self.workspace, "page", parent_id, data)
        self.append(page_id, children, None)
        return self.render(self.find(page_id))

    def _source_for(self, parent: JsonObject) -> Stored:
        if parent.get("data_source_id"):
            return self.schema_of(str(parent["data_source_id"]))
        database = self.find(str(parent["database_id"]), "database", label="database")
        sources = self.store.children(self.workspace, database.id, ("data_source",))
        if len(sources) != 1:
            raise validation("This database has several data sources: create the page under a data_source_id.")
        return sources[0]

    @staticmethod
    def _page_title(properties: dict[str, JsonObject]) -> JsonObject:
        for name, raw in properties.items():
            if name not in ("title", "Title", "Name") or "title" not in raw:
                raise validation(f"{name} is not a property that exists.")
        raw_title = next(iter(properties.values()), {"title": []})
        return {"title": {"id": "title", "type": "title", "title": values.rich_text(raw_title["title"], "title")}}

    def property_values(self, source: Stored, properties: dict[str, JsonObject]) -> JsonObject:
        """Property values checked against the data source's schema (which may gain select options)."""
        schema: dict[str, JsonObject] = source.data["properties"]
        users = self.user_ids()
        out: JsonObject = {}
        for key, raw in properties.items():
            match = next(((n, p) for n, p in schema.items() if key in (n, p["id"])), None)
            if match is None:
                raise validation(f"{key} is not a property that exists.")
            name, prop = match
            out[name] = values.property_value(prop, raw, name, users)
        self.store.save(self.workspace, source.data)  # new select options
        return out

    def update_page(self, page: Stored, changes: JsonObject) -> JsonObject:
        data = dict(page.data)
        trash = changes.get("in_trash", changes.get("archived"))
        if data.get("in_trash") and trash is not False and (changes.keys() - {"in_trash", "archived"}):
            raise validation("Can't edit block that is archived. You must unarchive the block before editing.")
        if changes.get("properties"):
            properties = cast(dict[str, JsonObject], changes["properties"])
            if data["parent"].get("type") == "data_source_id":
                source = self.schema_of(data["parent"]["data_source_id"])
                data["properties"] = data["properties"] | self.property_values(source, properties)
            else:
                data["properties"] = self._page_title(properties)
        data["url"] = url_of(title_of(data), page.id)
        for key in ("icon", "cover", "is_locked"):
            if key in changes and changes[key] is not None:
                data[key] = changes[key]
        if trash is not None:
            data["in_trash"] = data["archived"] = bool(trash)
        if changes.get("erase_content"):
            for child in self.store.children(self.workspace, page.id, ("block",)):
                self.store.save(self.workspace, child.data | {"in_trash": True, "archived": True})
        data["last_edited_time"], data["last_edited_by"] = self.store.now(), self.bot
        self.store.save(self.workspace, data)
        return self.render(self.find(page.id))

    # -- blocks ---------------------------------------------------------------------------------------------------
    def _editable(self, stored: Stored) -> None:
        if stored.data.get("in_trash"):
            raise validation("Can't edit block that is archived. You must unarchive the block before editing.")

    def append(self, parent_id: str, children: list[JsonObject], after: str | None, depth: int = 0) -> list[str]:
        """Create blocks (and their nested children) under `parent_id`; the ids of the top-level ones."""
        if depth > _MAX_NESTING:
            raise validation("body failed validation: blocks can be nested at most two levels deep in one request.")
        created: list[str] = []
        anchor = after
        for index, raw in enumerate(children):
            kind, content, nested = values.block_content(raw, f"body.children[{index}]")
            block_id = self.new_id()
            parent = self.store.get(self.workspace, parent_id)
            data: JsonObject = {"object": "block", "id": block_id, "parent": _parent_ref(parent_id, parent)}
            data |= self._stamps() | {"archived": False, "in_trash": False, "type": kind, kind: content}
            self.store.create(self.workspace, "block", parent_id, data, after=anchor)
            anchor = block_id if anchor is not None else None
            created.append(block_id)
            if nested:
                self.append(block_id, nested, None, depth + 1)
        return created

    def update_block(self, block: Stored, changes: JsonObject) -> JsonObject:
        if block.kind == "page":
            return self.update_page(block, {k: v for k, v in changes.items() if k in ("in_trash", "archived")})
        data = dict(block.data)
        trash = changes.get("in_trash", changes.get("archived"))
        kind = data["type"]
        content_changes = {k: v for k, v in changes.items() if k not in ("in_trash", "archived", "type")}
        if content_changes:
            if data.get("in_trash") and trash is not False:
                self._editable(block)
            given = content_changes.get(kind)
            if not isinstance(given, dict) or len(content_changes) != 1:
                other = next(iter(content_changes))
                raise validation(f"body failed validation: block type {other} does not match the block's type {kind}.")
            data[kind] = values.content_of(kind, cast(JsonObject, given), "body", data[kind])
        if trash is not None:
            data["in_trash"] = data["archived"] = bool(trash)
        data["last_edited_time"], data["last_edited_by"] = self.store.now(), self.bot
        self.store.save(self.workspace, data)
        return self.render(self.find(block.id))

    def visible_children(self, parent_id: str) -> list[Stored]:
        return [c for c in self.store.children(self.workspace, parent_id) if not c.data.get("in_trash")]


def _parent_ref(parent_id: str | None, parent: Stored | None) -> JsonObject:
    if parent_id is None or parent is None:
        return {"type": "workspace", "workspace": True}
    if parent.kind == "page":
        return {"type": "page_id", "page_id": parent_id}
    if parent.kind == "database":
        return {"type": "database_id", "database_id": parent_id}
    return {"type": "block_id", "block_id": parent_id}


def check_parent(stored: Stored) -> None:
    """Children can only go under pages and blocks (databases take pages through their data sources)."""
    if stored.kind not in ("page", "block"):
        raise NotionError(400, f"Block type {stored.kind} does not support children.", "validation_error")
