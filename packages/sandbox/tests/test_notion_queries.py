"""Data-source queries through notion-client: the filter grammar per property type, compound filters, sorts,
cursor paging and the validation errors of filters that do not fit the schema."""

from __future__ import annotations

from typing import Any

import pytest
from notion_client import APIErrorCode, APIResponseError
from notion_client.helpers import collect_paginated_api

from aide_sandbox.seed.notion import ALEX_USER, TASKS


def names(notion: Any, **query: Any) -> list[str]:
    pages = collect_paginated_api(notion.data_sources.query, data_source_id=TASKS, **query)
    return [page["properties"]["Name"]["title"][0]["plain_text"] for page in pages]


def where(notion: Any, spec: dict[str, Any], **query: Any) -> set[str]:
    return set(names(notion, filter=spec, **query))


def test_title_filters_ignore_case_except_equals(notion: Any) -> None:
    assert where(notion, {"property": "Name", "title": {"contains": "LISBON"}}) == {"Book flights to Lisbon"}
    assert where(notion, {"property": "Name", "title": {"starts_with": "book"}}) == {
        "Book flights to Lisbon",
        "Book the boiler service",
    }
    assert where(notion, {"property": "Name", "title": {"equals": "read piranesi"}}) == set()
    assert where(notion, {"property": "Name", "title": {"equals": "Read Piranesi"}}) == {"Read Piranesi"}


def test_rich_text_and_url_filters(notion: Any) -> None:
    assert where(notion, {"property": "Notes", "rich_text": {"is_not_empty": True}}) == {"Book flights to Lisbon"}
    assert where(notion, {"property": "Link", "url": {"ends_with": "ber-lis"}}) == {"Book flights to Lisbon"}


def test_number_filters_compare_and_find_empty_values(notion: Any) -> None:
    assert where(notion, {"property": "Estimate", "number": {"greater_than_or_equal_to": 3}}) == {
        "Fix the garden gate",
        "Clear out the garage",
        "Back up the family photos",
    }
    assert where(notion, {"property": "Estimate", "number": {"is_empty": True}}) == {
        "Order new running shoes",
        "Read Piranesi",
    }


def test_select_does_not_equal_keeps_pages_without_a_value(notion: Any) -> None:
    not_high = where(notion, {"property": "Priority", "select": {"does_not_equal": "High"}})
    assert {"Clear out the garage", "Read Piranesi"} <= not_high
    assert "Renew passport" not in not_high
    assert where(notion, {"property": "Priority", "select": {"is_empty": True}}) == {
        "Clear out the garage",
        "Read Piranesi",
    }


def test_multi_select_and_status_filters(notion: Any) -> None:
    finance_at_home = where(
        notion,
        {
            "and": [
                {"property": "Tags", "multi_select": {"contains": "finance"}},
                {"property": "Tags", "multi_select": {"contains": "home"}},
            ]
        },
    )
    assert finance_at_home == {"Pay the electricity bill", "Update the home insurance"}
    in_progress = where(notion, {"property": "Status", "status": {"equals": "In progress"}})
    assert in_progress == {"Renew passport", "Review the Q4 roadmap", "Back up the family photos", "Read Piranesi"}
    assert len(names(notion, filter={"property": "Tags", "multi_select": {"is_empty": True}})) == 1


def test_date_filters_compare_days_and_instants(notion: Any) -> None:
    december_first_week = where(
        notion,
        {
            "and": [
                {"property": "Due", "date": {"on_or_after": "2026-12-01"}},
                {"property": "Due", "date": {"before": "2026-12-05"}},
            ]
        },
    )
    assert december_first_week == {
        "Review the Q4 roadmap",
        "Book the boiler service",
        "Send the conference expense report",
    }
    assert where(notion, {"property": "Due", "date": {"equals": "2026-12-11"}}) == {"Dentist appointment"}
    assert where(notion, {"property": "Due", "date": {"after": "2026-12-11T08:30:00+01:00"}}) >= {
        "Plan Christmas dinner"
    }
    assert "Dentist appointment" not in where(notion, {"property": "Due", "date": {"after": "2026-12-11T07:30:00Z"}})
    assert len(where(notion, {"property": "Due", "date": {"is_empty": True}})) == 3


