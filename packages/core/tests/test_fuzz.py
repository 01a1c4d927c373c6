"""The activity server and the fuzz harness itself: every tool called with generated arguments answers or refuses
clearly, and the harness does report a crash, a bare SDK error and a hang when there is one."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from mcp import Client

from aide_core.activity import spec as activity
from aide_core.guard_store import GuardStore
from aide_core.server import ServerSpec
from aide_core.settings import AideSettings
from aide_core.testing import fuzz_tools

pytestmark = pytest.mark.anyio


async def test_no_generated_arguments_crash_or_hang_the_activity_server(settings: AideSettings) -> None:
    store = GuardStore(settings.home / "guard.sqlite3")
    for n in range(3):
        store.audit("gmail", "send_email", f"digest{n}", "done", subject="default")
    async with Client(activity.build(settings)) as client:
        page = (await client.call_tool("list_activity", {"limit": 1})).structured_content
        assert page is not None
        report = await fuzz_tools(client, known={"cursor": [page["next_cursor"]], "server": ["gmail"]})
    assert report.calls["list_activity"] > 100
    report.assert_clean()


def _broken_server(settings: AideSettings) -> Any:
    app = ServerSpec[None]("broken", untrusted_content=False)

    @app.tool()
    def divide(numerator: int, denominator: int) -> int:
        """Divides without checking (a bug the harness must find)."""
        return numerator // denominator

    @app.tool()
    async def stall(seconds: int = 0) -> int:
        """Never answers when asked to wait (a hang the harness must find)."""
        if seconds:
            await anyio.Event().wait()
        return seconds

    return app.build(settings)


async def test_the_harness_reports_each_crash_with_its_input_and_traceback_and_a_hang(settings: AideSettings) -> None:
    async with Client(_broken_server(settings)) as client:
        report = await fuzz_tools(
            client, valid_examples=10, junk_examples=0, call_timeout=0.5, tools=["divide", "stall"]
        )
    crashes = [f for f in report.failures if f.tool == "divide"]
    hangs = [f for f in report.failures if f.tool == "stall"]
    assert crashes and all(f.arguments["denominator"] == 0 for f in crashes)
    assert "internal error (trace id" in crashes[0].problem and "ZeroDivisionError" in crashes[0].traceback
    assert [h.problem for h in hangs] == ["no answer within 0.5 s"]
    with pytest.raises(AssertionError, match=r"fuzzed calls failed"):
        report.assert_clean()


async def test_list_activity_refuses_a_forged_cursor_and_reads_a_time_without_offset_as_utc(
    settings: AideSettings,
) -> None:
    from aide_core.paging import encode_cursor

    GuardStore(settings.home / "guard.sqlite3").audit("gmail", "send_email", "digest", "done", subject="default")
    forged = encode_cursor("list_activity", {"before_id": "1 OR 1"}, {"server": None, "since": None})
    async with Client(activity.build(settings)) as client:
        refused = await client.call_tool("list_activity", {"cursor": forged})
        early = await client.call_tool("list_activity", {"since": "0001-01-01T00:00:00"})
        late = await client.call_tool("list_activity", {"since": "9999-12-31T23:59:59"})
    assert refused.is_error
    assert refused.content[0].text == (  # type: ignore[union-attr]
        "Error executing tool list_activity: The cursor is damaged (pass it back exactly as it was returned). "
        "Call list_activity again without a cursor to start from the beginning."
    )
    assert early.structured_content is not None and len(early.structured_content["actions"]) == 1
    assert late.structured_content == {"actions": [], "next_cursor": None}


async def test_the_example_server_and_its_guard_answer_generated_arguments_without_crashing(
    example_app: ServerSpec[Any], settings: AideSettings
) -> None:
    """The guard runs before each action's body (policy, keys, preview): a phone allowlist and a recipient allowlist
    make it parse what the model sent, which must fail as a ToolError, never as the SDK's bare error."""
    from example_server import ExampleSettings

    config = ExampleSettings(
        confirm="token", tier="extended", allow_phone_numbers=["+14155550100"], allow_recipients=["ann@example.com"]
    )
    async with Client(example_app.build(settings, config=config)) as client:
        report = await fuzz_tools(
            client, tools=["send", "text", "echo"], bases={"text": {"number": "+14155550100"}}, valid_examples=10
        )
    report.assert_clean()
