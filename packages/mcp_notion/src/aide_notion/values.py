"""Plain values and Notion property values, both ways, checked against a data source's schema.

A model writes `{"Status": "Done", "Due": "2026-12-01", "Tags": ["home"], "Assignee": "Helen Rivera",
"Estimate": 2, "Done": true}`; `to_property` turns each into the property value its type needs, and refuses with
the valid names what does not fit: an unknown property lists the properties, an unknown option lists the options,
an unknown person lists the people. Property and option names match without regard to case. `to_plain` reads a
property value back as the same kind of plain value.

Decision: writing an option that does not exist is an error rather than a new option (Notion would create it),
because a misspelt status or tag silently becoming a new one is the failure users complain about; the hint says
how to add one (in Notion, or by describing it to the user).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from aide_core.errors import InvalidInput
from aide_core.fencing import defang_field
from aide_notion.ids import notion_id
from aide_notion.richtext import plain, text_item

JsonObject = dict[str, Any]

WRITABLE = frozenset(
    {"title", "rich_text", "number", "select", "multi_select", "status", "date", "checkbox", "people", "relation"}
    | {"url", "email", "phone_number"}
)


def names_list(names: list[str], limit: int = 40) -> str:
    shown = [defang_field(n) for n in names[:limit]]
    return ", ".join(shown) + (f" (and {len(names) - limit} more)" if len(names) > limit else "")


def find_property(schema: dict[str, JsonObject], name: str) -> tuple[str, JsonObject]:
    """The schema entry called `name` (exact, else without regard to case); `InvalidInput` listing the names."""
    if name in schema:
        return name, schema[name]
    folded = [key for key in schema if key.casefold() == name.casefold()]
    if len(folded) == 1:
        return folded[0], schema[folded[0]]
    raise InvalidInput(
        f"No property named {defang_field(name)[:80]!r}.", hint=f"Properties: {names_list(sorted(schema))}."
    )


def options_of(prop: JsonObject) -> list[str]:
    kind = str(prop.get("type"))
    return [str(option.get("name")) for option in (prop.get(kind) or {}).get("options") or []]


def option(prop: JsonObject, name: str, value: object) -> str:
    """The option of a select, status or multi-select property that `value` names."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{name} takes an option name, not {_shown(value)}.", hint=_options_hint(prop, name))
    options = options_of(prop)
    if value in options:
        return value
    folded = [o for o in options if o.casefold() == value.strip().casefold()]
    if len(folded) == 1:
        return folded[0]
    raise InvalidInput(f"{name} has no option {defang_field(value)[:80]!r}.", hint=_options_hint(prop, name))


def _options_hint(prop: JsonObject, name: str) -> str:
    options = options_of(prop)
    if not options:
        return f"{name} has no options yet; add one in Notion first."
    return f"Options of {name}: {names_list(options)}."


def _shown(value: object) -> str:
    text = repr(value)
    return defang_field(text if len(text) <= 60 else text[:60] + "…")


def check_date(value: object, name: str) -> str:
    """An ISO 8601 date or date-time as Notion takes it."""
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                date.fromisoformat(text)
            else:
                datetime.fromisoformat(text)
            return text
        except ValueError:
            pass
    raise InvalidInput(
        f"{name} takes a date such as 2026-12-01 or 2026-12-01T09:30:00+01:00, not {_shown(value)}.",
    )


def number(value: object, name: str) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidInput(f"{name} takes a number, not {_shown(value)}.")
    if isinstance(value, str):
        try:
            value = float(value) if any(c in value for c in ".eE") else int(value)
        except ValueError:
            raise InvalidInput(f"{name} takes a number, not {_shown(value)}.") from None
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        raise InvalidInput(f"{name} takes a finite number.")
    if abs(value) > 1e15:
        raise InvalidInput(f"{name}: {_shown(value)} is too large for Notion.")
    return value


def boolean(value: object, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "yes", "no"):
        return value.strip().lower() in ("true", "yes")
    raise InvalidInput(f"{name} takes true or false, not {_shown(value)}.")


