"""The extended tier: search, moving events between calendars, new calendars, colours, changes since a sync token,
task lists, deleting (guarded) and moving tasks."""

from __future__ import annotations

from typing import Any

import pytest
from mcp.types import ElicitResult

from aide_core.testing import Answers
from aide_sandbox.seed.calendar import TEAM

pytestmark = pytest.mark.anyio


async def test_search_finds_events_by_text_over_a_wide_window(calendar_server: Any) -> None:
    async with calendar_server(tier="extended") as server:
        found = await server.call("search_events", query="offsite")
    assert [e["id"] for e in found["events"]] == ["seed020"]


async def test_move_event_to_another_calendar(calendar_server: Any, calendar: Any) -> None:
    async with calendar_server(tier="extended") as server:
        moved = await server.call("move_event", id="seed003", destination=TEAM)
    assert moved["calendar"] == TEAM
    assert calendar.events().get(calendarId=TEAM, eventId="seed003").execute()["summary"] == "Lisbon trip"


async def test_list_colors_gives_the_palettes(calendar_server: Any) -> None:
    async with calendar_server(tier="extended") as server:
        colors = await server.call("list_colors")
    assert colors["event"] and colors["calendar"][0]["background"].startswith("#")


async def test_create_calendar_checks_its_arguments_and_reports_upstream_failures(calendar_server: Any) -> None:
    # The sandbox does not emulate calendars.insert (501): the tool must say what happened, not crash.
    async with calendar_server(tier="extended") as server:
        zone = await server.error("create_calendar", summary="Gym", timezone="Lisbon")
        upstream = await server.error("create_calendar", summary="Gym", timezone="Europe/Lisbon")
    assert "Unknown time zone 'Lisbon'" in zone
    assert "HTTP 501" in upstream and "list_calendars" in upstream


async def test_events_since_a_sync_token_report_what_changed(calendar_server: Any) -> None:
    async with calendar_server(tier="extended") as server:
        first = await server.call("events_since")
        assert first["changed"] == [] and first["sync_token"]
        made = await server.call("create_event", summary="New thing", start="2026-12-09T10:00")
        await server.call("delete_event", id="seed003")
        changes = await server.call("events_since", sync_token=first["sync_token"])
        expired = await server.error("events_since", sync_token="bogus")
    assert [e["id"] for e in changes["changed"]] == [made["result"]["event"]["id"]]
    assert changes["deleted"] == ["seed003"] and changes["sync_token"]
    assert "sync token has expired" in expired


async def test_task_lists_are_listed_and_created(calendar_server: Any) -> None:
    async with calendar_server(tier="extended") as server:
        made = await server.call("create_task_list", title="Garden")
        lists = await server.call("list_task_lists")
    assert [x["title"] for x in lists["lists"]] == ["My Tasks", "Home", "Garden"] and made["title"] == "Garden"


async def test_deleting_a_task_asks_first(calendar_server: Any, google_tasks: Any) -> None:
    answers = Answers(ElicitResult(action="accept", content={"confirm": True}))
    async with calendar_server(tier="extended", confirm="elicit", elicitation=answers) as server:
        done = await server.call("delete_task", id="alexTask05")
    assert answers.questions[0].startswith("Delete the task 'Call the plumber' and its subtasks")
    assert done["status"] == "done"
    assert google_tasks.tasks().get(tasklist="@default", task="alexTask05").execute().get("deleted") is True


async def test_move_task_nests_reorders_and_changes_list(calendar_server: Any, google_tasks: Any) -> None:
    async with calendar_server(tier="extended") as server:
        nested = await server.call("move_task", id="alexTask05", parent="alexTask02", previous="alexTask03")
        away = await server.call("move_task", id="alexTask01", to_list="alex-home")
    assert nested["parent"] == "alexTask02"
    assert away["list"] == "alex-home"
    home = google_tasks.tasks().list(tasklist="alex-home").execute()["items"]
    assert "Book Lisbon flights" in [t["title"] for t in home]
