"""Tasks through the server against the sandbox's Tasks v1 emulator: add, list by due date, complete, nest, across
lists; due phrases resolve to the date in the user's zone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

pytestmark = pytest.mark.anyio


async def test_listing_orders_by_due_date_with_undated_last(calendar_server: Any) -> None:
    async with calendar_server() as server:
        listed = await server.call("list_tasks")
    assert [(t["id"], t["due"]) for t in listed["tasks"]] == [
        ("alexTask03", "2026-11-25"),
        ("alexTask02", "2026-11-27"),
        ("alexTask01", "2026-12-01"),
        ("alexTask05", None),
    ]
    assert listed["tasks"][0]["parent"] == "alexTask02"
    assert listed["tasks"][2]["notes"].startswith("<untrusted-content") and "Window seat" in listed["tasks"][2]["notes"]


async def test_due_filters_are_inclusive_dates_or_phrases(calendar_server: Any) -> None:
    async with calendar_server() as server:  # now: Friday 2026-11-20
        window = await server.call("list_tasks", due_after="2026-11-25", due_before="2026-11-27")
        next_friday = await server.call("list_tasks", due_before="next Friday", list="all")
        saturday = await server.call("list_tasks", due_before="2026-11-28", list="all")
    assert [t["id"] for t in window["tasks"]] == ["alexTask03", "alexTask02"]
    assert [t["id"] for t in next_friday["tasks"]] == ["alexTask03", "alexTask02"]  # due by Friday 27 November
    assert [t["id"] for t in saturday["tasks"]] == ["alexTask03", "alexTask02", "alexTask06"]


async def test_a_task_due_friday_lands_on_that_date(calendar_server: Any, google_tasks: Any) -> None:
    # 23:30 UTC on Thursday 26 November is already Friday 27 November in Berlin: "Friday" is a week later.
    async with calendar_server(now=datetime(2026, 11, 26, 23, 30, tzinfo=UTC)) as server:
        added = await server.call("add_task", title="Send slides", due="Friday")
    assert added["due"] == "2026-12-04" and added["list"] == "@default"
    stored = google_tasks.tasks().get(tasklist="@default", task=added["id"]).execute()
    assert stored["due"] == "2026-12-04T00:00:00.000Z"


async def test_a_subtask_nests_under_its_parent_and_completing_it_shows(calendar_server: Any) -> None:
    async with calendar_server() as server:
        child = await server.call("add_task", title="Book the room", parent="alexTask02", due="2026-11-26")
        done = await server.call("complete_task", id=child["id"])
        listed = await server.call("list_tasks", include_completed=True, due_before="2026-11-27")
    assert child["parent"] == "alexTask02" and done["status"] == "completed" and done["completed"]
    rows = {t["id"]: t for t in listed["tasks"]}
    assert rows[child["id"]]["status"] == "completed" and rows[child["id"]]["parent"] == "alexTask02"


async def test_tasks_across_lists(calendar_server: Any) -> None:
    async with calendar_server() as server:
        home = await server.call("add_task", title="Fix the gate", list="alex-home", due="2026-11-29")
        everywhere = await server.call("list_tasks", list="all")
        only_home = await server.call("list_tasks", list="alex-home")
    assert home["list"] == "alex-home"
    assert [t["id"] for t in only_home["tasks"]] == ["alexTask06", home["id"]]
    assert {t["list"] for t in everywhere["tasks"]} == {"alex-my-tasks", "alex-home"}


async def test_update_changes_title_and_due_and_clears_it(calendar_server: Any) -> None:
    async with calendar_server() as server:
        renamed = await server.call(
            "update_task", id="alexTask05", changes={"title": "Call the plumber today", "due": "tomorrow"}
        )
        cleared = await server.call("update_task", id="alexTask05", changes={"due": ""})
        nothing = await server.error("update_task", id="alexTask05", changes={})
        missing = await server.error("complete_task", id="noSuchTask")
    assert (renamed["title"], renamed["due"]) == ("Call the plumber today", "2026-11-21")
    assert cleared["due"] is None
    assert "Nothing to change" in nothing and "Tasks has no task 'noSuchTask'" in missing
