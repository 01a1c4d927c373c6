"""The seeded task board (Status, Due, Tags, Assignee, ...) described, queried with the where-language, filled and
updated by property name, through the protocol against the sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from aide_sandbox.seed.notion import TASKS, TASKS_DB

pytestmark = pytest.mark.anyio

PROPERTIES = "Assignee, Blocked by, Created, Done, Due, Edited, Estimate, Link, Name, Notes, Priority, Status, Tags"


def names(result: dict[str, Any]) -> list[str]:
    return [item["values"]["Name"] for item in result["items"]]


async def test_describe_database_lists_properties_types_options_and_relation_targets(notion_server: Any) -> None:
    async with notion_server() as notion:
        described = await notion.call("describe_database", id=TASKS_DB)
        by_source = await notion.call("describe_database", id=TASKS)
    assert described == by_source
    assert (described["id"], described["data_source_id"], described["title"]) == (TASKS_DB, TASKS, "Tasks")
    properties = {p["name"]: (p["type"], p.get("options"), p.get("relation_to")) for p in described["properties"]}
    assert properties == {
        "Name": ("title", None, None),
        "Status": ("status", ["Not started", "In progress", "Done"], None),
        "Priority": ("select", ["High", "Medium", "Low"], None),
        "Tags": ("multi_select", ["home", "work", "errand", "finance", "health"], None),
        "Due": ("date", None, None),
        "Done": ("checkbox", None, None),
        "Estimate": ("number", None, None),
        "Assignee": ("people", None, None),
        "Notes": ("rich_text", None, None),
        "Blocked by": ("relation", None, TASKS),
        "Link": ("url", None, None),
        "Created": ("created_time", None, None),
        "Edited": ("last_edited_time", None, None),
    }


async def test_query_with_the_where_language_from_the_issue(notion_server: Any) -> None:
    where = {"Status": "Done", "Due": {"before": "2026-11-11"}, "Tags": {"contains": "errand"}}
    async with notion_server() as notion:
        found = await notion.call("query_database", id=TASKS_DB, where=where, sort=["Due"])
    assert names(found) == ["Call the plumber", "Check the winter tyres", "Book flights to Lisbon"]
    assert found["filter"] == {
        "and": [
            {"property": "Status", "status": {"equals": "Done"}},
            {"property": "Due", "date": {"before": "2026-11-11"}},
            {"property": "Tags", "multi_select": {"contains": "errand"}},
        ]
    }
    assert found["items"][2]["values"] | {"Created": None, "Edited": None} == {
        "Name": "Book flights to Lisbon",
        "Status": "Done",
        "Priority": "High",
        "Tags": ["errand"],
        "Due": "2026-11-10",
        "Done": True,
        "Estimate": 1,
        "Assignee": ["Alex Rivera"],
        "Notes": "Window seats, one checked bag.",
        "Blocked by": [],
        "Link": "https://flights.example/ber-lis",
        "Created": None,
        "Edited": None,
    }


async def test_people_options_lists_or_and_empties_in_where(notion_server: Any) -> None:
    async with notion_server() as notion:
        helens = await notion.call("query_database", id=TASKS_DB, where={"Assignee": "helen rivera"}, sort=["Name"])
        unassigned = await notion.call("query_database", id=TASKS_DB, where={"Assignee": None}, sort=["Name"])
        either = await notion.call(
            "query_database",
            id=TASKS_DB,
            where={"or": [{"Priority": "high", "Status": "In progress"}, {"Estimate": {">=": 5}}]},
            sort=["-Estimate"],
        )
    assert names(helens) == [
        "Back up the family photos", "Call the plumber", "Donate old clothes", "Fix the garden gate",
        "Plan Christmas dinner",
    ]  # fmt: skip
    assert names(unassigned) == [
        "Clear out the garage", "Order new running shoes", "Replace the smoke alarm battery", "Service the bikes",
    ]  # fmt: skip
    assert names(either) == ["Clear out the garage", "Renew passport", "Review the Q4 roadmap"]


async def test_wrong_names_are_errors_that_list_what_is_valid(notion_server: Any) -> None:
    async with notion_server() as notion:
        no_property = await notion.error("query_database", id=TASKS_DB, where={"Stats": "Done"})
        no_option = await notion.error("query_database", id=TASKS_DB, where={"Status": "Finished"})
        no_tag = await notion.error("query_database", id=TASKS_DB, where={"Tags": {"contains": "urgent"}})
        no_operator = await notion.error("query_database", id=TASKS_DB, where={"Due": {"sooner": "2026-12-01"}})
        bad_date = await notion.error("query_database", id=TASKS_DB, where={"Due": {"before": "next tuesday"}})
        no_person = await notion.error("query_database", id=TASKS_DB, where={"Assignee": "Bob"})
        bad_sort = await notion.error("query_database", id=TASKS_DB, sort=["Deadline"])
    assert f"No property named 'Stats'. Properties: {PROPERTIES}." in no_property
    assert "Status has no option 'Finished'. Options of Status: Not started, In progress, Done." in no_option
    assert "Tags has no option 'urgent'. Options of Tags: home, work, errand, finance, health." in no_tag
    assert "'sooner' is not an operator for Due (date)" in no_operator and "on_or_before" in no_operator
    assert "Due takes a date such as 2026-12-01" in bad_date
    assert "no person 'Bob'" in no_person and "People: Alex Rivera, Helen Rivera." in no_person
    assert f"No property named 'Deadline'. Properties: {PROPERTIES}." in bad_sort


async def test_add_an_item_by_property_names_and_plain_values(notion_server: Any) -> None:
    values = {
        "Name": "Buy winter boots",
        "Status": "not started",
        "Due": "2026-12-12",
        "Tags": ["errand", "Health"],
        "Assignee": "alex.rivera@example.com",
        "Estimate": 1.5,
        "Notes": "Size 43",
    }
    async with notion_server() as notion:
        added = (await notion.call("add_database_item", id=TASKS_DB, values=values))["result"]
        found = await notion.call("query_database", id=TASKS_DB, where={"Name": {"contains": "boots"}})
    assert found["items"] == [added]
    assert added["values"] | {"Created": None, "Edited": None} == {
        "Name": "Buy winter boots",
        "Status": "Not started",
        "Priority": None,
        "Tags": ["errand", "health"],
        "Due": "2026-12-12",
        "Done": False,
        "Estimate": 1.5,
        "Assignee": ["Alex Rivera"],
        "Notes": "Size 43",
        "Blocked by": [],
        "Link": None,
        "Created": None,
        "Edited": None,
    }


async def test_update_an_item_by_name_and_clear_a_value(notion_server: Any) -> None:
    async with notion_server() as notion:
        [task] = (await notion.call("query_database", id=TASKS_DB, where={"Name": "Renew passport"}))["items"]
        updated = await notion.call(
            "update_database_item",
            id=task["id"],
            values={
                "Status": "Done",
                "Done": True,
                "Due": None,
                "Assignee": ["Helen Rivera"],
                "Blocked by": [task["id"]],
            },
        )
        bad = await notion.error("update_database_item", id=task["id"], values={"Priority": "Urgent"})
        computed = await notion.error("update_database_item", id=task["id"], values={"Created": "2026-01-01"})
    assert {k: updated["values"][k] for k in ("Status", "Done", "Due", "Assignee", "Blocked by", "Priority")} == {
        "Status": "Done",
        "Done": True,
        "Due": None,
        "Assignee": ["Helen Rivera"],
        "Blocked by": [task["id"]],
        "Priority": "High",
    }
    assert "Priority has no option 'Urgent'. Options of Priority: High, Medium, Low." in bad
    assert "Created is a created_time property, which Notion computes" in computed


async def test_query_pages_through_the_board_with_a_cursor(notion_server: Any) -> None:
    async with notion_server() as notion:
        first = await notion.call("query_database", id=TASKS_DB, limit=10, sort=["Name"])
        second = await notion.call("query_database", id=TASKS_DB, limit=10, sort=["Name"], cursor=first["next_cursor"])
        third = await notion.call("query_database", id=TASKS_DB, limit=10, sort=["Name"], cursor=second["next_cursor"])
        other = await notion.error("query_database", id=TASKS_DB, limit=5, cursor=first["next_cursor"])
    everything = names(first) + names(second) + names(third)
    assert len(everything) == 24 and everything == sorted(everything, key=str.casefold)
    assert third["next_cursor"] is None
    assert "cursor was made for different arguments" in other


async def test_a_database_row_can_be_created_as_a_page_with_markdown(notion_server: Any) -> None:
    async with notion_server() as notion:
        created = await notion.call(
            "create_page", parent=TASKS_DB, title="Write thank-you cards", markdown="- Aunt Rosa\n- Grandpa",
            properties={"Status": "In progress", "Tags": ["home"]},
        )  # fmt: skip
        page = await notion.call("read_page", id=created["result"]["id"])
    assert page["properties"]["Status"] == "In progress" and page["properties"]["Name"] == "Write thank-you cards"
    assert "- Aunt Rosa" in page["markdown"]


async def test_a_database_may_be_named_by_its_title_and_a_page_read_of_it_says_what_to_use(notion_server: Any) -> None:
    async with notion_server() as notion:
        by_title = await notion.call("query_database", id="tasks", where={"Status": "In progress"}, sort=["Name"])
        unknown = await notion.error("describe_database", id="Groceries")
        as_page = await notion.error("read_page", id=TASKS_DB)
    assert names(by_title) == ["Back up the family photos", "Read Piranesi", "Renew passport", "Review the Q4 roadmap"]
    assert "No database titled 'Groceries'" in unknown and "Find it with search" in unknown
    assert "That id is a database, not a page. Read it with describe_database and query_database." in as_page


async def test_object_arguments_sent_as_json_text_are_read_as_the_objects_they_are(notion_server: Any) -> None:
    async with notion_server() as notion:
        as_text = await notion.call("query_database", id=TASKS_DB, where='{"Status": "Done", "Tags": "errand"}')
        as_object = await notion.call("query_database", id=TASKS_DB, where={"Status": "Done", "Tags": "errand"})
        not_json = await notion.error("query_database", id=TASKS_DB, where="Status is Done")
    assert as_text == as_object and len(as_text["items"]) == 4
    assert "where" in not_json and "internal error" not in not_json
