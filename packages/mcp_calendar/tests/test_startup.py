"""What starting the Calendar server costs: a stdio host waits for `tools/list`, so nothing heavy may load before it.
dateparser alone takes ~100 ms to import: it loads at the first phrase."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from aide_google.accounts import INDEX
from aide_google.scopes import sign_in_scopes

HEAVY = (
    "googleapiclient", "google", "google_auth_httplib2", "httplib2", "google_auth_oauthlib", "oauthlib",
    "dateparser", "dateutil", "regex", "pytz", "tzlocal", "keyring", "tenacity",
    "hypothesis", "hypothesis_jsonschema",
)  # fmt: skip

START = """
import json, sys
import anyio
from aide_core.settings import load_settings
from aide_calendar.server import spec

server = spec.build(load_settings())
tools = anyio.run(server.list_tools)
heavy = json.loads(sys.argv[1])
print(json.dumps({
    "loaded": sorted({n for n in heavy if n in sys.modules or n in {m.split(".")[0] for m in sys.modules}}),
    "tools": sorted(tool.name for tool in tools),
}))
"""


def start(home: Path, tmp_path: Path) -> dict[str, list[str]]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIDE_")}
    env |= {"AIDE_HOME": str(home), "AIDE_CONFIG": str(tmp_path / "config.toml")}
    done = subprocess.run(
        [sys.executable, "-c", START, json.dumps(HEAVY)], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


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
