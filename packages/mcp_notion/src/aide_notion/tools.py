"""Pages: search, read as Markdown, create, append, update or trash, delete a block, comments."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from aide_core.errors import AideError, InvalidInput
from aide_core.fencing import defang, defang_field, fence
from aide_core.paging import decode_cursor, page_text
from aide_core.plan import Plan
from aide_notion.app import (
    AccountArg,
    Appended,
    Cursor,
    Id,
    NewPage,
    PartlyWritten,
    PropertyMap,
    client_for,
    current_state,
    not_found,
    one_page,
    output_budget,
    parent_of,
    spec,
    title_of,
    writes_own_notes,
)
from aide_notion.client import NotionClient
from aide_notion.ids import notion_id
from aide_notion.models import ChildRef, Comment, Comments, Deleted, Page, SearchHit, SearchResult, Updated, Written
from aide_notion.richtext import plain, text_item

Markdown = Annotated[str, Field(description="Markdown: headings, lists, - [ ] to-dos, tables, code, > quotes.")]
Values = Annotated[
    dict[str, Any] | None,
    PropertyMap,
    Field(description='Property name -> plain value, e.g. {"Status": "Done"}.'),
]
#: Characters a fence adds around a window (markers, kind, source) and the rest of a page result.
_OVERHEAD = 600


@spec.tool()
def search(
    query: str = "",
    type: Literal["page", "database"] | None = None,
    cursor: Cursor = None,
    account: AccountArg = None,
) -> SearchResult:
    """Find pages and databases by title; most recently edited first."""
    client = client_for(account)
    binds = {"query": query, "type": type, "account": account}
    start = decode_cursor(cursor, "search", binds, fields={"c": str}).get("c") if cursor else None
    kind = {"page": "page", "database": "data_source"}.get(type or "")
    listing = client.search(query, kind, start, 25)
    hits = [_hit(found) for found in listing.get("results") or []]
    hits, next_cursor = one_page(hits, listing, "search", binds, 300, lambda hit: hit.id)
    return SearchResult(results=hits, next_cursor=next_cursor)


def _hit(found: dict[str, Any]) -> SearchHit:
    kind: Literal["page", "database"] = "page" if found.get("object") == "page" else "database"
    return SearchHit(
        id=str(found.get("id")),
        type=kind,
        title=title_of(found),
        url=found.get("url"),
        parent=parent_of(found),
        last_edited=found.get("last_edited_time"),
    )


@spec.tool()
def read_page(
    id: Id,
    max_chars: Annotated[int | None, Field(ge=500)] = None,
    cursor: Cursor = None,
    account: AccountArg = None,
) -> Page:
    """Read a page as Markdown (nested blocks included, sub-pages listed); long pages continue with the cursor."""
    from aide_notion.render import to_markdown_text

    page_id = notion_id(id, "page id")
    client = client_for(account)
    page = _page_or_hint(client, page_id)
    # A first read renders the page afresh; reads with a cursor continue the text that first read rendered
    # (Notion's last_edited_time moves by the minute, too coarse to tell whether the page changed).
    key = (client.identity, page_id)

    def render() -> tuple[str, list[ChildRef], bool]:
        blocks, cut = client.block_tree(page_id)
        return to_markdown_text(blocks, ids=True), _child_refs(blocks), cut

    text, children, cut = current_state().cached(key, render, fresh=cursor is None)
    budget = max(300, min(max_chars or output_budget(), output_budget()) - _OVERHEAD)
    window = page_text(text, budget=budget, tool="read_page", cursor=cursor, binds={"id": page_id, "account": account})
    title = title_of(page)
    properties = _row_values(client, page)
    return Page(
        id=str(page["id"]),
        title=title,
        url=page.get("url"),
        properties=properties,
        markdown=fence(window.text, source=f"notion page {page_id}: {title}"[:200], kind="notion page"),
        offset=window.offset,
        total_chars=window.total_chars,
        next_cursor=window.next_cursor,
        children=children[:50],
        blocks_left_out=cut,
    )


def _row_values(client: NotionClient, page: dict[str, Any]) -> dict[str, Any]:
    """A database row's properties as plain values, people by name (one users request when there are any)."""
    from aide_notion.values import plain_values

    if (page.get("parent") or {}).get("type") != "data_source_id":
        return {}
    props = (page.get("properties") or {}).values()
    people = any(p.get("type") == "people" and p.get("people") for p in props if isinstance(p, dict))
    names = {str(u.get("id")): str(u.get("name") or u.get("id")) for u in client.users()} if people else None
    return plain_values(page, names)


