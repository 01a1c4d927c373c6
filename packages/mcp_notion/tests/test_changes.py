"""Guarded changes (delete_block; update_page, which can move a page to the trash; add_comment, which notifies
people) ask the user with a preview that names what goes or what is said; writes to the user's own notes (pages,
appended content, database rows) go through the guard without asking, so that a retried call writes once."""

from __future__ import annotations

from typing import Any

import pytest
from mcp.types import ElicitResult

from aide_core.fencing import unfence
from aide_core.testing import Answers
from aide_sandbox.seed.notion import BOOKS, HOME, READING, TASKS_DB, TRIP

pytestmark = pytest.mark.anyio


def block_ids(markdown: str) -> list[str]:
    return [line.rsplit("^", 1)[1] for line in unfence(markdown).splitlines() if "^" in line]


async def test_delete_block_asks_first_naming_the_block_and_deletes_only_when_accepted(notion_server: Any) -> None:
    answers = Answers(ElicitResult(action="decline"), ElicitResult(action="accept", content={"confirm": True}))
    async with notion_server(confirm="elicit", elicitation=answers) as notion:
        second = block_ids((await notion.call("read_page", id=BOOKS))["markdown"])[1]
        declined = await notion.call("delete_block", id=second)
        kept = unfence((await notion.call("read_page", id=BOOKS))["markdown"])
        done = await notion.call("delete_block", id=second)
        after = unfence((await notion.call("read_page", id=BOOKS))["markdown"])
    assert declined["status"] == "declined" and "Piranesi" in kept
    assert done["status"] == "done" and done["result"]["type"] == "numbered_list_item"
    assert "Piranesi" not in after and "The Left Hand of Darkness" in after
    dashed = f"{second[:8]}-{second[8:12]}-{second[12:16]}-{second[16:20]}-{second[20:]}"
    assert answers.questions[0].startswith(f"Delete the numbered_list_item block {dashed}: 'Piranesi'")


async def test_deleting_a_block_with_nested_blocks_says_so(notion_server: Any) -> None:
    async with notion_server(confirm="token") as notion:
        toggle = next(
            line.rsplit("^", 1)[1].split("<")[0]
            for line in unfence((await notion.call("read_page", id=HOME))["markdown"]).splitlines()
            if line.startswith("<details>")
        )
        preview = await notion.call("delete_block", id=toggle)
    assert preview["status"] == "confirmation_required"
    assert (
        "Delete the toggle block" in preview["preview"]
        and "'Wi-Fi details' and the blocks inside it" in (preview["preview"])
    )


async def test_update_page_renames_and_trashes_through_the_guard(notion_server: Any) -> None:
    answers = Answers(*[ElicitResult(action="accept", content={"confirm": True})] * 3)
    async with notion_server(confirm="elicit", elicitation=answers) as notion:
        renamed = await notion.call("update_page", id=READING, title="Books to read")
        trashed = await notion.call("update_page", id=TRIP, archive=True)
        gone = await notion.call("search", query="Trip to")
        restored = await notion.call("update_page", id=TRIP, archive=False)
    assert renamed["result"]["title"] == "Books to read" and renamed["result"]["in_trash"] is False
    assert trashed["result"]["in_trash"] is True and gone["results"] == []
    assert restored["result"]["in_trash"] is False
    assert [question.split("\n\n")[0] for question in answers.questions[:2]] == [
        f"Page 'Reading list' ({READING}): rename it to 'Books to read'",
        f"Page 'Trip to Lisbon' ({TRIP}): move it to the trash",
    ]


async def test_update_page_sets_database_properties_by_name(notion_server: Any) -> None:
    async with notion_server() as notion:
        [task] = (await notion.call("query_database", id=TASKS_DB, where={"Name": "Read Piranesi"}))["items"]
        done = await notion.call("update_page", id=task["id"], properties={"Status": "Done"}, title="Read Piranesi!")
        wrong = await notion.error("update_page", id=HOME, properties={"Status": "Done"})
    assert done["result"]["properties"]["Status"] == "Done" and done["result"]["title"] == "Read Piranesi!"
    assert "This page is not in a database" in wrong


