"""What starting the Gmail server costs: a stdio host waits for `tools/list`, so nothing heavy may load before it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aide_core.testing import start_fresh
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


def start(home: Path, tmp_path: Path) -> dict[str, list[str]]:
    """Build the server and list its tools in a fresh interpreter, as `aide_core.launch gmail` does."""
    started = start_fresh("gmail", HEAVY, home, tmp_path / "config.toml")
    return {"loaded": started.loaded, "tools": started.tools}


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
