"""The data-source query grammar: property filters per type, timestamp filters, compound `and`/`or`, and sorts.

Decisions where Notion's reference is loose: text `contains`/`starts_with`/`ends_with` ignore case, `equals` does
not; `does_not_equal`/`does_not_contain` match empty values too; a date given as a day compares by day, a datetime
by instant (naive means UTC); select and status sort by the order of their options in the schema, as Notion's UI
does; empty values sort last in either direction. Compound filters nest at most two levels, as documented.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from aide_sandbox.notion.errors import validation
from aide_sandbox.notion.models import Sort
from aide_sandbox.notion.values import parse_when, plain

JsonObject = dict[str, Any]
Predicate = Callable[[JsonObject], bool]

_TEXT = ("title", "rich_text", "url", "email", "phone_number")
_TIMESTAMPS = ("created_time", "last_edited_time")
_CONDITIONS: dict[str, tuple[str, ...]] = {
    "text": (
        "equals",
        "does_not_equal",
        "contains",
        "does_not_contain",
        "starts_with",
        "ends_with",
        "is_empty",
        "is_not_empty",
    ),
    "number": (
        "equals",
        "does_not_equal",
        "greater_than",
        "less_than",
        "greater_than_or_equal_to",
        "less_than_or_equal_to",
        "is_empty",
        "is_not_empty",
    ),
    "checkbox": ("equals", "does_not_equal"),
    "select": ("equals", "does_not_equal", "is_empty", "is_not_empty"),
    "multi_select": ("contains", "does_not_contain", "is_empty", "is_not_empty"),
    "date": (
        "equals",
        "before",
        "after",
        "on_or_before",
        "on_or_after",
        "is_empty",
        "is_not_empty",
        "past_week",
        "past_month",
        "past_year",
        "next_week",
        "next_month",
        "next_year",
        "this_week",
    ),
    "people": ("contains", "does_not_contain", "is_empty", "is_not_empty"),
}


def find_property(schema: dict[str, JsonObject], key: str) -> tuple[str, JsonObject]:
    for name, prop in schema.items():
        if key in (name, prop["id"]):
            return name, prop
    raise validation(f"Could not find property with name or id: {key}")


def _family(kind: str) -> str:
    if kind in _TEXT:
        return "text"
    if kind in ("select", "status"):
        return "select"
    if kind in ("date", *_TIMESTAMPS):
        return "date"
    if kind in ("people", "relation"):
        return "people"
    return kind


def value_of(page: JsonObject, name: str, kind: str) -> Any:
    """The plain Python value of a page's property (None when empty)."""
    if kind in _TIMESTAMPS:
        return page[kind]
    stored = page["properties"].get(name, {})
    value = stored.get(kind)
    if kind in ("title", "rich_text"):
        return plain(value or []) or None
    if kind in ("select", "status"):
        return value["name"] if value else None
    if kind == "multi_select":
        return [option["name"] for option in value or []] or None
    if kind == "date":
        return value["start"] if value else None
    if kind in ("people", "relation"):
        return [item["id"] for item in value or []] or None
    if kind == "checkbox":
        return bool(value)
    return value


def _when(value: str) -> datetime | date:
    moment = parse_when(value)
    if len(value) == 10:
        return moment.date()
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _compare(left: str, right: str) -> int:
    a, b = _when(left), _when(right)
    if isinstance(a, datetime) and isinstance(b, datetime):
        return (a > b) - (a < b)
    day_a = a.date() if isinstance(a, datetime) else a
    day_b = b.date() if isinstance(b, datetime) else b
    return (day_a > day_b) - (day_a < day_b)


def _date_test(condition: str, target: Any, now: datetime) -> Callable[[Any], bool]:
    today = now.date()
    ranges = {
        "past_week": (today - timedelta(days=7), today),
        "past_month": (today - timedelta(days=30), today),
        "past_year": (today - timedelta(days=365), today),
        "next_week": (today, today + timedelta(days=7)),
        "next_month": (today, today + timedelta(days=30)),
        "next_year": (today, today + timedelta(days=365)),
        "this_week": (today - timedelta(days=today.weekday()), today + timedelta(days=6 - today.weekday())),
    }
    if condition in ranges:
        low, high = (d.isoformat() for d in ranges[condition])
        return lambda v: v is not None and _compare(v, low) >= 0 and _compare(v, high) <= 0
    if not isinstance(target, str):
        raise validation(f"body failed validation: the date filter's {condition} should be an ISO 8601 date.")
    _when(target)
    tests: dict[str, Callable[[int], bool]] = {
        "equals": lambda c: c == 0,
        "before": lambda c: c < 0,
        "after": lambda c: c > 0,
        "on_or_before": lambda c: c <= 0,
        "on_or_after": lambda c: c >= 0,
    }
    test = tests[condition]
    return lambda v: v is not None and test(_compare(v, target))