def _page_or_hint(client: NotionClient, page_id: str) -> dict[str, Any]:
    """The page; for a database's id, an error that says which tools read databases."""
    try:
        return client.page(page_id)
    except Exception as exc:
        if not not_found(exc) or not _exists(lambda: client.database(page_id)):
            raise
    raise InvalidInput("That id is a database, not a page.", hint="Read it with describe_database and query_database.")


def _exists(fetch: Any) -> bool:
    try:
        fetch()
    except Exception as exc:
        if not_found(exc):
            return False
        raise
    return True


def _child_refs(blocks: list[dict[str, Any]]) -> list[ChildRef]:
    found: list[ChildRef] = []
    for block in blocks:
        kind = block.get("type")
        if kind in ("child_page", "child_database"):
            title = defang_field(str((block.get(kind) or {}).get("title") or "Untitled"))
            found.append(
                ChildRef(id=str(block["id"]), type="page" if kind == "child_page" else "database", title=title)
            )
        found += _child_refs(list(block.get("children") or []))
    return found


def _plan_create_page(
    parent: str, title: str, markdown: str = "", properties: dict[str, Any] | None = None, account: str | None = None
) -> Plan[NewPage]:
    """What create_page writes, resolved once: the parent (a page, or a database's data source), the properties by
    the schema, the blocks. It reaches nobody (the user's own notes): not confirmed, but keyed for idempotency."""
    from aide_notion.app import schema_for
    from aide_notion.markdown import to_blocks
    from aide_notion.values import find_property, to_properties

    parent_id = notion_id(parent, "parent id")
    client = client_for(account)
    blocks = to_blocks(markdown) if markdown.strip() else []
    if _is_page(client, parent_id):
        if properties:
            raise InvalidInput(
                "properties are for database rows; this parent is a page.",
                hint="Give a database id as parent, or leave properties out.",
            )
        props: dict[str, Any] = {"title": {"title": text_item(title)}}
        target = {"type": "page_id", "page_id": parent_id}
        where = f"under the page {parent_id}"
    else:
        source, _ = schema_for(client, parent_id)
        schema = dict(source.get("properties") or {})
        title_name = next((n for n, p in schema.items() if p.get("type") == "title"), "Name")
        values = dict(properties or {})
        if any(find_property(schema, key)[1].get("type") == "title" for key in values):
            raise InvalidInput(f"Give the title as `title`, not as the {title_name} property.")
        users = client.users() if any(find_property(schema, k)[1].get("type") == "people" for k in values) else []
        props = to_properties(schema, values, users) | {title_name: {"title": text_item(title)}}
        target = {"type": "data_source_id", "data_source_id": str(source["id"])}
        where = f"as a row of the database {title_of(source)!r}"
    preview = f"Create the page {defang_field(title)!r} {where}, with {len(blocks)} blocks"
    return writes_own_notes(preview, NewPage(target, props, tuple(blocks)))


