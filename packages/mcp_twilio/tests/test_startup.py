"""What starting the Twilio server costs: a stdio host waits for `tools/list`, so nothing heavy may load before it."""

from __future__ import annotations

from pathlib import Path

from aide_core.testing import start_fresh

#: The twilio client (and requests, aiohttp under it), libphonenumber's tables, the keyring probe, the retry
#: library, the agent: each is needed only once a tool is called or a text arrives; the fuzz libraries never.
HEAVY = (
    "twilio", "requests", "aiohttp", "phonenumbers", "keyring", "tenacity", "aide_agent",
    "hypothesis", "hypothesis_jsonschema",
)  # fmt: skip


def test_starting_loads_none_of_the_heavy_libraries_and_lists_every_tool(tmp_path: Path) -> None:
    started = start_fresh("twilio", HEAVY, tmp_path / "home", tmp_path / "config.toml")
    assert started.loaded == []
    assert started.tools == [
        "get_message",
        "list_conversations",
        "list_messages",
        "list_unread",
        "lookup_number",
        "mark_read",
        "send_sms",
    ]
