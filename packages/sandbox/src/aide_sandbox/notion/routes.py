"""The Notion API as an ASGI app (mount it where `Client(base_url=...)` points; the client appends `/v1/...`).

Every request: route, apply faults (keys `notion.<operation>` such as `notion.pages.create`, `notion`, the path),
authenticate the integration token (`Authorization: Bearer ...`: it picks the workspace), require `Notion-Version`,
parse the JSON body, run the handler, and answer JSON or Notion's error object. The OAuth endpoints
(`GET /v1/oauth/authorize`, `POST /v1/oauth/token`: `notion.oauth`) come before the bearer token, which they do not
take; a token request waits while a test holds them (`notion.journal`). Every answered request is recorded in the
store's journal. Lists are
`{"object": "list", "results", "next_cursor", "has_more", "type", <type>: {}, "request_id"}`; a cursor is the id of
the first item of the next page, and `page_size` is 1-100 (default 100).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import parse_qsl, unquote

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from aide_sandbox.faults import Dropped, Faults, strike
from aide_sandbox.notion import filters, models, values
from aide_sandbox.notion.errors import NotionError, not_found, validation
from aide_sandbox.notion.journal import Seen
from aide_sandbox.notion.oauth import Grants, OAuthRoutes
from aide_sandbox.notion.objects import Workspace, check_parent, new_id, title_of
from aide_sandbox.notion.store import START, Workspaces, normalise_id

logger = logging.getLogger("aide.sandbox")
JsonObject = dict[str, Any]

#: The OAuth endpoints and their fault keys (`notion.oauth.token`, ...).
_OAUTH = {("GET", "v1/oauth/authorize"): "oauth.authorize", ("POST", "v1/oauth/token"): "oauth.token"}
_FAULT_MESSAGES = {
    429: "You have been rate limited. Please try again in a few minutes.",
    500: "Unexpected error occurred.",
    503: "Notion is unavailable, please try again later.",
}


@dataclass
class NotionCall:
    """What a handler gets."""

    space: Workspace
    params: dict[str, str]
    query: list[tuple[str, str]]
    body: object

    def arg(self, name: str) -> str | None:
        return next((value for key, value in self.query if key == name), None)

    def args(self, name: str) -> list[str]:
        return [value for key, value in self.query if key == name]


Handler = Callable[[NotionCall], JsonObject]


def _listing(items: list[JsonObject], cursor: str | None, size: int | None, kind: str) -> JsonObject:
    size = size or 100
    if not 1 <= size <= 100:
        raise validation("body failed validation: page_size should be ≤ `100` and ≥ `1`.")
    start = 0
    if cursor:
        start = next((i for i, item in enumerate(items) if item["id"] == cursor), -1)
        if start < 0:
            raise validation(f"start_cursor provided is invalid: {cursor}")
    page = items[start : start + size]
    has_more = start + size < len(items)
    return {
        "object": "list",
        "results": page,
        "next_cursor": items[start + size]["id"] if has_more else None,
        "has_more": has_more,
        "type": kind,
        kind: {},
        "request_id": str(uuid.uuid4()),
    }


def _size(raw: str | None) -> int | None:
    if raw is None:
        return None
    if not raw.isdigit():
        raise validation("page_size should be a number.")
    return int(raw)


class NotionApp:
    """ASGI app of the Notion API over a `Workspaces` store."""

    def __init__(self, store: Workspaces, faults: Faults) -> None:
        self.store = store
        self.faults = faults
        self.oauth = OAuthRoutes(Grants(store))
        table: list[tuple[str, str, str, Handler]] = [
            ("POST", "search", "search", self.search),
            ("POST", "pages", "pages.create", self.pages_create),
            ("GET", "pages/{page_id}", "pages.retrieve", self.pages_retrieve),
            ("PATCH", "pages/{page_id}", "pages.update", self.pages_update),
            ("GET", "pages/{page_id}/properties/{property_id}", "pages.properties.retrieve", self.property_item),
            ("GET", "blocks/{block_id}", "blocks.retrieve", self.blocks_retrieve),
            ("PATCH", "blocks/{block_id}", "blocks.update", self.blocks_update),
            ("DELETE", "blocks/{block_id}", "blocks.delete", self.blocks_delete),
            ("GET", "blocks/{block_id}/children", "blocks.children.list", self.children_list),
            ("PATCH", "blocks/{block_id}/children", "blocks.children.append", self.children_append),
            ("GET", "databases/{database_id}", "databases.retrieve", self.databases_retrieve),
            ("GET", "data_sources/{data_source_id}", "data_sources.retrieve", self.data_sources_retrieve),
            ("POST", "data_sources/{data_source_id}/query", "data_sources.query", self.data_sources_query),
            ("POST", "comments", "comments.create", self.comments_create),
            ("GET", "comments", "comments.list", self.comments_list),
            ("GET", "users", "users.list", self.users_list),
            ("GET", "users/me", "users.me", self.users_me),
            ("GET", "users/{user_id}", "users.retrieve", self.users_retrieve),
        ]
        self.routes = [
            (method, re.compile("v1/" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path)), op, handler)
            for method, path, op, handler in table
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        root = scope.get("root_path", "")
        path = scope["path"][len(root) :] if scope["path"].startswith(root) else scope["path"]
        seen: dict[str, object] = {}
        try:
            response = await self._answer(request, path.strip("/"), scope, receive, seen)
        except NotionError as error:
            response = error.response()
        except Dropped:
            return
        except Exception:
            logger.exception("sandbox: notion %s %s failed", request.method, path)
            response = NotionError(500, "Unexpected error occurred.").response()
        credential = _credential(request.headers.get("authorization", ""))
        self.store.journal.record(
            Seen(request.method, "/" + path.strip("/"), credential, response.status_code, seen.get("body"))
        )
        await response(scope, receive, send)

    async def _answer(
        self, request: Request, path: str, scope: Scope, receive: Receive, seen: dict[str, object]
    ) -> Response:
        oauth = _OAUTH.get((request.method, path))
        routed = None if oauth else self._route(request.method, path)
        op = oauth or (routed[2] if routed else "unknown")
        await self._fault([f"notion.{op}", "notion", f"/notion/{path}"], scope, receive)
        if oauth == "oauth.authorize":
            return self.oauth.authorize(request)
        if oauth == "oauth.token":
            raw = await request.body()
            seen["body"] = _parsed(raw)
            if not await anyio.to_thread.run_sync(self.store.journal.wait_for_release):
                logger.warning("sandbox: notion token request held past its timeout; answering it anyway")
            return self.oauth.token(request, raw)
        if routed is None:
            raise NotionError(400, f"Invalid request URL: {request.method} /{path}", "invalid_request_url")
        params, _, _, handler = routed
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        integration = self.store.integration(token.strip()) if scheme.lower() == "bearer" else None
        if integration is None:
            raise NotionError(401, "API token is invalid.", "unauthorized")
        if not request.headers.get("notion-version"):
            raise NotionError(
                400,
                "Notion-Version header failed validation: Notion-Version header should be defined, instead was "
                "`undefined`.",
                "missing_version",
            )
        raw = await request.body()
        try:
            body: object = json.loads(raw) if raw.strip() else {}
        except ValueError:
            raise NotionError(400, "Error parsing JSON body.", "invalid_json") from None
        seen["body"] = body if raw.strip() else None
        query = parse_qsl(request.url.query, keep_blank_values=True)
        result = handler(NotionCall(Workspace(self.store, integration), params, query, body))
        return JSONResponse(result)

    def _route(self, method: str, path: str) -> tuple[dict[str, str], str, str, Handler] | None:
        for route_method, pattern, op, handler in self.routes:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                return {k: unquote(v) for k, v in match.groupdict().items()}, route_method, op, handler
        return None

    async def _fault(self, keys: list[str], scope: Scope, receive: Receive) -> None:
        fault = await strike(self.faults, keys, scope, receive)
        if fault is None:
            return
        if fault.status is not None:
            headers = {"Retry-After": _seconds(fault.retry_after)} if fault.retry_after is not None else {}
            message = _FAULT_MESSAGES.get(fault.status, "Injected fault.")
            raise NotionError(fault.status, message, headers=headers)

    # -- search ---------------------------------------------------------------------------------------------------
    def search(self, r: NotionCall) -> JsonObject:
        body = models.parse(models.SearchBody, r.body)
        kinds = {"page": ("page",), "data_source": ("data_source",)}.get(body.filter.value if body.filter else "", ())
        found = [
            s
            for s in r.space.store.of_kind(r.space.workspace, *(kinds or ("page", "data_source")))
            if not s.data.get("in_trash")
        ]
        if body.query:
            needle = body.query.casefold()
            found = [s for s in found if needle in title_of(s.data).casefold()]
        descending = body.sort is None or body.sort.direction == "descending"
        found.sort(key=lambda s: (s.data["last_edited_time"], s.seq), reverse=descending)
        items = [r.space.render(s) for s in found]
        return _listing(items, body.start_cursor, body.page_size, "page_or_data_source")

    # -- pages ----------------------------------------------------------------------------------------------------
    def pages_create(self, r: NotionCall) -> JsonObject:
        body = models.parse(models.CreatePage, r.body)
        children = body.children or body.content or []
        extra = {"icon": body.icon, "cover": body.cover}
        return r.space.create_page(body.parent.model_dump(exclude_none=True), body.properties or {}, children, extra)

    def pages_retrieve(self, r: NotionCall) -> JsonObject:
        page = r.space.find(r.params["page_id"], "page", label="page")
        return r.space.render(page, filter_properties=r.args("filter_properties") or None)

    def pages_update(self, r: NotionCall) -> JsonObject:
        body = models.parse(models.UpdatePage, r.body)
        page = r.space.find(r.params["page_id"], "page", label="page")
        return r.space.update_page(page, body.model_dump(exclude_none=True))

    def property_item(self, r: NotionCall) -> JsonObject:
        page = r.space.render(r.space.find(r.params["page_id"], "page", label="page"))
        wanted = r.params["property_id"]
        prop = next((p for n, p in page["properties"].items() if wanted in (p["id"], n)), None)
        if prop is None:
            raise not_found("property", wanted)
        kind = prop["type"]
        if kind not in ("title", "rich_text", "people", "relation"):
            return {
                "object": "property_item",
                "id": prop["id"],
                "type": kind,
                kind: prop[kind],
                "request_id": str(uuid.uuid4()),
            }
        items = [
            {"object": "property_item", "id": f"{prop['id']}-{index}", "type": kind, kind: item}
            for index, item in enumerate(prop[kind])
        ]
        listing = _listing(items, r.arg("start_cursor"), _size(r.arg("page_size")), "property_item")
        listing["property_item"] = {"id": prop["id"], "next_url": None, "type": kind, kind: {}}
        for item in listing["results"]:
            item["id"] = prop["id"]
        return listing

    # -- blocks ---------------------------------------------------------------------------------------------------
    def blocks_retrieve(self, r: NotionCall) -> JsonObject:
        return r.space.as_block(r.space.find(r.params["block_id"], "block", "page", "database"))

    def blocks_update(self, r: NotionCall) -> JsonObject:
        if not isinstance(r.body, dict):
            raise NotionError(400, "Error parsing JSON body.", "invalid_json")
        block = r.space.find(r.params["block_id"], "block", "page")
        updated = r.space.update_block(block, cast(JsonObject, r.body))
        return r.space.as_block(r.space.find(updated["id"]))

    def blocks_delete(self, r: NotionCall) -> JsonObject:
        block = r.space.find(r.params["block_id"], "block", "page")
        r.space.update_block(block, {"in_trash": True})
        return r.space.as_block(r.space.find(block.id))

    def children_list(self, r: NotionCall) -> JsonObject:
        parent = r.space.find(r.params["block_id"], "block", "page")
        items = [r.space.as_block(child) for child in r.space.visible_children(parent.id)]
        return _listing(items, r.arg("start_cursor"), _size(r.arg("page_size")), "block")

    def children_append(self, r: NotionCall) -> JsonObject:
        body = models.parse(models.AppendChildren, r.body)
        parent = r.space.find(r.params["block_id"], "block", "page")
        check_parent(parent)
        if parent.data.get("in_trash"):
            raise validation("Can't edit block that is archived. You must unarchive the block before editing.")
        after = None
        wanted = body.after or (body.position.after_block.id if body.position and body.position.after_block else None)
        if body.position and body.position.type == "after_block" and not wanted:
            raise validation("body failed validation: body.position.after_block should be defined.")
        if wanted:
            after = normalise_id(wanted)
            if after not in {c.id for c in r.space.visible_children(parent.id)}:
                raise validation(f"body failed validation: block {wanted} is not a child of the block.")
        elif body.position and body.position.type == "start":
            after = START
        created = r.space.append(parent.id, body.children, after)
        return _listing([r.space.render(r.space.find(i)) for i in created], None, 100, "block")

    # -- databases and data sources -------------------------------------------------------------------------------
    def databases_retrieve(self, r: NotionCall) -> JsonObject:
        return r.space.render(r.space.find(r.params["database_id"], "database", label="database"))

    def data_sources_retrieve(self, r: NotionCall) -> JsonObject:
        return r.space.render(r.space.schema_of(r.params["data_source_id"]))

    def data_sources_query(self, r: NotionCall) -> JsonObject:
        body = models.parse(models.QueryBody, r.body)
        source = r.space.schema_of(r.params["data_source_id"])
        trashed = bool(body.in_trash or body.archived)
        pages = [
            r.space.render(p)
            for p in r.space.store.children(r.space.workspace, source.id, ("page",))
            if bool(p.data.get("in_trash")) == trashed
        ]
        schema: dict[str, JsonObject] = source.data["properties"]
        if body.filter:
            now = datetime.fromtimestamp(self.store.clock(), UTC)
            keep = filters.compile_filter(body.filter, schema, now)
            pages = [page for page in pages if keep(page)]
        pages = filters.sort_pages(pages, schema, body.sorts or [])
        wanted = r.args("filter_properties")
        if wanted:
            for page in pages:
                page["properties"] = {
                    name: prop for name, prop in page["properties"].items() if prop["id"] in wanted or name in wanted
                }
        return _listing(pages, body.start_cursor, body.page_size, "page_or_data_source")

    # -- comments -------------------------------------------------------------------------------------------------
    def comments_create(self, r: NotionCall) -> JsonObject:
        body = models.parse(models.CreateComment, r.body)
        if body.discussion_id:
            parent_id = r.space.store.discussion(r.space.workspace, body.discussion_id)
            if parent_id is None:
                raise not_found("discussion", body.discussion_id)
            discussion = body.discussion_id
        elif body.parent and (body.parent.page_id or body.parent.block_id):
            parent_id = r.space.find(str(body.parent.page_id or body.parent.block_id), "page", "block").id
            discussion = new_id()
        else:
            raise validation("body failed validation: body.parent or body.discussion_id should be defined.")
        host = r.space.find(parent_id)
        now = r.space.store.now()
        comment = {
            "object": "comment",
            "id": new_id(),
            "parent": {"type": "page_id", "page_id": host.id}
            if host.kind == "page"
            else {"type": "block_id", "block_id": host.id},
            "discussion_id": discussion,
            "created_time": now,
            "last_edited_time": now,
            "created_by": r.space.bot,
            "rich_text": values.rich_text(body.rich_text, "body.rich_text"),
            "display_name": {"type": "integration", "resolved_name": r.space.integration.bot_name},
        }
        return r.space.store.add_comment(r.space.workspace, comment, host.id)

    def comments_list(self, r: NotionCall) -> JsonObject:
        block_id = r.arg("block_id")
        if not block_id:
            raise validation("body failed validation: query.block_id should be defined, instead was `undefined`.")
        host = r.space.find(block_id, "page", "block")
        comments = r.space.store.comments(r.space.workspace, host.id)
        return _listing(comments, r.arg("start_cursor"), _size(r.arg("page_size")), "comment")

    # -- users ----------------------------------------------------------------------------------------------------
    def users_list(self, r: NotionCall) -> JsonObject:
        users = r.space.store.users(r.space.workspace)
        return _listing(users, r.arg("start_cursor"), _size(r.arg("page_size")), "user")

    def users_retrieve(self, r: NotionCall) -> JsonObject:
        wanted = normalise_id(r.params["user_id"])
        user = next((u for u in r.space.store.users(r.space.workspace) if u["id"] == wanted), None)
        if user is None:
            raise not_found("user", r.params["user_id"])
        return user

    def users_me(self, r: NotionCall) -> JsonObject:
        me = next((u for u in r.space.store.users(r.space.workspace) if u["id"] == r.space.integration.bot_id), None)
        if me is None:
            raise not_found("user", r.space.integration.bot_id)
        return me


def _credential(header: str) -> str | None:
    """What the journal records of an Authorization header: the bearer token, or the client id of Basic."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value.strip(), validate=True).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            return None
    return None


def _parsed(raw: bytes) -> object:
    try:
        return json.loads(raw) if raw.strip() else None
    except ValueError:
        return None


def _seconds(value: float | None) -> str:
    return "0" if value is None else str(int(value)) if float(value).is_integer() else str(value)