def _test(family: str, condition: str, target: Any, now: datetime) -> Callable[[Any], bool]:
    if condition == "is_empty":
        return lambda v: v is None or v == []
    if condition == "is_not_empty":
        return lambda v: not (v is None or v == [])
    if family == "date":
        return _date_test(condition, target, now)
    if family == "text":
        needle = str(target).casefold()
        text_tests: dict[str, Callable[[Any], bool]] = {
            "equals": lambda v: v == target,
            "does_not_equal": lambda v: v != target,
            "contains": lambda v: v is not None and needle in v.casefold(),
            "does_not_contain": lambda v: v is None or needle not in v.casefold(),
            "starts_with": lambda v: v is not None and v.casefold().startswith(needle),
            "ends_with": lambda v: v is not None and v.casefold().endswith(needle),
        }
        return text_tests[condition]
    if family == "number":
        if isinstance(target, bool) or not isinstance(target, int | float):
            raise validation(f"body failed validation: the number filter's {condition} should be a number.")
        number_tests: dict[str, Callable[[Any], bool]] = {
            "equals": lambda v: v == target,
            "does_not_equal": lambda v: v != target,
            "greater_than": lambda v: v is not None and v > target,
            "less_than": lambda v: v is not None and v < target,
            "greater_than_or_equal_to": lambda v: v is not None and v >= target,
            "less_than_or_equal_to": lambda v: v is not None and v <= target,
        }
        return number_tests[condition]
    if family == "checkbox":
        if not isinstance(target, bool):
            raise validation("body failed validation: the checkbox filter's value should be a boolean.")
        return (lambda v: v == target) if condition == "equals" else (lambda v: v != target)
    if family == "select":
        return (lambda v: v == target) if condition == "equals" else (lambda v: v != target)
    # multi_select, people, relation: membership
    if condition == "contains":
        return lambda v: v is not None and target in v
    return lambda v: v is None or target not in v


def compile_filter(spec: JsonObject, schema: dict[str, JsonObject], now: datetime, depth: int = 0) -> Predicate:
    """A predicate over pages for a filter object (a 400 `validation_error` for one that does not fit)."""
    for compound in ("and", "or"):
        if compound in spec:
            if depth >= 2:
                raise validation("body failed validation: filters can be nested at most two levels deep.")
            parts = [compile_filter(cast(JsonObject, p), schema, now, depth + 1) for p in spec[compound]]
            if compound == "and":
                return lambda page: all(p(page) for p in parts)
            return lambda page: any(p(page) for p in parts)
    if "timestamp" in spec:
        kind = str(spec["timestamp"])
        if kind not in _TIMESTAMPS or kind not in spec:
            raise validation("body failed validation: a timestamp filter needs created_time or last_edited_time.")
        name = kind
    elif "property" in spec:
        name, prop = find_property(schema, str(spec["property"]))
        kind = str(prop["type"])
        if kind not in spec:
            given = next((key for key in spec if key != "property"), "nothing")
            raise validation(f"body failed validation: the filter on {name} uses {given}, but {name} is a {kind}.")
    else:
        raise validation("body failed validation: a filter needs a property, a timestamp, `and` or `or`.")
    conditions = cast(JsonObject, spec[kind])
    family = _family(kind)
    if not isinstance(conditions, dict) or len(conditions) != 1:
        raise validation(f"body failed validation: the {kind} filter on {name} needs exactly one condition.")
    condition, target = next(iter(conditions.items()))
    if condition not in _CONDITIONS[family]:
        raise validation(f"body failed validation: {condition} is not a {kind} filter condition.")
    test = _test(family, condition, target, now)
    return lambda page: test(value_of(page, name, kind))


def _sort_key(
    schema: dict[str, JsonObject], sort: Sort
) -> tuple[Callable[[JsonObject], Any], Callable[[JsonObject], bool]]:
    if sort.timestamp:
        stamp = sort.timestamp
        return (lambda page: page[stamp]), (lambda _page: False)
    if not sort.property:
        raise validation("body failed validation: a sort needs a property or a timestamp.")
    name, prop = find_property(schema, sort.property)
    kind = str(prop["type"])
    order = (
        [option["name"] for option in prop.get(kind, {}).get("options", [])]
        if kind in ("select", "status", "multi_select")
        else []
    )

    def key(page: JsonObject) -> Any:
        value = value_of(page, name, kind)
        if kind in ("select", "status"):
            return order.index(value) if value in order else len(order)
        if kind == "multi_select":
            return order.index(value[0]) if value[0] in order else len(order)
        if kind in ("title", "rich_text", *_TEXT):
            return str(value).casefold()
        if kind in ("date", *_TIMESTAMPS):
            moment = parse_when(value)
            return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
        if kind in ("people", "relation"):
            return value[0]
        return value

    return key, lambda page: value_of(page, name, kind) in (None, [])


def sort_pages(pages: list[JsonObject], schema: dict[str, JsonObject], sorts: list[Sort]) -> list[JsonObject]:
    """Pages in the order of `sorts` (most significant first); empty values last either way."""
    ordered = list(pages)
    for sort in reversed(sorts):
        key, empty = _sort_key(schema, sort)
        filled = [page for page in ordered if not empty(page)]
        blank = [page for page in ordered if empty(page)]
        ordered = sorted(filled, key=key, reverse=sort.direction == "descending") + blank
    return ordered
