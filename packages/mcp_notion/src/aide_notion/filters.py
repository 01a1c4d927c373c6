"""The where-language of query_database: property names and plain values, turned into Notion's filter JSON against
the data source's schema. Nothing is dropped: every key becomes a condition or an error that lists what is valid.

    {"Status": "Done"}                          equals (contains, for multi-select, people and relation)
    {"Status": ["Not started", "In progress"]}  any of them
    {"Due": {"before": "2026-12-01"}}           an operator; several in one object must all hold
    {"Tags": {"contains": "urgent"}}
    {"Assignee": null}                          is empty ({"is_empty": false}: is not empty)
    {"or": [{"Status": "Done"}, {"Tags": {"contains": "home"}}]}

Top-level keys must all hold. Operators by type: text `equals`, `not`, `contains`, `not_contains`, `starts_with`,
`ends_with`; numbers `equals`, `not`, `>`, `>=`, `<`, `<=` (or `gt`, `gte`, `lt`, `lte`); dates `equals`, `before`,
`after`, `on_or_before`, `on_or_after`, `past_week`, `past_month`, `past_year`, `next_week`, `next_month`,
`next_year`, `this_week` (true); select and status `equals`, `not`; multi-select, people and relation `contains`,
`not_contains`; checkbox `equals`, `not`; and `is_empty` for all. Option and people names are checked and
spelled as Notion has them.
"""

from __future__ import annotations

from typing import Any, cast

from aide_core.errors import InvalidInput
from aide_core.fencing import defang_field
from aide_notion.values import boolean, check_date, find_property, number, option, person

JsonObject = dict[str, Any]

_FAMILY = {
    "title": "text",
    "rich_text": "text",
    "url": "text",
    "email": "text",
    "phone_number": "text",
    "number": "number",
    "checkbox": "checkbox",
    "select": "select",
    "status": "select",
    "multi_select": "member",
    "people": "member",
    "relation": "member",
    "created_by": "member",
    "last_edited_by": "member",
    "date": "date",
    "created_time": "date",
    "last_edited_time": "date",
}
_ALIASES = {
    "=": "equals",
    "==": "equals",
    "is": "equals",
    "eq": "equals",
    "not": "does_not_equal",
    "!=": "does_not_equal",
    "ne": "does_not_equal",
    "not_equals": "does_not_equal",
    "does_not_equal": "does_not_equal",
    "not_contains": "does_not_contain",
    ">": "greater_than",
    "gt": "greater_than",
    ">=": "greater_than_or_equal_to",
    "gte": "greater_than_or_equal_to",
    "<": "less_than",
    "lt": "less_than",
    "<=": "less_than_or_equal_to",
    "lte": "less_than_or_equal_to",
}
_RELATIVE = ("past_week", "past_month", "past_year", "next_week", "next_month", "next_year", "this_week")
_OPERATORS: dict[str, tuple[str, ...]] = {
    "text": ("equals", "does_not_equal", "contains", "does_not_contain", "starts_with", "ends_with"),
    "number": (
        "equals",
        "does_not_equal",
        "greater_than",
        "greater_than_or_equal_to",
        "less_than",
        "less_than_or_equal_to",
    ),
    "checkbox": ("equals", "does_not_equal"),
    "select": ("equals", "does_not_equal"),
    "member": ("contains", "does_not_contain"),
    "date": ("equals", "before", "after", "on_or_before", "on_or_after", *_RELATIVE),
}
_SHORT = {"does_not_equal": "not", "does_not_contain": "not_contains"}
_MAX_CONDITIONS = 50


