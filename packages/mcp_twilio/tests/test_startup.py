"""What starting the Twilio server costs: a stdio host waits for `tools/list`, so nothing heavy may load before it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

#: The twilio client (and requests, aiohttp under it), libphonenumber's tables, the keyring probe, the retry
#: library, the agent: each is needed only once a tool is called or a text arrives; the fuzz libraries never.
HEAVY = (
    "twilio", "requests", "aiohttp", "phonenumbers", "keyring", "tenacity", "aide_agent",
    "hypothesis", "hypothesis_jsonschema",
)  # fmt: skip

START = """
import json, sys
import anyio
from aide_core.settings import load_settings
from aide_twilio.server import spec

server = spec.build(load_settings())
tools = anyio.run(server.list_tools)
heavy = json.loads(sys.argv[1])
print(json.dumps({
    "loaded": sorted({n for n in heavy if n in sys.modules or n in {m.split(".")[0] for m in sys.modules}}),
    "tools": sorted(tool.name for tool in tools),
}))
"""


def test_starting_loads_none_of_the_heavy_libraries_and_lists_every_tool(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIDE_")}
    env |= {"AIDE_HOME": str(tmp_path / "home"), "AIDE_CONFIG": str(tmp_path / "config.toml")}
    done = subprocess.run(
        [sys.executable, "-c", START, json.dumps(HEAVY)], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    started = json.loads(done.stdout)
    assert started["loaded"] == []
    assert started["tools"] == [
        "get_message",
        "list_conversations",
        "list_messages",
        "list_unread",
        "lookup_number",
        "mark_read",
        "send_sms",
    ]