def test_checkbox_people_and_relation_filters(notion: Any) -> None:
    assert len(where(notion, {"property": "Done", "checkbox": {"equals": True}})) == 7
    alexs = where(notion, {"property": "Assignee", "people": {"contains": ALEX_USER}})
    assert "Renew passport" in alexs and "Fix the garden gate" not in alexs
    blocked = where(notion, {"property": "Blocked by", "relation": {"is_not_empty": True}})
    assert blocked == {"Quarterly tax prepayment", "Write the offsite agenda"}


def test_or_inside_and(notion: Any) -> None:
    spec = {
        "and": [
            {"property": "Done", "checkbox": {"equals": False}},
            {
                "or": [
                    {"property": "Priority", "select": {"equals": "High"}},
                    {"property": "Tags", "multi_select": {"contains": "work"}},
                ]
            },
        ]
    }
    assert where(notion, spec) == {
        "Renew passport",
        "Quarterly tax prepayment",
        "Review the Q4 roadmap",
        "Write the offsite agenda",
        "Replace the smoke alarm battery",
        "Send the conference expense report",
        "Book the boiler service",
    }


def test_sorts_follow_option_order_and_put_empty_values_last(notion: Any) -> None:
    by_priority = collect_paginated_api(
        notion.data_sources.query,
        data_source_id=TASKS,
        sorts=[{"property": "Priority", "direction": "descending"}, {"property": "Name", "direction": "ascending"}],
    )
    priorities = [(p["properties"]["Priority"]["select"] or {}).get("name") for p in by_priority]
    assert priorities[0] == "Low" and priorities[-2:] == [None, None]
    assert priorities.index("Medium") > priorities.index("Low") and priorities.index("High") > priorities.index(
        "Medium"
    )
    by_due = names(notion, sorts=[{"property": "Due", "direction": "descending"}])
    assert by_due[0] == "Service the bikes" and by_due[-3:] == [
        "Fix the garden gate",
        "Order new running shoes",
        "Read Piranesi",
    ]
    newest = names(notion, sorts=[{"timestamp": "created_time", "direction": "descending"}])
    assert newest[0] == "Set up the new router"


def test_cursor_paging_visits_every_page_once(notion: Any) -> None:
    first = notion.data_sources.query(data_source_id=TASKS, page_size=10)
    assert (len(first["results"]), first["has_more"], first["type"]) == (10, True, "page_or_data_source")
    second = notion.data_sources.query(data_source_id=TASKS, page_size=10, start_cursor=first["next_cursor"])
    third = notion.data_sources.query(data_source_id=TASKS, page_size=10, start_cursor=second["next_cursor"])
    assert (len(third["results"]), third["has_more"], third["next_cursor"]) == (4, False, None)
    ids = [p["id"] for page in (first, second, third) for p in page["results"]]
    assert len(set(ids)) == 24


def test_a_cursor_that_is_no_cursor_is_a_validation_error(notion: Any) -> None:
    with pytest.raises(APIResponseError) as refused:
        notion.data_sources.query(data_source_id=TASKS, start_cursor="not-a-cursor")
    assert refused.value.code == APIErrorCode.ValidationError and refused.value.status == 400


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"property": "Colour", "select": {"equals": "Red"}}, "Could not find property with name or id: Colour"),
        ({"property": "Priority", "status": {"equals": "High"}}, "Priority is a select"),
        ({"property": "Estimate", "number": {"contains": 3}}, "contains is not a number filter condition"),
        ({"and": [{"or": [{"and": [{"property": "Done", "checkbox": {"equals": True}}]}]}]}, "two levels"),
    ],
)
def test_filters_that_do_not_fit_the_schema_are_refused(notion: Any, spec: dict[str, Any], message: str) -> None:
    with pytest.raises(APIResponseError) as refused:
        notion.data_sources.query(data_source_id=TASKS, filter=spec)
    assert refused.value.code == APIErrorCode.ValidationError
    assert message in str(refused.value)


def test_filter_properties_limits_what_each_page_carries(notion: Any) -> None:
    result = notion.data_sources.query(data_source_id=TASKS, page_size=1, filter_properties=["title", "stat"])
    assert set(result["results"][0]["properties"]) == {"Name", "Status"}


def test_a_timestamp_filter_on_created_time(notion: Any) -> None:
    recent = where(notion, {"timestamp": "created_time", "created_time": {"after": "2026-10-01T00:40:00Z"}})
    assert "Set up the new router" in recent and "Pay the electricity bill" not in recent
