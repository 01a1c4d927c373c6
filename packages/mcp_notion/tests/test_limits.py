"""Notion's limits: 100 blocks per append, two levels of nesting per request, about three requests a second
(paced on our side), and 429 with Retry-After (reads retried after the wait; appends and creations never repeated).
Waits go to a recording sleep on a fake clock, so nothing sleeps."""

from __future__ import annotations

from typing import Any

import pytest

from aide_core.fencing import unfence
from aide_notion.pacing import Pacer
from aide_sandbox.app import SandboxHandle
from aide_sandbox.seed.notion import BOOKS, TRIP

from .conftest import Waits

pytestmark = pytest.mark.anyio


def test_the_pacer_lets_a_burst_of_three_through_then_one_request_every_third_of_a_second() -> None:
    waits = Waits()
    pacer = Pacer(3.0, 3, clock=waits.clock, sleep=waits.sleep)
    assert [pacer.wait() for _ in range(6)] == pytest.approx([0, 0, 0, 1 / 3, 1 / 3, 1 / 3])
    waits.now += 10  # a quiet spell refills the burst
    assert [pacer.wait() for _ in range(4)] == pytest.approx([0, 0, 0, 1 / 3])


async def test_appending_more_than_a_hundred_blocks_goes_in_requests_of_a_hundred_in_order(
    notion_server: Any, waits: Waits
) -> None:
    markdown = "\n\n".join(f"Line {n}" for n in range(250))
    async with notion_server() as notion:
        written = (await notion.call("append_markdown", page_id=BOOKS, markdown=markdown))["result"]
        page = await notion.call("read_page", id=BOOKS, max_chars=100_000)
    lines = [line.split(" ^")[0] for line in unfence(page["markdown"]).splitlines() if line]
    assert lines[3:] == [f"Line {n}" for n in range(250)]
    assert len(written["block_ids"]) == 100  # the result lists the first hundred
    assert waits.slept and set(waits.slept) == {0.333}  # paced, never more than 3 a second on the fake clock


async def test_nesting_deeper_than_notion_takes_in_one_request_is_written_level_by_level(notion_server: Any) -> None:
    markdown = "- one\n  - two\n    - three\n      - four\n        - five\n- after\n"
    async with notion_server() as notion:
        created = (await notion.call("create_page", parent=TRIP, title="Deep", markdown=markdown))["result"]
        page = await notion.call("read_page", id=created["id"])
    assert [line.split(" ^")[0] for line in unfence(page["markdown"]).splitlines()] == markdown.splitlines()


async def test_a_rate_limited_read_is_retried_after_the_wait_notion_asked_for(
    notion_server: Any, sandbox: SandboxHandle, waits: Waits
) -> None:
    sandbox.faults.inject("notion.search", status=429, retry_after=2, times=2)
    async with notion_server() as notion:
        found = await notion.call("search", query="Trip to")
    assert [hit["title"] for hit in found["results"]] == ["Trip to Lisbon"]
    assert waits.slept.count(2.0) == 2


async def test_a_rate_limited_append_is_not_repeated_and_says_when_to_retry(
    notion_server: Any, sandbox: SandboxHandle, waits: Waits
) -> None:
    sandbox.faults.inject("notion.blocks.children.append", status=429, retry_after=5, times=1)
    async with notion_server() as notion:
        error = await notion.error("append_markdown", page_id=BOOKS, markdown="1. Middlemarch")
        page = await notion.call("read_page", id=BOOKS)
    assert "Notion is rate limiting requests" in error and "retry in 5 s" in error
    assert "Middlemarch" not in unfence(page["markdown"])
    assert 5.0 not in waits.slept


async def test_a_failed_create_is_not_repeated(notion_server: Any, sandbox: SandboxHandle) -> None:
    sandbox.faults.inject("notion.pages.create", status=500, times=1)
    async with notion_server() as notion:
        error = await notion.error("create_page", parent=TRIP, title="Once")
        found = await notion.call("search", query="Once")
    assert "Notion" in error and "internal error" not in error
    assert found["results"] == []


async def test_a_page_created_whose_content_then_fails_says_so_and_is_not_created_twice(
    notion_server: Any, sandbox: SandboxHandle
) -> None:
    sandbox.faults.inject("notion.blocks.children.append", status=503, times=1)
    async with notion_server() as notion:
        error = await notion.error("create_page", parent=TRIP, title="Half written", markdown="- a\n- b")
        retried = await notion.error("create_page", parent=TRIP, title="Half written", markdown="- a\n- b")
        found = await notion.call("search", query="Half written")
    [page] = found["results"]
    assert f"The page {page['id']} was created, but writing its content failed" in error
    assert "do not create it again" in error
    assert "An identical call is running or was interrupted, so its outcome is unknown; nothing was done now" in retried
