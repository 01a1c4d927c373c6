"""`aide auth notion --oauth`: a public integration's sign-in against the sandbox's Notion, which answers the
authorization URL and `POST /v1/oauth/token` as Notion documents (developers.notion.com/reference/create-a-token);
the test plays the user's browser, and the real notion-client talks to the sandbox over HTTP. The integration's
redirect URI is registered with its port, as Notion requires, so the command is given a free port."""

from __future__ import annotations

import os
import socket
import webbrowser
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import parse_qs, urlencode, urlsplit
from urllib.request import urlopen

import httpx
import pytest
import typer
from typer.testing import CliRunner

from aide_core.accounts import Account
from aide_core.settings import AideSettings
from aide_notion.accounts import store_for
from aide_notion.cli import auth
from aide_sandbox.app import SandboxHandle
from aide_sandbox.notion.journal import Seen
from aide_sandbox.notion.oauth import workspace_id

CLIENT_ID, SECRET = "client-123", "secret-456"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def port(sandbox: SandboxHandle) -> int:
    """The sandbox's Notion is the configured API, with the public integration registered for this port."""
    chosen = free_port()
    Path(os.environ["AIDE_CONFIG"]).write_text(f'[notion]\nbase_url = "{sandbox.urls["notion"]}"\n')
    sandbox.notion_oauth_client([f"http://localhost:{chosen}/callback"], client_id=CLIENT_ID, client_secret=SECRET)
    return chosen


def browser(monkeypatch: pytest.MonkeyPatch, code: str | None = None, state: str | None = None) -> list[str]:
    """Stand in for the user's browser: open the authorization URL (the sandbox approves at once), then follow its
    redirect back to the command, with the code or state replaced when given. Returns the URLs it was sent to."""
    visited: list[str] = []

    def open_url(url: str, *args: Any, **kwargs: Any) -> bool:
        visited.append(url)
        location = urlsplit(httpx.get(url).headers["location"])
        back = {k: v[0] for k, v in parse_qs(location.query).items()}
        back |= {"code": code or back["code"], "state": state or back["state"]}
        visited.append(f"{location.scheme}://{location.netloc}{location.path}?{urlencode(back)}")
        try:
            with urlopen(visited[-1], timeout=10):
                pass
        except HTTPError:  # the refusal page of a forged redirect
            pass
        return True

    monkeypatch.setattr(webbrowser, "open", open_url)
    return visited


