"""The where-language against a schema, without the network: each property type's conditions, aliases, and the
errors that list what is valid."""

from __future__ import annotations

from typing import Any

import pytest

from aide_core.errors import InvalidInput
from aide_notion.filters import Where, sorts

SCHEMA: dict[str, dict[str, Any]] = {
    "Name": {"type": "title"},
    "Status": {"type": "status", "status": {"options": [{"name": "Todo"}, {"name": "Done"}]}},
    "Tags": {"type": "multi_select", "multi_select": {"options": [{"name": "home"}, {"name": "work"}]}},
    "Estimate": {"type": "number"},
    "Done": {"type": "checkbox"},
    "Due": {"type": "date"},
    "Blocked by": {"type": "relation"},
    "Owner": {"type": "people"},
    "Score": {"type": "formula"},
}
USERS = [{"id": "u1", "type": "person", "name": "Ann Lee", "person": {"email": "ann@example.com"}}]
PAGE = "0123456789abcdef0123456789abcdef"
DASHED = "01234567-89ab-cdef-0123-456789abcdef"
TODO, DONE = ({"property": "Status", "status": {"equals": name}} for name in ("Todo", "Done"))
AFTER = {"property": "Due", "date": {"after": "2026-12-01"}}
BEFORE = {"property": "Due", "date": {"before": "2026-12-31"}}


def compile_where(where: dict[str, Any]) -> Any:
    return Where(SCHEMA, USERS).compile(where)


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({"name": {"starts_with": "Buy"}}, {"property": "Name", "title": {"starts_with": "Buy"}}),
        ({"Status": "done"}, {"property": "Status", "status": {"equals": "Done"}}),
        ({"Status": {"not": "Todo"}}, {"property": "Status", "status": {"does_not_equal": "Todo"}}),
        ({"Tags": "work"}, {"property": "Tags", "multi_select": {"contains": "work"}}),
        ({"Tags": {"not_contains": "home"}}, {"property": "Tags", "multi_select": {"does_not_contain": "home"}}),
        ({"Estimate": {"<=": "3"}}, {"property": "Estimate", "number": {"less_than_or_equal_to": 3}}),
        ({"Done": "true"}, {"property": "Done", "checkbox": {"equals": True}}),
        ({"Due": {"next_week": True}}, {"property": "Due", "date": {"next_week": {}}}),
        ({"Due": {"is_empty": False}}, {"property": "Due", "date": {"is_not_empty": True}}),
        ({"Blocked by": PAGE}, {"property": "Blocked by", "relation": {"contains": DASHED}}),
        ({"Owner": "ann@example.com"}, {"property": "Owner", "people": {"contains": "u1"}}),
        ({"Owner": None}, {"property": "Owner", "people": {"is_empty": True}}),
        ({"Status": ["Todo", "Done"]}, {"or": [TODO, DONE]}),
        ({"Due": {"after": "2026-12-01", "before": "2026-12-31"}}, {"and": [AFTER, BEFORE]}),
        ({}, None),
    ],
)  # fmt: skip
def test_each_type_becomes_notions_filter(where: dict[str, Any], expected: Any) -> None:
    assert compile_where(where) == expected


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ({"Score": 3}, "Score is a formula property, which the where-language cannot filter on."),
        ({"Estimate": "lots"}, "Estimate takes a number, not 'lots'."),
        ({"Done": {"contains": True}}, "'contains' is not an operator for Done (checkbox)."),
        ({"Due": {"next_week": "yes"}}, "Due next_week takes true"),
        ({"Tags": []}, "an empty list matches nothing"),
        ({"or": [{"or": [{"Done": True}]}]}, "can be nested only once"),
        ({"or": "Done"}, "`or` takes a list of where-objects"),
        ({"Blocked by": "the other one"}, "is not a Notion page id"),
    ],
)
def test_what_cannot_be_filtered_is_an_error_never_dropped(where: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        compile_where(where)
    assert message in str(raised.value)


def test_sorts_take_names_with_a_direction() -> None:
    assert sorts(SCHEMA, ["due", "-Estimate", "Name desc"]) == [
        {"property": "Due", "direction": "ascending"},
        {"property": "Estimate", "direction": "descending"},
        {"property": "Name", "direction": "descending"},
    ]
