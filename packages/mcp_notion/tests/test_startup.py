"""What starting the Notion server costs: a stdio host waits for `tools/list`, so the Notion client, httpx,
markdown-it and the retry library load only when a tool is called."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

#: Each needed only once a tool runs; the fuzz libraries never. (`cryptography` is not listed: the SDK loads it.)
HEAVY = (
    "notion_client", "httpx", "markdown_it", "tenacity", "keyring", "jeepney", "secretstorage",
    "hypothesis", "hypothesis_jsonschema", "aide_notion.filters", "aide_notion.markdown", "aide_notion.render",
)  # fmt: skip

START = """
import json, sys
import anyio
from aide_core.settings import load_settings
from aide_notion.server import spec

server = spec.build(load_settings())
tools = anyio.run(server.list_tools)
heavy = json.loads(sys.argv[1])
print(json.dumps({
    "loaded": sorted(n for n in heavy if n in sys.modules),
    "tools": [tool.name for tool in tools],
}))
"""


def test_starting_and_listing_tools_loads_none_of_the_heavy_libraries(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIDE_")}
    env |= {"AIDE_HOME": str(tmp_path / "home"), "AIDE_CONFIG": str(tmp_path / "config.toml")}
    done = subprocess.run(
        [sys.executable, "-c", START, json.dumps(HEAVY)], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    started = json.loads(done.stdout)
    assert started["loaded"] == []
    assert len(started["tools"]) == 12