async def test_comments_are_added_and_listed(notion_server: Any) -> None:
    async with notion_server() as notion:
        before = await notion.call("list_comments", id=TRIP)
        added = (await notion.call("add_comment", page_or_block=TRIP, text="Porto works: 7 Dec."))["result"]
        after = await notion.call("list_comments", id=TRIP)
    assert [(c["author"], c["text"]) for c in before["comments"]] == [("Helen Rivera", "Can we add a day in Porto?")]
    assert (added["author"], added["text"]) == ("aide", "Porto works: 7 Dec.")
    assert [c["text"] for c in after["comments"]] == ["Can we add a day in Porto?", "Porto works: 7 Dec."]


async def test_a_comment_notifies_people_so_it_is_confirmed_first_with_what_it_says(notion_server: Any) -> None:
    answers = Answers(ElicitResult(action="decline"), ElicitResult(action="accept", content={"confirm": True}))
    async with notion_server(confirm="elicit", elicitation=answers) as notion:
        declined = await notion.call("add_comment", page_or_block=TRIP, text="Porto works: 7 Dec.")
        before = await notion.call("list_comments", id=TRIP)
        done = await notion.call("add_comment", page_or_block=TRIP, text="Porto works: 7 Dec.")
        after = await notion.call("list_comments", id=TRIP)
    assert declined["status"] == "declined" and done["status"] == "done"
    assert [c["text"] for c in before["comments"]] == ["Can we add a day in Porto?"]
    assert [c["text"] for c in after["comments"]] == ["Can we add a day in Porto?", "Porto works: 7 Dec."]
    assert answers.questions[0].startswith(
        f"Comment on the page 'Trip to Lisbon' ({TRIP}); Notion notifies the people following it\n\nPorto works: 7 Dec."
    )


async def test_writes_to_the_users_own_notes_are_not_asked_about_and_a_retry_writes_once(notion_server: Any) -> None:
    answers = Answers()  # any question would fail: none is expected
    async with notion_server(confirm="elicit", elicitation=answers) as notion:
        created = [await notion.call("create_page", parent=TRIP, title="Packing", markdown="- socks") for _ in "ab"]
        page = created[0]["result"]["id"]
        appended = [await notion.call("append_markdown", page_id=page, markdown="- hat") for _ in "ab"]
        again = await notion.call("append_markdown", page_id=page, markdown="- hat", idempotency_key="second hat")
        added = [await notion.call("add_database_item", id=TASKS_DB, values={"Name": "Pack"}) for _ in "ab"]
        text = unfence((await notion.call("read_page", id=page))["markdown"])
        found = await notion.call("search", query="Packing")
        rows = await notion.call("query_database", id=TASKS_DB, where={"Name": "Pack"})
    assert answers.questions == []
    for first, retry in (created, appended, added):
        assert (first["status"], retry["status"], retry["result"]) == ("done", "replayed", first["result"])
    assert again["status"] == "done" and again["result"]["block_ids"] != appended[0]["result"]["block_ids"]
    assert [line.split(" ^")[0] for line in text.splitlines() if line.startswith("- ")] == ["- socks", "- hat", "- hat"]
    assert [hit["id"] for hit in found["results"]] == [page]
    assert [item["id"] for item in rows["items"]] == [added[0]["result"]["id"]]


async def test_a_comment_on_a_block(notion_server: Any) -> None:
    async with notion_server() as notion:
        first = block_ids((await notion.call("read_page", id=TRIP))["markdown"])[0]
        added = (await notion.call("add_comment", page_or_block=first, text="Check the times"))["result"]
        listed = await notion.call("list_comments", id=first)
    assert [c["id"] for c in listed["comments"]] == [added["id"]]


async def test_ids_that_are_not_notion_ids_are_refused_with_what_to_pass(notion_server: Any) -> None:
    async with notion_server() as notion:
        error = await notion.error("read_page", id="the trip page")
        missing = await notion.error("read_page", id="0" * 32)
        from_url = await notion.call("read_page", id=f"https://www.notion.so/Trip-to-Lisbon-{TRIP.replace('-', '')}")
    assert "'the trip page' is not a Notion page id" in error and "32 hex digits" in error
    assert "Notion" in missing and "internal error" not in missing
    assert from_url["id"] == TRIP
