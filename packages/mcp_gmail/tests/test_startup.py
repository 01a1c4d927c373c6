"""What starting the Gmail server costs: a stdio host waits for `tools/list`, so nothing heavy may load before it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aide_google.accounts import INDEX
from aide_google.scopes import sign_in_scopes

#: The Google client libraries, HTML and Markdown conversion, the keyring probe and the retry library: each is
#: needed only once a tool is called; the test-only fuzz libraries, never. (`cryptography` is not listed: the SDK
#: itself loads it.)
HEAVY = (
    "googleapiclient", "google", "google_auth_httplib2", "httplib2", "google_auth_oauthlib", "oauthlib",
    "markdownify", "bs4", "markdown_it", "keyring", "jeepney", "secretstorage", "tenacity",
    "hypothesis", "hypothesis_jsonschema",  # the fuzz harness's, for tests only
    "email.headerregistry", "aide_core.mail",  # outgoing mail is built at the first send or draft
)  # fmt: skip

START = """
import json, sys
import anyio
from aide_core.settings import load_settings
from aide_gmail.server import spec

server = spec.build(load_settings())
tools = anyio.run(server.list_tools)
heavy = json.loads(sys.argv[1])
print(json.dumps({
    "loaded": sorted({n for n in heavy if n in sys.modules or n in {m.split(".")[0] for m in sys.modules}}),
    "tools": sorted(tool.name for tool in tools),
}))
"""


def start(home: Path, tmp_path: Path) -> dict[str, list[str]]:
    """Import the server module and list its tools in a fresh interpreter, as `aide_core.launch gmail` does."""
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
    assert "send_email" in started["tools"]  # before sign-in the whole default tier is listed


@pytest.mark.parametrize("backend", ["file", "auto"])
def test_starting_with_a_signed_in_account_lists_its_tools_without_loading_the_heavy_libraries(
    tmp_path: Path, backend: str
) -> None:
    home = tmp_path / "home"
    (home / "secrets").mkdir(parents=True)
    (home / INDEX).parent.mkdir()
    entry = {"type": "authorized_user", "level": "readonly", "scopes": list(sign_in_scopes("readonly"))}
    (home / INDEX).write_text(json.dumps({"work": entry}))
    (tmp_path / "config.toml").write_text(f'credential_backend = "{backend}"\n')
    started = start(home, tmp_path)
    assert started["loaded"] == []
    assert "search_emails" in started["tools"] and "send_email" not in started["tools"]
