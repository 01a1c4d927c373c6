"""What starting the Calendar server costs: a stdio host waits for `tools/list`, so nothing heavy may load before it.
dateparser alone takes ~100 ms to import: it loads at the first phrase."""

from __future__ import annotations

import json
from pathlib import Path

from aide_core.testing import start_fresh
from aide_google.accounts import INDEX
from aide_google.scopes import sign_in_scopes

HEAVY = (
    "googleapiclient", "google", "google_auth_httplib2", "httplib2", "google_auth_oauthlib", "oauthlib",
    "dateparser", "dateutil", "regex", "pytz", "tzlocal", "keyring", "tenacity",
    "hypothesis", "hypothesis_jsonschema",
)  # fmt: skip


def start(home: Path, tmp_path: Path) -> dict[str, list[str]]:
    """Build the server and list its tools in a fresh interpreter, as `aide_core.launch calendar` does."""
    started = start_fresh("calendar", HEAVY, home, tmp_path / "config.toml")
    return {"loaded": started.loaded, "tools": started.tools}


def test_starting_before_any_sign_in_loads_none_of_the_heavy_libraries(tmp_path: Path) -> None:
    started = start(tmp_path / "home", tmp_path)
    assert started["loaded"] == []
    assert {"create_event", "find_free_slots", "add_task"} <= set(started["tools"])


def test_an_account_signed_in_read_only_is_offered_only_the_reading_tools(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "secrets").mkdir(parents=True)
    (home / INDEX).parent.mkdir(exist_ok=True)
    entry = {"type": "authorized_user", "level": "readonly", "scopes": list(sign_in_scopes("readonly"))}
    (home / INDEX).write_text(json.dumps({"work": entry}))
    started = start(home, tmp_path)
    assert started["loaded"] == []
    assert {"list_events", "list_tasks", "find_free_slots"} <= set(started["tools"])
    assert not {"create_event", "add_task", "delete_event"} & set(started["tools"])