def _text(value: object, name: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise InvalidInput(f"{name} takes text, not {_shown(value)}.")


def _many(value: object) -> list[object]:
    return list(cast(list[object], value)) if isinstance(value, list) else [value]


def person(users: list[JsonObject], value: object, name: str) -> str:
    """The id of the user `value` names (an id, a name or an email)."""
    wanted = value.strip().casefold() if isinstance(value, str) else None
    for user in users:
        email = str((user.get("person") or {}).get("email") or "")
        keys = {str(user.get("id", "")).casefold(), str(user.get("name") or "").casefold(), email.casefold()}
        if wanted and wanted in keys - {""}:
            return str(user["id"])
    people = [str(u.get("name") or u.get("id")) for u in users if u.get("type") == "person"]
    raise InvalidInput(f"{name}: no person {_shown(value)} in the workspace.", hint=f"People: {names_list(people)}.")


def to_property(prop: JsonObject, name: str, value: object, users: list[JsonObject] | None = None) -> JsonObject:
    """The property value a plain `value` stands for; None clears the property."""
    kind = str(prop.get("type"))
    if kind not in WRITABLE:
        raise InvalidInput(f"{name} is a {kind} property, which Notion computes; it cannot be written.")
    if value is None:
        empty: dict[str, Any] = {"title": [], "rich_text": [], "multi_select": [], "people": [], "relation": []}
        if kind == "checkbox":
            return {"checkbox": False}
        return {kind: empty.get(kind)}
    if kind in ("title", "rich_text"):
        return {kind: text_item(_text(value, name))}
    if kind == "number":
        return {"number": number(value, name)}
    if kind == "checkbox":
        return {"checkbox": boolean(value, name)}
    if kind in ("select", "status"):
        return {kind: {"name": option(prop, name, value)}}
    if kind == "multi_select":
        return {"multi_select": [{"name": option(prop, name, item)} for item in _many(value)]}
    if kind == "date":
        if isinstance(value, dict):
            given = cast(JsonObject, value)
            if set(given) - {"start", "end"} or "start" not in given:
                raise InvalidInput(f"{name} takes a date, or {{'start': ..., 'end': ...}}.")
            end = given.get("end")
            return {
                "date": {
                    "start": check_date(given["start"], name),
                    "end": None if end is None else check_date(end, name),
                }
            }
        return {"date": {"start": check_date(value, name)}}
    if kind == "people":
        return {"people": [{"id": person(users or [], item, name)} for item in _many(value)]}
    if kind == "relation":
        return {"relation": [{"id": notion_id(_text(item, name), "page id")} for item in _many(value)]}
    return {kind: _text(value, name)}  # url, email, phone_number


def to_properties(
    schema: dict[str, JsonObject], values: dict[str, Any], users: list[JsonObject] | None = None
) -> JsonObject:
    """Property values for `values` by property name."""
    out: JsonObject = {}
    for key, value in values.items():
        name, prop = find_property(schema, key)
        out[name] = to_property(prop, name, value, users)
    return out


def to_plain(prop: JsonObject) -> Any:
    """A property value as a plain value (text from outside defanged)."""
    kind = str(prop.get("type"))
    value = prop.get(kind)
    if kind in ("title", "rich_text"):
        return defang_field(plain(list(value or [])))
    if kind in ("select", "status"):
        return defang_field(str(value.get("name"))) if isinstance(value, dict) else None
    if kind == "multi_select":
        return [defang_field(str(o.get("name"))) for o in value or []]
    if kind == "date":
        if not isinstance(value, dict):
            return None
        start, end = value.get("start"), value.get("end")
        return {"start": start, "end": end} if end else start
    if kind == "people":
        return [defang_field(str(p.get("name") or p.get("id"))) for p in value or []]
    if kind == "relation":
        return [str(r.get("id")) for r in value or []]
    if kind == "formula" and isinstance(value, dict):
        return value.get(str(value.get("type")))
    if kind == "files":
        return [str((f.get(str(f.get("type"))) or {}).get("url", f.get("name", ""))) for f in value or []]
    if kind in ("created_by", "last_edited_by") and isinstance(value, dict):
        return defang_field(str(value.get("name") or value.get("id")))
    if kind == "unique_id" and isinstance(value, dict):
        return f"{value.get('prefix') or ''}{'-' if value.get('prefix') else ''}{value.get('number')}"
    if isinstance(value, str):
        return defang_field(value)
    if isinstance(value, bool | int | float) or value is None:
        return value
    return None


def plain_values(page: JsonObject, users: dict[str, str] | None = None) -> dict[str, Any]:
    """A database page's properties as plain values (people by name when `users` maps ids to names)."""
    out: dict[str, Any] = {}
    for name, prop in (page.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        prop = cast(JsonObject, prop)
        if prop.get("type") == "people" and users:
            out[defang_field(name)] = [
                defang_field(users.get(str(p.get("id")), str(p.get("name") or p.get("id"))))
                for p in prop.get("people") or []
            ]
        else:
            out[defang_field(name)] = to_plain(prop)
    return out
