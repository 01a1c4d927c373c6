"""Databases: describe the schema, query with the where-language, add and update items by property name."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from aide_core.errors import InvalidInput
from aide_core.fencing import defang_field
from aide_core.paging import decode_cursor
from aide_core.plan import Plan
from aide_notion.app import (
    AccountArg,
    Cursor,
    DatabaseRef,
    NewPage,
    PropertyMap,
    client_for,
    database_id,
    one_page,
    schema_for,
    spec,
    title_of,
    writes_own_notes,
)
from aide_notion.client import NotionClient
from aide_notion.ids import notion_id
from aide_notion.models import Database, Item, PropertyInfo, QueryResult
from aide_notion.values import find_property, options_of, plain_values, to_properties

Values = Annotated[
    dict[str, Any], PropertyMap, Field(description='Property name -> plain value, e.g. {"Status": "Done"}.')
]
Where = Annotated[
    dict[str, Any] | None,
    PropertyMap,
    Field(description='e.g. {"Status": "Done", "Due": {"before": "2026-12-01"}, "Tags": {"contains": "home"}}.'),
]


@spec.tool()
def describe_database(id: DatabaseRef, account: AccountArg = None) -> Database:
    """A database's properties: their types, options and relation targets."""
    client = client_for(account)
    source, database = schema_for(client, database_id(client, id))
    if database is None and (source.get("parent") or {}).get("database_id"):
        database = client.database(str(source["parent"]["database_id"]))
    properties: list[PropertyInfo] = []
    for name, prop in (source.get("properties") or {}).items():
        kind = str(prop.get("type"))
        options = options_of(prop) if kind in ("select", "multi_select", "status") else None
        relation = (prop.get("relation") or {}).get("data_source_id") if kind == "relation" else None
        properties.append(PropertyInfo(name=name, type=kind, options=options, relation_to=relation))
    others = [str(s["id"]) for s in (database or {}).get("data_sources") or []][1:]
    return Database(
        id=str((database or {}).get("id") or (source.get("parent") or {}).get("database_id") or source["id"]),
        data_source_id=str(source["id"]),
        title=title_of(database or source),
        url=(database or source).get("url"),
        properties=properties,
        other_data_sources=others,
    )


def _users_if_needed(client: NotionClient, schema: dict[str, Any], names: list[str]) -> list[dict[str, Any]]:
    kinds = {str(find_property(schema, name)[1].get("type")) for name in names if name.lower() not in ("or", "and")}
    return client.users() if kinds & {"people", "created_by", "last_edited_by"} else []


def _names(where: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for key, value in where.items():
        if key.lower() in ("or", "and") and isinstance(value, list):
            for item in value:  # pyright: ignore[reportUnknownVariableType]
                if isinstance(item, dict):
                    names += _names(item)  # pyright: ignore[reportUnknownArgumentType]
        else:
            names.append(key)
    return names


def _user_names(client: NotionClient, users: list[dict[str, Any]] | None) -> dict[str, str]:
    return {str(u.get("id")): str(u.get("name") or u.get("id")) for u in users or client.users()}


def _people_names(client: NotionClient, page: dict[str, Any]) -> dict[str, str]:
    """The workspace's people by id when `page` has someone in a people property (one users request), else none."""
    props = (page.get("properties") or {}).values()
    people = any(isinstance(p, dict) and p.get("type") == "people" and p.get("people") for p in props)
    return _user_names(client, None) if people else {}


@spec.tool()
def query_database(
    id: DatabaseRef,
    where: Where = None,
    sort: Annotated[list[str] | None, Field(description='Property names; "-Due" for descending.')] = None,
    limit: Annotated[int, Field(ge=1, le=100)] = 25,
    cursor: Cursor = None,
    account: AccountArg = None,
) -> QueryResult:
    """Items of a database matching `where` (property names and plain values), with their values."""
    from aide_notion.filters import Where as Compiler
    from aide_notion.filters import sorts

    client = client_for(account)
    source, _ = schema_for(client, database_id(client, id))
    schema = dict(source.get("properties") or {})
    conditions = dict(where or {})
    users = _users_if_needed(client, schema, _names(conditions)) if conditions else []
    compiled = Compiler(schema, users).compile(conditions)
    order = sorts(schema, sort or [])
    binds = {"id": str(source["id"]), "where": conditions, "sort": sort, "limit": limit, "account": account}
    start = decode_cursor(cursor, "query_database", binds, fields={"c": str}).get("c") if cursor else None
    listing = client.query(str(source["id"]), compiled, order, start, limit)
    pages = list(listing.get("results") or [])
    names = _user_names(client, users) if _has_people(schema) else {}
    items = [Item(id=str(p["id"]), url=p.get("url"), values=plain_values(p, names)) for p in pages]
    reserve = 600 + len(str(compiled))
    items, next_cursor = one_page(items, listing, "query_database", binds, reserve, lambda item: item.id)
    return QueryResult(items=items, next_cursor=next_cursor, filter=compiled)


def _has_people(schema: dict[str, Any]) -> bool:
    return any(p.get("type") == "people" for p in schema.values())


def _plan_add_item(id: str, values: dict[str, Any], account: str | None = None) -> Plan[NewPage]:
    """The row add_database_item writes, by the schema; the user's own data, so not confirmed, but keyed for
    idempotency (a retried call replays the row it added rather than adding a second)."""
    client = client_for(account)
    source, _ = schema_for(client, database_id(client, id))
    schema = dict(source.get("properties") or {})
    if not values:
        raise InvalidInput("Give at least the title, e.g. {'Name': 'Buy milk'}.")
    users = _users_if_needed(client, schema, list(values))
    properties = to_properties(schema, values, users)
    target = {"type": "data_source_id", "data_source_id": str(source["id"])}
    names = ", ".join(defang_field(name) for name in values)[:200]
    preview = f"Add an item to the database {title_of(source)!r} with {names}"
    return writes_own_notes(preview, NewPage(target, properties))


@spec.action(plan=_plan_add_item, destructive=False)
def add_database_item(plan: Plan[NewPage], id: DatabaseRef, values: Values, account: AccountArg = None) -> Item:
    """Add an item to a database; values by property name, as plain values (title included)."""
    client = client_for(account)
    page = client.create_page(plan.payload.target, plan.payload.properties)
    return Item(id=str(page["id"]), url=page.get("url"), values=plain_values(page, _people_names(client, page)))


@spec.tool(read_only=False, idempotent=True)
def update_database_item(
    id: Annotated[str, Field(description="The item's page id.")], values: Values, account: AccountArg = None
) -> Item:
    """Change an item's values by property name (null clears one)."""
    client = client_for(account)
    page_id = notion_id(id, "item id")
    page = client.page(page_id)
    parent = page.get("parent") or {}
    if parent.get("type") != "data_source_id":
        raise InvalidInput("That page is not a database item.", hint="Use update_page for other pages.")
    if not values:
        raise InvalidInput("Nothing to change: give values by property name.")
    schema = dict(client.data_source(str(parent["data_source_id"])).get("properties") or {})
    users = _users_if_needed(client, schema, list(values))
    updated = client.update_page(page_id, properties=to_properties(schema, values, users))
    return Item(id=str(updated["id"]), url=updated.get("url"), values=plain_values(updated, _user_names(client, users)))