@spec.action(plan=_plan_create_page, destructive=False)
def create_page(
    plan: Plan[NewPage],
    parent: Annotated[str, Field(description="Parent page id, or a database id to add a row.")],
    title: str,
    markdown: Markdown = "",
    properties: Values = None,
    account: AccountArg = None,
) -> Written:
    """Create a page (under a page, or as a database row with properties) with Markdown content."""
    client = client_for(account)
    new = plan.payload
    created = client.create_page(new.target, new.properties)
    page_id = str(created["id"])
    try:
        ids = client.append(page_id, list(new.blocks)) if new.blocks else []
    except Exception as exc:
        raise PartlyWritten(
            f"The page {page_id} was created, but writing its content failed: {_reason(exc)}",
            hint="Read it with read_page and add the rest with append_markdown (do not create it again).",
        ) from exc
    return Written(id=page_id, url=created.get("url"), title=title_of(created), block_ids=ids[:100])


def _is_page(client: NotionClient, object_id: str) -> bool:
    """Whether `object_id` is a page the integration sees (False: not found as a page, so maybe a database)."""
    return _exists(lambda: client.page(object_id))


def _reason(exc: Exception) -> str:
    mapped = exc if isinstance(exc, AideError) else spec.runtime().upstream_error(exc)
    return str(mapped) if mapped is not None else type(exc).__name__


def _plan_append(
    page_id: str, markdown: str, after_block: str | None = None, account: str | None = None
) -> Plan[Appended]:
    from aide_notion.markdown import to_blocks

    target = notion_id(page_id, "page id")
    after = notion_id(after_block, "block id") if after_block else None
    blocks = to_blocks(markdown)
    if not blocks:
        raise InvalidInput("The Markdown has no content to add.")
    where = f"after the block {after}" if after else "at the end"
    preview = f"Add {len(blocks)} blocks to {target}, {where}"
    return writes_own_notes(preview, Appended(target, tuple(blocks), after))


@spec.action(plan=_plan_append, destructive=False)
def append_markdown(
    plan: Plan[Appended],
    page_id: Annotated[str, Field(description="A page id, or a block id to nest under it.")],
    markdown: Markdown,
    after_block: Annotated[str | None, Field(description="Insert after this block id (default: at the end).")] = None,
    account: AccountArg = None,
) -> Written:
    """Add Markdown content to a page, at the end or after a block."""
    added = plan.payload
    ids = client_for(account).append(added.target, list(added.blocks), added.after)
    return Written(id=added.target, block_ids=ids[:100])


def _update_preview(
    id: str,
    title: str | None = None,
    properties: dict[str, Any] | None = None,
    archive: bool | None = None,
    account: str | None = None,
    **_: Any,
) -> str:
    page = client_for(account).page(notion_id(id, "page id"))
    changes = [f"rename it to {defang_field(title)!r}"] if title is not None else []
    changes += [
        f"set {defang_field(name)} to {defang_field(repr(value))[:80]}" for name, value in (properties or {}).items()
    ]
    if archive is not None:
        changes.append("move it to the trash" if archive else "restore it from the trash")
    return f"Page {title_of(page)!r} ({page['id']}): " + ("; ".join(changes) or "no change")


@spec.action(preview=_update_preview, destructive=True)
def update_page(
    id: Id,
    title: str | None = None,
    properties: Values = None,
    archive: Annotated[bool | None, Field(description="true: move to the trash; false: restore.")] = None,
    account: AccountArg = None,
) -> Updated:
    """Rename a page, set its database properties, or move it to the trash (archive) and back; asks the user."""
    return _update(id, title, properties, archive, account)


def _update(
    id: str, title: str | None, properties: dict[str, Any] | None, archive: bool | None, account: str | None
) -> Updated:
    from aide_notion.values import find_property, to_properties

    page_id = notion_id(id, "page id")
    client = client_for(account)
    changes: dict[str, Any] = {}
    if properties or title is not None:
        page = client.page(page_id)
        parent = page.get("parent") or {}
        if parent.get("type") == "data_source_id":
            schema = dict(client.data_source(str(parent["data_source_id"])).get("properties") or {})
            values = dict(properties or {})
            users = client.users() if any(find_property(schema, k)[1].get("type") == "people" for k in values) else []
            changes["properties"] = to_properties(schema, values, users)
            if title is not None:
                name = next(n for n, p in schema.items() if p.get("type") == "title")
                changes["properties"][name] = {"title": text_item(title)}
        elif properties:
            raise InvalidInput("This page is not in a database, so it has no properties but its title.")
        else:
            changes["properties"] = {"title": {"title": text_item(title or "")}}
    if archive is not None:
        changes["in_trash"] = archive
    if not changes:
        raise InvalidInput("Nothing to change: give title, properties or archive.")
    page = client.update_page(page_id, **changes)
    values = _row_values(client, page)
    return Updated(
        id=str(page["id"]), url=page.get("url"), title=title_of(page), in_trash=bool(page.get("in_trash")),
        properties=values,
    )  # fmt: skip


