"""Rich text, property values and block contents: what Notion accepts on the way in, and what it answers.

Inputs are the documented shorthand (`{"text": {"content": "x"}}`, `{"select": {"name": "High"}}`, ...); outputs are
complete (`annotations`, `plain_text`, `href`; select options with `id` and `color`). Property values are checked
against the data source's schema: an unknown property is "X is not a property that exists.", a value of the wrong
type "X is expected to be <type>.", as Notion words them. Writing a new select or multi-select option name adds the
option to the schema (Notion does the same); status options must exist.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, cast

from aide_sandbox.notion.errors import validation
from aide_sandbox.notion.models import Annotations, RichTextItem, parse

JsonObject = dict[str, Any]

_COLORS = ("default", "gray", "brown", "orange", "yellow", "green", "blue", "purple", "pink", "red")
TEXT_BLOCKS = frozenset(
    {
        "paragraph",
        "heading_1",
        "heading_2",
        "heading_3",
        "bulleted_list_item",
        "numbered_list_item",
        "to_do",
        "toggle",
        "quote",
        "callout",
        "code",
    }
)
OTHER_BLOCKS = frozenset({"divider", "bookmark", "equation", "table_of_contents"})
READ_ONLY_BLOCKS = frozenset({"child_page", "child_database"})
#: Property types whose values live on the page (the rest are computed when a page is rendered).
STORED_TYPES = frozenset(
    {"title", "rich_text", "number", "select", "multi_select", "status", "date", "checkbox", "people", "relation"}
    | {"url", "email", "phone_number"}
)
COMPUTED_TYPES = frozenset({"created_time", "last_edited_time"})


def rich_text(items: object, where: str) -> list[JsonObject]:
    """Rich text items, checked against `RichTextItem` and completed the way Notion returns them."""
    if not isinstance(items, list):
        raise validation(f"body failed validation: {where} should be an array.")
    out: list[JsonObject] = []
    for index, raw in enumerate(cast(list[object], items)):
        item = parse(RichTextItem, raw, f"{where}[{index}]")
        annotations = (item.annotations or Annotations()).model_dump()
        if item.text is not None:
            link = item.text.link.model_dump() if item.text.link else None
            content = item.text.content
            out.append(
                {
                    "type": "text",
                    "text": {"content": content, "link": link},
                    "annotations": annotations,
                    "plain_text": content,
                    "href": link["url"] if link else None,
                }
            )
        elif item.mention is not None:
            label = item.plain_text or _mention_text(item.mention)
            out.append(
                {
                    "type": "mention",
                    "mention": item.mention,
                    "annotations": annotations,
                    "plain_text": label,
                    "href": None,
                }
            )
        elif item.equation is not None:
            expression = item.equation.expression
            out.append(
                {
                    "type": "equation",
                    "equation": {"expression": expression},
                    "annotations": annotations,
                    "plain_text": expression,
                    "href": None,
                }
            )
        else:
            raise validation(
                f"body failed validation: {where}[{index}].text should be defined, instead was `undefined`."
            )
    return out


def _mention_text(mention: JsonObject) -> str:
    if "date" in mention:
        return str(mention["date"].get("start", ""))
    if "user" in mention:
        return "@" + str(mention["user"].get("name", "Anonymous"))
    return "Untitled"


def text(content: str) -> list[JsonObject]:
    """Plain rich text (for seeding)."""
    return rich_text([{"text": {"content": content}}], "text")


def plain(items: list[JsonObject]) -> str:
    return "".join(str(item.get("plain_text", "")) for item in items)


# -- property values ---------------------------------------------------------------------------------------------
def _option(schema: JsonObject, kind: str, raw: object, name: str, *, create: bool) -> JsonObject:
    if not isinstance(raw, dict) or not (raw.get("name") or raw.get("id")):
        raise validation(f"{name} is expected to be {kind}.")
    option_input = cast(JsonObject, raw)
    options: list[JsonObject] = schema[kind].setdefault("options", [])
    for option in options:
        if option["id"] == option_input.get("id") or option["name"] == option_input.get("name"):
            return {"id": option["id"], "name": option["name"], "color": option["color"]}
    if not create or not option_input.get("name"):
        raise validation(f"Invalid {kind} option for {name}: {option_input.get('name') or option_input.get('id')}.")
    option = {
        "id": str(uuid.uuid4())[:8],
        "name": str(option_input["name"]),
        "color": option_input.get("color") or _COLORS[len(options) % len(_COLORS)],
        "description": None,
    }
    options.append(option)
    return {"id": option["id"], "name": option["name"], "color": option["color"]}


def _date(raw: object, name: str) -> JsonObject | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or "start" not in raw:
        raise validation(f"{name} is expected to be date.")
    value = cast(JsonObject, raw)
    for key in ("start", "end"):
        if value.get(key) is not None:
            parse_when(str(value[key]), name)
    return {"start": value["start"], "end": value.get("end"), "time_zone": value.get("time_zone")}


def parse_when(value: str, name: str = "date") -> datetime:
    """A Notion date or datetime as a datetime (a date: midnight, naive)."""
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day)  # noqa: DTZ001 (a date has no zone in Notion either)
        return datetime.fromisoformat(value)
    except ValueError:
        raise validation(f"{name} is expected to be date: {value!r} is not an ISO 8601 date.") from None


def property_value(schema: JsonObject, raw: JsonObject, name: str, known_users: set[str]) -> JsonObject:
    """The stored value of one property (its `{id, type, <type>: value}`), from what a client sent."""
    kind = str(schema["type"])
    if kind in COMPUTED_TYPES:
        raise validation(f"{name} is a {kind} property and cannot be written.")
    if kind not in raw:
        raise validation(f"{name} is expected to be {kind}.")
    value: Any = raw[kind]
    if kind in ("title", "rich_text"):
        value = rich_text(value, f"body.properties.{name}.{kind}")
    elif kind == "number":
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise validation(f"{name} is expected to be number.")
    elif kind == "checkbox":
        if not isinstance(value, bool):
            raise validation(f"{name} is expected to be checkbox.")
    elif kind in ("select", "status"):
        value = None if value is None else _option(schema, kind, value, name, create=kind == "select")
    elif kind == "multi_select":
        if not isinstance(value, list):
            raise validation(f"{name} is expected to be multi_select.")
        value = [_option(schema, kind, item, name, create=True) for item in cast(list[object], value)]
    elif kind == "date":
        value = _date(value, name)
    elif kind == "people":
        if not isinstance(value, list):
            raise validation(f"{name} is expected to be people.")
        people = [str(cast(JsonObject, person).get("id", "")) for person in cast(list[object], value)]
        unknown = [p for p in people if p not in known_users]
        if unknown:
            raise validation(f"Invalid user id for {name}: {unknown[0]}.")
        value = [{"object": "user", "id": p} for p in people]
    elif kind == "relation":
        if not isinstance(value, list):
            raise validation(f"{name} is expected to be relation.")
        value = [{"id": str(cast(JsonObject, item).get("id", ""))} for item in cast(list[object], value)]
    elif kind in ("url", "email", "phone_number") and value is not None and not isinstance(value, str):
        raise validation(f"{name} is expected to be {kind}.")
    stored: JsonObject = {"id": schema["id"], "type": kind, kind: value}
    if kind == "relation":
        stored["has_more"] = False
    return stored


def empty_value(schema: JsonObject) -> JsonObject:
    kind = str(schema["type"])
    value: Any = {"title": [], "rich_text": [], "multi_select": [], "people": [], "relation": [], "checkbox": False}
    stored: JsonObject = {"id": schema["id"], "type": kind, kind: value.get(kind)}
    if kind == "relation":
        stored["has_more"] = False
    return stored


# -- blocks -------------------------------------------------------------------------------------------------------
def block_content(raw: JsonObject, where: str) -> tuple[str, JsonObject, list[JsonObject]]:
    """(type, content, nested children) of a block a client sent."""
    kinds = [key for key in raw if key in TEXT_BLOCKS | OTHER_BLOCKS | READ_ONLY_BLOCKS]
    kind = str(raw.get("type") or (kinds[0] if kinds else ""))
    if kind in READ_ONLY_BLOCKS:
        raise validation(f"body failed validation: {where}.{kind} cannot be created through this endpoint.")
    if kind not in TEXT_BLOCKS | OTHER_BLOCKS or not isinstance(raw.get(kind), dict):
        raise validation(f"body failed validation: {where} should have a block type, such as `paragraph`.")
    given = cast(JsonObject, raw[kind])
    children = cast(list[JsonObject], given.get("children") or [])
    return kind, content_of(kind, given, where), children


def content_of(kind: str, given: JsonObject, where: str, current: JsonObject | None = None) -> JsonObject:
    """The content object of a `kind` block, from what was given (merged over `current` for an update)."""
    content = dict(current or {})
    if kind in TEXT_BLOCKS:
        if "rich_text" in given or current is None:
            content["rich_text"] = rich_text(given.get("rich_text", []), f"{where}.{kind}.rich_text")
        content["color"] = given.get("color", content.get("color", "default"))
        if kind == "to_do":
            content["checked"] = bool(given.get("checked", content.get("checked", False)))
        if kind == "code":
            content["language"] = given.get("language", content.get("language", "plain text"))
            content["caption"] = rich_text(given.get("caption", content.get("caption", [])), f"{where}.code.caption")
        if kind.startswith("heading_"):
            content["is_toggleable"] = bool(given.get("is_toggleable", content.get("is_toggleable", False)))
        if kind == "callout":
            content["icon"] = given.get("icon", content.get("icon", {"type": "emoji", "emoji": "💡"}))
    elif kind == "bookmark":
        content["url"] = str(given.get("url", content.get("url", "")))
        content["caption"] = rich_text(given.get("caption", content.get("caption", [])), f"{where}.bookmark.caption")
    elif kind == "equation":
        content["expression"] = str(given.get("expression", content.get("expression", "")))
    return content


def block_text(block: JsonObject) -> str:
    """The plain text of a block (for search)."""
    content = block.get(block.get("type", ""), {})
    return plain(content.get("rich_text", [])) if isinstance(content, dict) else ""
