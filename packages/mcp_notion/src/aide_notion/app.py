"""The Notion server's declaration (`spec`) and what its tool modules share: argument types, the current state
and client, id checks and titles."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Annotated, Any, TypeVar

from pydantic import BeforeValidator, Field

from aide_core.errors import UpstreamError
from aide_core.fencing import defang_field
from aide_core.plan import Plan
from aide_core.server import ServerSpec
from aide_notion.client import NotionClient
from aide_notion.state import NotionSettings, NotionState

spec = ServerSpec[NotionState](
    "notion",
    title="aide Notion",
    instructions=(
        "Notion pages and databases. Find things with search, read pages as Markdown with read_page, write "
        "Markdown with create_page and append_markdown. For databases, describe_database first: query_database's "
        'where takes property names and plain values, e.g. {"Status": "Done", "Due": {"before": "2026-12-01"}}. '
        "With several workspaces, pass `account`."
    ),
    settings_model=NotionSettings,
    state=NotionState,
    configure_command="aide auth notion",
    upstream="Notion",
    errors="aide_notion.errors:NOTION_ERRORS",
)

AccountArg = Annotated[str | None, Field(description="Workspace account name.")]
Cursor = Annotated[str | None, Field(description="A next_cursor.")]
Id = Annotated[str, Field(description="A Notion id or URL.")]
DatabaseRef = Annotated[str, Field(description="A database id, URL or exact title.")]


def json_object(value: object) -> object:
    """An object argument that a client sent as a JSON string (some hosts stringify nested objects): decoded, so
    it is checked as the object it is; anything else is left for validation to refuse."""
    if isinstance(value, str) and value.strip().startswith("{"):
        import json

        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


#: An object keyed by a database's own property names; also accepted as the JSON text of one.
PropertyMap = BeforeValidator(json_object)


@dataclass(frozen=True)
class NewPage:
    """What create_page and add_database_item write: the parent, the properties in Notion's form, the blocks."""

    target: dict[str, Any]
    properties: dict[str, Any]
    blocks: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Appended:
    """What append_markdown writes: the blocks, under `target`, after the block `after` (None: at the end)."""

    target: str
    blocks: tuple[dict[str, Any], ...]
    after: str | None


P = TypeVar("P", NewPage, Appended)


def writes_own_notes(preview: str, payload: P) -> Plan[P]:
    """The plan of a write to the user's own pages that notifies nobody (a page, a row, appended content): the guard
    acts without asking (`confirm=False`) but keys the call for idempotency, so a host's retry of a call that timed
    out replays its first result instead of writing the content twice; dry-run mode still only previews."""
    return Plan(preview=preview, payload=payload, content=asdict(payload), confirm=False)


class PartlyWritten(UpstreamError):
    """A write that acted in part (a page created, its content not): an upstream error with no status, so the guard
    keeps the call's idempotency key and a blind retry cannot create the page a second time."""

    def __init__(self, message: str, *, hint: str) -> None:
        super().__init__("Notion", None, message, hint=hint)
        self.message = message
        self.args = (message,)


def current_state() -> NotionState:
    return spec.state()


T = TypeVar("T")


def client_for(account: str | None) -> NotionClient:
    return current_state().client(account)


def output_budget() -> int:
    return current_state().config.max_output_chars


def one_page(
    items: list[T], listing: dict[str, Any], tool: str, binds: dict[str, Any], reserve: int, id_of: Callable[[T], str]
) -> tuple[list[T], str | None]:
    """The rows of one Notion listing that fit the output budget (less `reserve`), and the cursor that continues:
    from the first row left out when the budget cut the page (Notion takes an item's id as `start_cursor`), else
    from Notion's own `next_cursor` when it has more. Every paged tool of this server answers this way."""
    from aide_core.paging import encode_cursor, take_within_budget

    fits = take_within_budget(items, output_budget() - reserve)
    if fits < len(items):
        return items[:fits], encode_cursor(tool, {"c": id_of(items[fits])}, binds)
    if listing.get("has_more") and listing.get("next_cursor"):
        return items, encode_cursor(tool, {"c": str(listing["next_cursor"])}, binds)
    return items, None


def title_of(obj: dict[str, Any]) -> str:
    """The title of a page, database or data source (plain text, one line)."""
    from aide_notion.richtext import plain

    if obj.get("object") in ("database", "data_source"):
        return defang_field(plain(list(obj.get("title") or []))) or "Untitled"
    for prop in (obj.get("properties") or {}).values():
        if isinstance(prop, dict) and prop.get("type") == "title":
            return defang_field(plain(list(prop.get("title") or []))) or "Untitled"  # pyright: ignore[reportUnknownArgumentType]
    return "Untitled"


def parent_of(obj: dict[str, Any]) -> str | None:
    parent = obj.get("parent") or {}
    kind = parent.get("type")
    value = parent.get(kind) if isinstance(kind, str) else None
    return value if isinstance(value, str) else None


def not_found(exc: Exception) -> bool:
    """Whether `exc` is Notion's 404 (notion-client's error, or ours)."""
    from aide_core.errors import NotFound

    return getattr(exc, "status", None) == 404 or isinstance(exc, NotFound)


def database_id(client: NotionClient, value: str) -> str:
    """The id in `value` (an id or URL), else the id of the one database whose title is `value` (case aside)."""
    from aide_core.errors import InvalidInput
    from aide_notion.ids import notion_id

    try:
        return notion_id(value, "database id")
    except InvalidInput:
        wanted = value.strip().casefold()
        if not wanted or len(wanted) > 200:
            raise
        found = client.search(value.strip(), "data_source", None, 25).get("results") or []
        matches = [str(hit["id"]) for hit in found if title_of(hit).casefold() == wanted]
        if len(matches) != 1:
            titles = sorted({title_of(hit) for hit in found})
            raise InvalidInput(
                f"{'No' if not matches else 'More than one'} database titled {defang_field(value)[:80]!r}.",
                hint=f"Databases with similar titles: {', '.join(titles[:20])}." if titles else "Find it with search.",
            ) from None
        return matches[0]


def schema_for(client: NotionClient, id: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(data source, database) for a database id or a data source id; the database is None when `id` named the
    data source itself. A database with several data sources answers with its first (the others are listed by
    describe_database)."""
    try:
        database = client.database(id)
    except Exception as exc:
        if not not_found(exc):
            raise
        return client.data_source(id), None
    sources = list(database.get("data_sources") or [])
    if not sources:
        from aide_core.errors import InvalidInput

        raise InvalidInput("That database has no data source to read.", hint="Open it in Notion to check it.")
    return client.data_source(str(sources[0]["id"])), database