def _delete_preview(id: str, account: str | None = None, **_: Any) -> str:
    block = client_for(account).block(notion_id(id, "block id"))
    kind = str(block.get("type"))
    content = block.get(kind) or {}
    text = plain(list(content.get("rich_text") or [])) or str(content.get("title") or "")
    shown = defang_field(text)[:120] + ("…" if len(text) > 120 else "")
    return (
        f"Delete the {kind} block {block['id']}"
        + (f": {shown!r}" if shown else "")
        + (" and the blocks inside it" if block.get("has_children") else "")
    )


@spec.action(preview=_delete_preview, destructive=True)
def delete_block(id: Id, account: AccountArg = None) -> Deleted:
    """Delete a block (with what is nested in it) from a page; ids come from read_page."""
    block = client_for(account).delete_block(notion_id(id, "block id"))
    return Deleted(id=str(block["id"]), type=str(block.get("type")), in_trash=bool(block.get("in_trash", True)))


def _plan_comment(page_or_block: str, text: str, account: str | None = None) -> Plan[tuple[dict[str, str], str]]:
    """A comment notifies people (the page's followers, anyone it mentions): confirmed, as any message is."""
    target = notion_id(page_or_block, "page or block id")
    if not text.strip():
        raise InvalidInput("The comment is empty.")
    client = client_for(account)
    try:
        on = f"the page {title_of(client.page(target))!r} ({target})"
        parent = {"page_id": target}
    except Exception as exc:
        if not not_found(exc):
            raise
        on = f"the {client.block(target).get('type')} block {target}"
        parent = {"block_id": target}
    preview = f"Comment on {on}; Notion notifies the people following it\n\n{defang(text)}"
    return Plan(preview=preview, payload=(parent, text), content={"parent": parent, "text": text})


@spec.action(plan=_plan_comment, destructive=False)
def add_comment(
    plan: Plan[tuple[dict[str, str], str]],
    page_or_block: Id,
    text: Annotated[str, Field(min_length=1, max_length=2000)],
    account: AccountArg = None,
) -> Comment:
    """Comment on a page or a block (notifies its followers; asks the user)."""
    parent, body = plan.payload
    return _comment(client_for(account).add_comment(parent, text_item(body)))


def _comment(found: dict[str, Any]) -> Comment:
    author = (found.get("display_name") or {}).get("resolved_name") or (found.get("created_by") or {}).get("id")
    return Comment(
        id=str(found.get("id")),
        author=str(author or "unknown"),
        text=plain(list(found.get("rich_text") or [])),
        created=found.get("created_time"),
        discussion_id=found.get("discussion_id"),
    )


@spec.tool()
def list_comments(id: Id, cursor: Cursor = None, account: AccountArg = None) -> Comments:
    """The comments on a page or block, oldest first."""
    target = notion_id(id, "page or block id")
    binds = {"id": target, "account": account}
    start = decode_cursor(cursor, "list_comments", binds, fields={"c": str}).get("c") if cursor else None
    listing = client_for(account).comments(target, start, 50)
    found = [_comment(c) for c in listing.get("results") or []]
    found, next_cursor = one_page(found, listing, "list_comments", binds, 300, lambda comment: comment.id)
    return Comments(comments=found, next_cursor=next_cursor)