class Where:
    """Compiles where-objects against one data source's schema (`users` for people names)."""

    def __init__(self, schema: dict[str, JsonObject], users: list[JsonObject] | None = None) -> None:
        self.schema = schema
        self.users = users or []
        self.count = 0

    def compile(self, where: dict[str, Any]) -> JsonObject | None:
        """Notion's filter for `where` (None when it is empty)."""
        parts = self._all(where, depth=0)
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else {"and": parts}

    def _all(self, where: dict[str, Any], depth: int) -> list[JsonObject]:
        parts: list[JsonObject] = []
        for key, value in where.items():
            if key.lower() in ("or", "and") and key not in self.schema:
                parts.append(self._compound(key.lower(), value, depth))
            else:
                parts += self._property(key, value)
        return parts

    def _compound(self, kind: str, value: object, depth: int) -> JsonObject:
        if depth >= 1:
            raise InvalidInput("`or`/`and` can be nested only once (Notion allows two levels of filters).")
        if not isinstance(value, list) or not value:
            raise InvalidInput(f"`{kind}` takes a list of where-objects, e.g. [{{'Status': 'Done'}}, ...].")
        parts: list[JsonObject] = []
        for item in cast(list[object], value):
            if not isinstance(item, dict):
                raise InvalidInput(f"Each entry of `{kind}` is a where-object such as {{'Status': 'Done'}}.")
            inner = self._all(cast(dict[str, Any], item), depth + 1)
            if inner:
                parts.append(inner[0] if len(inner) == 1 else {"and": inner})
        if not parts:
            raise InvalidInput(f"`{kind}` has no condition.")
        return {kind: parts}

    def _property(self, key: str, value: object) -> list[JsonObject]:
        name, prop = find_property(self.schema, key)
        kind = str(prop.get("type"))
        family = _FAMILY.get(kind)
        if family is None:
            raise InvalidInput(
                f"{defang_field(name)} is a {kind} property, which the where-language cannot filter on.",
                hint="Filter on another property, or read the items and compare yourself.",
            )
        if value is None:
            return [self._condition(name, kind, "is_empty", True)]
        if isinstance(value, list):
            items = cast(list[object], value)
            if not items:
                raise InvalidInput(f"{defang_field(name)}: an empty list matches nothing; give at least one value.")
            first = "equals" if family in ("select", "text", "number", "date", "checkbox") else "contains"
            conditions = [self._operator(name, kind, family, first, item) for item in items]
            return conditions if len(conditions) == 1 else [{"or": conditions}]
        if isinstance(value, dict):
            given = cast(dict[str, Any], value)
            if not given:
                raise InvalidInput(f"{defang_field(name)}: the operator object is empty.", hint=self._ops(name, family))
            return [self._operator(name, kind, family, op, target) for op, target in given.items()]
        first = "equals" if family != "member" else "contains"
        return [self._operator(name, kind, family, first, value)]

    def _ops(self, name: str, family: str) -> str:
        ops = [_SHORT.get(op, op) for op in _OPERATORS[family]]
        return f"Operators for {defang_field(name)}: {', '.join(ops)}, is_empty."

    def _operator(self, name: str, kind: str, family: str, op: str, target: object) -> JsonObject:
        key = _ALIASES.get(op.strip().lower(), op.strip().lower())
        if key in ("is_empty", "is_not_empty"):
            empty = boolean(target, f"{name} {op}")
            return self._condition(name, kind, "is_empty" if empty == (key == "is_empty") else "is_not_empty", True)
        if key not in _OPERATORS[family]:
            raise InvalidInput(
                f"{defang_field(op)[:40]!r} is not an operator for {name} ({kind}).", hint=self._ops(name, family)
            )
        return self._condition(name, kind, key, self._value(name, kind, family, key, target))

    def _value(self, name: str, kind: str, family: str, op: str, target: object) -> Any:
        if family == "text":
            if not isinstance(target, str | int | float) or isinstance(target, bool):
                raise InvalidInput(f"{name} compares with text, not {defang_field(repr(target))[:60]}.")
            return str(target)
        if family == "number":
            return number(target, name)
        if family == "checkbox":
            return boolean(target, name)
        if family == "select":
            return option(self.schema[name], name, target)
        if family == "date":
            if op in _RELATIVE:
                if target is not True:
                    raise InvalidInput(f"{name} {op} takes true, as in {{'{op}': true}}.")
                return {}
            return check_date(target, name)
        # member
        if kind == "multi_select":
            return option(self.schema[name], name, target)
        if kind in ("people", "created_by", "last_edited_by"):
            return person(self.users, target, name)
        from aide_notion.ids import notion_id

        if not isinstance(target, str):
            raise InvalidInput(f"{name} compares with a page id, not {defang_field(repr(target))[:60]}.")
        return notion_id(target, "page id")

    def _condition(self, name: str, kind: str, op: str, value: Any) -> JsonObject:
        self.count += 1
        if self.count > _MAX_CONDITIONS:
            raise InvalidInput(f"The where-object has more than {_MAX_CONDITIONS} conditions; narrow it down.")
        return {"property": name, kind: {op: value}}


def sorts(schema: dict[str, JsonObject], sort: list[str]) -> list[JsonObject]:
    """Notion sorts for entries such as "Due", "-Due" or "Due desc" (most significant first)."""
    out: list[JsonObject] = []
    for entry in sort:
        text = entry.strip()
        direction = "ascending"
        if text.startswith("-"):
            text, direction = text[1:].strip(), "descending"
        else:
            head, _, tail = text.rpartition(" ")
            if head and tail.lower() in ("asc", "ascending", "desc", "descending"):
                text, direction = head.strip(), "descending" if tail.lower().startswith("desc") else "ascending"
        name, _ = find_property(schema, text)
        out.append({"property": name, "direction": direction})
    return out