def run(port: int, *args: str) -> Any:
    app = typer.Typer()
    app.command()(auth)
    return CliRunner().invoke(app, ["--oauth", "--client-id", CLIENT_ID, "--port", str(port), *args])


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_oauth_signs_a_workspace_in_and_stores_its_tokens(
    sandbox: SandboxHandle, port: int, settings: AideSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTION_OAUTH_CLIENT_SECRET", SECRET)
    visited = browser(monkeypatch)
    done = run(port, "--account", "acme")
    assert done.exit_code == 0, done.output
    assert "Signed in the Notion account 'acme' (workspace Rivera Home)." in done.output
    asked, back = query_of(visited[0]), query_of(visited[1])
    assert visited[0].startswith(f"{sandbox.urls['notion']}/v1/oauth/authorize?")
    assert asked == {
        "client_id": CLIENT_ID,
        "response_type": "code",
        "owner": "user",
        "redirect_uri": f"http://localhost:{port}/callback",
        "state": back["state"],
    }
    token_request = {"grant_type": "authorization_code", "code": back["code"], "redirect_uri": asked["redirect_uri"]}
    assert sandbox.notion_requests() == [
        Seen("GET", "/v1/oauth/authorize", None, 302),
        Seen("POST", "/v1/oauth/token", CLIENT_ID, 200, token_request),
    ]
    [stored] = store_for(settings).all()
    me = sandbox.notion().users.retrieve(user_id=stored.data["bot_id"])
    assert (stored.name, stored.data) == (
        "acme",
        {
            "type": "oauth", "token": stored.data["token"], "refresh_token": stored.data["refresh_token"],
            "client_id": CLIENT_ID, "client_secret": SECRET, "workspace": "Rivera Home",
            "workspace_id": workspace_id("rivera-home"), "bot_id": me["id"],
        },
    )  # fmt: skip
    issued = httpx.get(
        f"{sandbox.urls['notion']}/v1/users/me",
        headers={"Authorization": f"Bearer {stored.data['token']}", "Notion-Version": "2025-09-03"},
    )
    assert issued.json()["id"] == me["id"]  # the stored token is the one Notion issued
    assert SECRET not in done.output and stored.data["token"] not in done.output


def test_a_redirect_with_another_state_stores_nothing(
    sandbox: SandboxHandle, port: int, settings: AideSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTION_OAUTH_CLIENT_SECRET", SECRET)
    browser(monkeypatch, state="forged")
    done = run(port)
    assert done.exit_code == 1 and "Notion sign-in failed (state mismatch)" in done.output
    assert [r.path for r in sandbox.notion_requests()] == ["/v1/oauth/authorize"]  # no token request
    assert store_for(settings).all() == []


def test_a_code_notion_refuses_stores_nothing(
    sandbox: SandboxHandle, port: int, settings: AideSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTION_OAUTH_CLIENT_SECRET", SECRET)
    browser(monkeypatch, code="stale-code")
    done = run(port)
    assert done.exit_code == 1 and "Notion refused the sign-in (invalid_grant)" in done.output
    assert [(r.path, r.status) for r in sandbox.notion_requests()] == [
        ("/v1/oauth/authorize", 302),
        ("/v1/oauth/token", 400),
    ]
    assert store_for(settings).all() == []


def test_a_wrong_client_secret_stores_nothing(
    sandbox: SandboxHandle, port: int, settings: AideSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTION_OAUTH_CLIENT_SECRET", "not-the-secret")
    browser(monkeypatch)
    done = run(port)
    assert done.exit_code == 1 and "Notion refused the sign-in (invalid_client)" in done.output
    assert "not-the-secret" not in done.output and store_for(settings).all() == []


def test_an_expired_oauth_token_is_refreshed_once_and_written_back(
    sandbox: SandboxHandle, port: int, settings: AideSettings
) -> None:
    from aide_notion.server import spec
    from aide_notion.state import NotionSettings

    granted = sandbox.notion_grant(CLIENT_ID)
    sandbox.expire_notion_tokens()
    data = {
        "type": "oauth", "token": granted["access_token"], "refresh_token": granted["refresh_token"],
        "client_id": CLIENT_ID, "client_secret": SECRET, "workspace": "Rivera Home",
    }  # fmt: skip
    store_for(settings).save(Account("acme", data))
    runtime = spec.make_runtime(settings, NotionSettings(base_url=sandbox.urls["notion"], account="acme"))
    try:
        assert spec.reachability(runtime) == "ok (Rivera Home)"
    finally:
        runtime.close()
    [stored] = store_for(settings).all()
    assert stored.data == data | {
        "token": stored.data["token"], "refresh_token": stored.data["refresh_token"],
        "workspace_id": workspace_id("rivera-home"), "bot_id": granted["bot_id"],
    }  # fmt: skip
    assert stored.data["token"] != granted["access_token"]
    assert stored.data["refresh_token"] != granted["refresh_token"]  # Notion rotates it: the new one is kept
    refresh = {"grant_type": "refresh_token", "refresh_token": granted["refresh_token"]}
    assert sandbox.notion_requests() == [
        Seen("GET", "/v1/users/me", granted["access_token"], 401),
        Seen("POST", "/v1/oauth/token", CLIENT_ID, 200, refresh),
        Seen("GET", "/v1/users/me", stored.data["token"], 200),
    ]


def test_an_internal_integrations_refused_token_is_not_refreshed(
    sandbox: SandboxHandle, port: int, settings: AideSettings
) -> None:
    from aide_notion.server import spec
    from aide_notion.state import NotionSettings

    store_for(settings).save(Account("default", {"type": "internal_integration", "token": "ntn_revoked"}))
    runtime = spec.make_runtime(settings, NotionSettings(base_url=sandbox.urls["notion"]))
    try:
        assert spec.reachability(runtime).startswith("unreachable")
    finally:
        runtime.close()
    assert sandbox.notion_requests() == [Seen("GET", "/v1/users/me", "ntn_revoked", 401)]


def test_without_a_terminal_the_client_secret_is_read_from_stdin_or_it_says_how_to_pipe_it(
    sandbox: SandboxHandle, port: int, settings: AideSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOTION_OAUTH_CLIENT_SECRET", raising=False)
    done = run(port)  # no terminal, nothing piped: no getpass prompt, warning or "Aborted."
    assert done.exit_code == 2 and done.stdout == ""
    assert done.stderr == (
        "aide auth notion: no client secret on standard input and no terminal to ask at: pipe it, e.g. "
        f"`pass show notion-client | aide auth notion --oauth --client-id {CLIENT_ID}`\n"
    )
    browser(monkeypatch)
    app = typer.Typer()
    app.command()(auth)
    piped = CliRunner().invoke(app, ["--oauth", "--client-id", CLIENT_ID, "--port", str(port)], input=SECRET + "\n")
    assert piped.exit_code == 0, piped.output
    assert piped.stderr == "" and SECRET not in piped.output
    assert [a.data["type"] for a in store_for(settings).all()] == ["oauth"]
