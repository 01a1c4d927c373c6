"""Notion pages, blocks, databases, search, comments, users, workspaces and faults through notion-client."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from notion_client import APIErrorCode, APIResponseError, Client
from notion_client.helpers import collect_paginated_api

from aide_sandbox.app import SandboxHandle
from aide_sandbox.seed.notion import BOOKS, HELEN_USER, HOME, READING, TASKS, TASKS_DB, TRIP


def title(obj: dict[str, Any]) -> str:
    if obj["object"] == "data_source":
        return obj["title"][0]["plain_text"]
    prop = next(p for p in obj["properties"].values() if p["type"] == "title")
    return "".join(t["plain_text"] for t in prop["title"])


def child_titles(notion: Any, block_id: str) -> list[tuple[str, str]]:
    blocks = collect_paginated_api(notion.blocks.children.list, block_id=block_id)
    return [
        (b["type"], b[b["type"]].get("title") or "".join(t["plain_text"] for t in b[b["type"]].get("rich_text", [])))
        for b in blocks
    ]


def test_search_finds_pages_and_data_sources_by_title(notion: Any) -> None:
    found = notion.search(query="lisbon")["results"]
    assert [title(r) for r in found] == ["Book flights to Lisbon", "Trip to Lisbon"]  # last edited first
    sources = notion.search(filter={"property": "object", "value": "data_source"})["results"]
    assert [(s["object"], s["id"]) for s in sources] == [("data_source", TASKS)]


def test_search_pages_through_every_result_once(notion: Any) -> None:
    first = notion.search(page_size=7, sort={"direction": "ascending", "timestamp": "last_edited_time"})
    assert first["has_more"] and first["type"] == "page_or_data_source"
    everything = collect_paginated_api(notion.search, page_size=7)
    assert len({r["id"] for r in everything}) == len(everything) == 4 + 24 + 1


def test_nested_pages_show_as_child_page_blocks(notion: Any) -> None:
    assert ("child_page", "Trip to Lisbon") in child_titles(notion, HOME)
    assert ("child_database", "Tasks") in child_titles(notion, HOME)
    assert child_titles(notion, READING)[-1] == ("child_page", "2026 books")
    assert notion.pages.retrieve(page_id=BOOKS)["parent"] == {"type": "page_id", "page_id": READING}


def test_a_page_is_created_with_its_blocks_under_a_page(notion: Any) -> None:
    page = notion.pages.create(
        parent={"page_id": TRIP},
        properties={"title": {"title": [{"text": {"content": "Packing list"}}]}},
        children=[
            {"object": "block", "type": "to_do", "to_do": {"rich_text": [{"text": {"content": "Adapter"}}]}},
            {"heading_2": {"rich_text": [{"text": {"content": "Clothes"}}]}},
        ],
    )
    assert title(notion.pages.retrieve(page_id=page["id"])) == "Packing list"
    assert child_titles(notion, page["id"]) == [("to_do", "Adapter"), ("heading_2", "Clothes")]
    assert child_titles(notion, TRIP)[-1] == ("child_page", "Packing list")


def test_a_page_in_a_data_source_gets_typed_property_values(notion: Any) -> None:
    page = notion.pages.create(
        parent={"type": "data_source_id", "data_source_id": TASKS},
        properties={
            "Name": {"title": [{"text": {"content": "Water the plants"}}]},
            "Priority": {"select": {"name": "Urgent"}},
            "Estimate": {"number": 0.25},
            "Assignee": {"people": [{"id": HELEN_USER}]},
        },
    )
    props = page["properties"]
    assert page["parent"] == {"type": "data_source_id", "data_source_id": TASKS, "database_id": TASKS_DB}
    assert props["Priority"]["select"]["name"] == "Urgent"  # a new option, added to the schema
    options = notion.data_sources.retrieve(data_source_id=TASKS)["properties"]["Priority"]["select"]["options"]
    assert "Urgent" in [o["name"] for o in options]
    assert props["Done"] == {"id": "done", "type": "checkbox", "checkbox": False}
    assert props["Created"]["created_time"] == page["created_time"]


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ({"Colour": {"select": {"name": "Red"}}}, "Colour is not a property that exists."),
        ({"Estimate": {"number": "three"}}, "Estimate is expected to be number."),
        ({"Status": {"status": {"name": "Someday"}}}, "Invalid status option"),
    ],
)
def test_property_values_that_do_not_fit_are_refused(notion: Any, properties: dict[str, Any], message: str) -> None:
    with pytest.raises(APIResponseError) as refused:
        notion.pages.create(parent={"data_source_id": TASKS}, properties=properties)
    assert (refused.value.status, refused.value.code) == (400, APIErrorCode.ValidationError)
    assert message in str(refused.value)


def test_unknown_body_fields_are_a_validation_error(notion: Any) -> None:
    with pytest.raises(APIResponseError) as refused:
        notion.request(path="search", method="POST", body={"query": "x", "colour": "red"})
    assert refused.value.code == APIErrorCode.ValidationError and "colour" in str(refused.value)


def test_an_archived_page_leaves_search_and_cannot_be_edited_until_restored(notion: Any) -> None:
    trashed = notion.pages.update(page_id=TRIP, in_trash=True)
    assert trashed["in_trash"] and trashed["archived"]
    assert "Trip to Lisbon" not in [title(r) for r in notion.search(query="Trip")["results"]]
    with pytest.raises(APIResponseError) as refused:
        notion.pages.update(page_id=TRIP, properties={"title": {"title": [{"text": {"content": "Porto"}}]}})
    assert "archived" in str(refused.value)
    notion.pages.update(page_id=TRIP, archived=False)
    assert [title(r) for r in notion.search(query="Trip")["results"]] == ["Trip to Lisbon"]


def test_property_items_are_single_values_or_paged_lists(notion: Any) -> None:
    page = notion.data_sources.query(
        data_source_id=TASKS, filter={"property": "Name", "title": {"equals": "Book flights to Lisbon"}}
    )["results"][0]
    estimate = notion.pages.properties.retrieve(page_id=page["id"], property_id="est")
    assert (estimate["object"], estimate["number"]) == ("property_item", 1)
    name = notion.pages.properties.retrieve(page_id=page["id"], property_id="title")
    assert name["object"] == "list" and name["property_item"]["type"] == "title"
    assert name["results"][0]["title"]["plain_text"] == "Book flights to Lisbon"


def test_blocks_are_updated_inserted_after_another_and_deleted(notion: Any) -> None:
    blocks = collect_paginated_api(notion.blocks.children.list, block_id=HOME)
    boiler = next(b for b in blocks if b["type"] == "to_do" and not b["to_do"]["checked"])
    checked = notion.blocks.update(block_id=boiler["id"], to_do={"checked": True})
    assert checked["to_do"]["checked"] and checked["to_do"]["rich_text"][0]["plain_text"] == "Book the boiler service"
    added = notion.blocks.children.append(
        block_id=HOME, after=boiler["id"], children=[{"paragraph": {"rich_text": [{"text": {"content": "Call Tue"}}]}}]
    )
    assert added["object"] == "list" and added["results"][0]["type"] == "paragraph"
    order = [b["id"] for b in collect_paginated_api(notion.blocks.children.list, block_id=HOME)]
    assert order.index(added["results"][0]["id"]) == order.index(boiler["id"]) + 1
    deleted = notion.blocks.delete(block_id=boiler["id"])
    assert deleted["in_trash"] is True
    assert boiler["id"] not in [b["id"] for b in collect_paginated_api(notion.blocks.children.list, block_id=HOME)]
    assert notion.blocks.retrieve(block_id=boiler["id"])["in_trash"] is True


def test_nested_children_make_has_children_true(notion: Any) -> None:
    toggle = next(b for b in notion.blocks.children.list(block_id=HOME)["results"] if b["type"] == "toggle")
    assert toggle["has_children"]
    inner = notion.blocks.children.list(block_id=toggle["id"], page_size=1)
    assert (
        inner["has_more"] and inner["results"][0]["paragraph"]["rich_text"][0]["plain_text"] == "Network: rivera-home"
    )


def test_a_block_update_of_another_type_is_refused(notion: Any) -> None:
    paragraph = next(b for b in notion.blocks.children.list(block_id=HOME)["results"] if b["type"] == "paragraph")
    with pytest.raises(APIResponseError) as refused:
        notion.blocks.update(block_id=paragraph["id"], to_do={"checked": True})
    assert refused.value.code == APIErrorCode.ValidationError


def test_a_database_lists_its_data_sources_and_the_data_source_its_schema(notion: Any) -> None:
    database = notion.databases.retrieve(database_id=TASKS_DB)
    assert database["data_sources"] == [{"id": TASKS, "name": "Tasks"}]
    schema = notion.data_sources.retrieve(data_source_id=TASKS)
    assert schema["parent"] == {"type": "database_id", "database_id": TASKS_DB}
    kinds = {prop["type"] for prop in schema["properties"].values()}
    assert {"title", "rich_text", "number", "select", "multi_select", "status", "date", "checkbox"} <= kinds
    assert {"people", "relation"} <= kinds


def test_comments_start_and_continue_discussions(notion: Any) -> None:
    existing = notion.comments.list(block_id=TRIP)
    assert [c["rich_text"][0]["plain_text"] for c in existing["results"]] == ["Can we add a day in Porto?"]
    reply = notion.comments.create(
        discussion_id=existing["results"][0]["discussion_id"], rich_text=[{"text": {"content": "Yes, on the 6th."}}]
    )
    assert reply["discussion_id"] == existing["results"][0]["discussion_id"]
    fresh = notion.comments.create(parent={"page_id": HOME}, rich_text=[{"text": {"content": "Nice page"}}])
    assert fresh["parent"] == {"type": "page_id", "page_id": HOME}
    assert len(notion.comments.list(block_id=TRIP)["results"]) == 2


def test_users_list_people_and_the_integrations_bot(notion: Any) -> None:
    users = notion.users.list()["results"]
    assert [u["type"] for u in users] == ["person", "person", "bot"]
    me = notion.users.me()
    assert me["type"] == "bot" and me["bot"]["workspace_name"] == "Rivera Home"
    assert notion.users.retrieve(user_id=HELEN_USER)["name"] == "Helen Rivera"
    with pytest.raises(APIResponseError) as missing:
        notion.users.retrieve(user_id="00000000-0000-0000-0000-000000000000")
    assert missing.value.code == APIErrorCode.ObjectNotFound


def test_each_integration_sees_only_its_own_workspace(sandbox: SandboxHandle) -> None:
    northwind = sandbox.notion(1, retry=False)
    assert [title(r) for r in northwind.search(query="wiki")["results"]] == ["Engineering wiki"]
    with pytest.raises(APIResponseError) as hidden:
        northwind.pages.retrieve(page_id=HOME)
    assert (hidden.value.status, hidden.value.code) == (404, APIErrorCode.ObjectNotFound)
    assert "shared with your integration" in str(hidden.value)


def test_ids_without_dashes_are_accepted(notion: Any) -> None:
    assert notion.pages.retrieve(page_id=HOME.replace("-", ""))["id"] == HOME


def test_a_wrong_token_is_unauthorized(sandbox: SandboxHandle) -> None:
    client = Client(auth="ntn_wrong", base_url=sandbox.urls["notion"], retry=False)
    with pytest.raises(APIResponseError) as refused:
        client.users.me()
    client.close()
    assert (refused.value.status, refused.value.code) == (401, APIErrorCode.Unauthorized)


def test_a_rate_limit_is_retried_by_the_client_after_retry_after(sandbox: SandboxHandle) -> None:
    fault = sandbox.faults.inject("notion.search", status=429, retry_after=0)
    client = sandbox.notion()  # the client's own retries on
    assert client.search(query="Home")["results"]
    assert fault.hits == 1


def test_a_rate_limit_carries_retry_after_and_notions_code(sandbox: SandboxHandle, notion: Any) -> None:
    sandbox.faults.inject("notion.users.*", status=429, retry_after=5)
    with pytest.raises(APIResponseError) as limited:
        notion.users.list()
    assert (limited.value.status, limited.value.code) == (429, APIErrorCode.RateLimited)
    assert limited.value.headers["retry-after"] == "5"


def test_a_503_on_create_is_not_retried_by_the_client(sandbox: SandboxHandle) -> None:
    fault = sandbox.faults.inject("notion.pages.create", status=503, times=None)
    client = sandbox.notion()
    with pytest.raises(APIResponseError) as failed:
        client.pages.create(parent={"page_id": HOME}, properties={"title": {"title": []}})
    assert failed.value.code == APIErrorCode.ServiceUnavailable and fault.hits == 1


def test_a_dropped_connection_reaches_the_notion_client(sandbox: SandboxHandle, notion: Any) -> None:
    sandbox.faults.inject("notion.users.me", drop=True)
    with pytest.raises(httpx.TransportError):
        notion.users.me()
    assert notion.users.me()["type"] == "bot"


def test_position_puts_appended_blocks_first_or_after_a_block(notion: Any) -> None:
    def paragraph(text: str) -> dict[str, Any]:
        return {"paragraph": {"rich_text": [{"text": {"content": text}}]}}

    notion.blocks.children.append(
        block_id=TRIP, children=[paragraph("Top 1"), paragraph("Top 2")], position={"type": "start"}
    )
    order = child_titles(notion, TRIP)
    assert order[:3] == [("paragraph", "Top 1"), ("paragraph", "Top 2"), ("heading_2", "Itinerary")]
    heading = collect_paginated_api(notion.blocks.children.list, block_id=TRIP)[2]
    notion.blocks.children.append(
        block_id=TRIP,
        children=[paragraph("Under the heading")],
        position={"type": "after_block", "after_block": {"id": heading["id"]}},
    )
    assert child_titles(notion, TRIP)[3] == ("paragraph", "Under the heading")


def test_rich_text_is_checked_and_completed(notion: Any) -> None:
    block = notion.blocks.children.append(
        block_id=TRIP,
        children=[
            {
                "paragraph": {
                    "rich_text": [
                        {
                            "text": {"content": "Tickets", "link": {"url": "https://trains.example"}},
                            "annotations": {"bold": True},
                        }
                    ]
                }
            }
        ],
    )["results"][0]
    (item,) = block["paragraph"]["rich_text"]
    assert (item["plain_text"], item["href"], item["annotations"]["bold"], item["annotations"]["color"]) == (
        "Tickets",
        "https://trains.example",
        True,
        "default",
    )
    with pytest.raises(APIResponseError) as refused:
        notion.blocks.children.append(
            block_id=TRIP, children=[{"paragraph": {"rich_text": [{"text": {"content": "x" * 2001}}]}}]
        )
    assert refused.value.code == APIErrorCode.ValidationError and "content" in str(refused.value)
