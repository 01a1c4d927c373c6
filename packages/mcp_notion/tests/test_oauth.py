"""`aide auth notion --oauth`: a public integration's sign-in, the browser's part played by the test. The sandbox
has no OAuth endpoints, so Notion's token endpoint is a loopback stand-in that answers as Notion documents
(developers.notion.com/reference/create-a-token); the real notion-client talks to it over HTTP."""

from __future__ import annotations

import base64
import json
import os
import threading
import webbrowser
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import parse_qs, urlencode, urlsplit
from urllib.request import urlopen

import pytest
import typer
from typer.testing import CliRunner

from aide_core.settings import AideSettings
from aide_notion.accounts import store_for
from aide_notion.cli import auth

CLIENT_ID, SECRET = "client-123", "secret-456"


class TokenEndpoint:
    """POST /v1/oauth/token as Notion answers it; records what it was sent."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                endpoint.requests.append({"path": self.path, "auth": self.headers["Authorization"], "body": body})
                basic = "Basic " + base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
                grant = body.get("grant_type")
                good = (
                    body.get("code") == "good-code"
                    if grant == "authorization_code"
                    else (grant == "refresh_token" and body.get("refresh_token") == "ntn_refresh")
                )
                if self.headers["Authorization"] != basic or not good:
                    status = 400
                    answer: dict[str, Any] = {
                        "object": "error", "status": 400, "code": "invalid_request", "message": "bad grant",
                    }  # fmt: skip
                else:
                    status = 200
                    access = "ntn_oauth_access" if grant == "authorization_code" else "ntn_fresh"
                    answer = {
                        "access_token": access, "token_type": "bearer", "refresh_token": "ntn_refresh",
                        "bot_id": "bot-1", "workspace_name": "Acme", "workspace_id": "ws-1", "owner": {"type": "user"},
                        "duplicated_template_id": None, "request_id": "r1",
                    }  # fmt: skip
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # users/me, which only the fresh token may call
                endpoint.requests.append({"path": self.path, "auth": self.headers["Authorization"]})
                fresh = self.headers["Authorization"] == "Bearer ntn_fresh"
                answer = (
                    {"object": "user", "id": "bot-1", "type": "bot", "bot": {"workspace_name": "Acme"}}
                    if fresh
                    else {"object": "error", "status": 401, "code": "unauthorized", "message": "API token is invalid."}
                )
                data = json.dumps(answer).encode()
                self.send_response(200 if fresh else 401)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def notion_api() -> Iterator[TokenEndpoint]:
    endpoint = TokenEndpoint()
    Path(os.environ["AIDE_CONFIG"]).write_text(f'[notion]\nbase_url = "{endpoint.url}"\n')
    try:
        yield endpoint
    finally:
        endpoint.close()


def browser(monkeypatch: pytest.MonkeyPatch, code: str = "good-code", state: str | None = None) -> list[str]:
    """Stand in for the user's browser and Notion's consent page: follow the URL back to the redirect URI."""
    opened: list[str] = []

    def open_url(url: str, *args: Any, **kwargs: Any) -> bool:
        opened.append(url)
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        back = {"code": code, "state": state or query["state"]}
        try:
            with urlopen(f"{query['redirect_uri']}?{urlencode(back)}", timeout=10):
                pass
        except HTTPError:  # the refusal page of a forged redirect
            pass
        return True

    monkeypatch.setattr(webbrowser, "open", open_url)
    return opened


def run(*args: str) -> Any:
    app = typer.Typer()
    app.command()(auth)
    return CliRunner().invoke(app, ["--oauth", "--client-id", CLIENT_ID, "--port", "0", *args])


def test_oauth_signs_a_workspace_in_and_stores_its_tokens(
    notion_api: TokenEndpoint, settings: AideSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTION_OAUTH_CLIENT_SECRET", SECRET)
    opened = browser(monkeypatch)
    done = run("--account", "acme")
    assert done.exit_code == 0, done.output
    assert "Signed in the Notion account 'acme' (workspace Acme)." in done.output
    query = {k: v[0] for k, v in parse_qs(urlsplit(opened[0]).query).items()}
    assert opened[0].startswith(f"{notion_api.url}/v1/oauth/authorize?")
    assert {k: query[k] for k in ("client_id", "response_type", "owner")} == {
        "client_id": CLIENT_ID,
        "response_type": "code",
        "owner": "user",
    }
    [request] = notion_api.requests
    assert request["path"] == "/v1/oauth/token"
    assert request["body"] == {
        "grant_type": "authorization_code",
        "code": "good-code",
        "redirect_uri": query["redirect_uri"],
    }
    [stored] = store_for(settings).all()
    assert (stored.name, stored.data) == (
        "acme",
        {
            "type": "oauth", "token": "ntn_oauth_access", "refresh_token": "ntn_refresh", "client_id": CLIENT_ID,
            "client_secret": SECRET, "workspace": "Acme", "workspace_id": "ws-1", "bot_id": "bot-1",
        },
    )  # fmt: skip
    assert SECRET not in done.output and "ntn_oauth_access" not in done.output


def test_a_redirect_with_another_state_stores_nothing(
    notion_api: TokenEndpoint, settings: AideSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTION_OAUTH_CLIENT_SECRET", SECRET)
    browser(monkeypatch, state="forged")
    done = run()
    assert done.exit_code == 1 and "Notion sign-in failed (state mismatch)" in done.output
    assert notion_api.requests == [] and store_for(settings).all() == []


def test_a_code_notion_refuses_stores_nothing(
    notion_api: TokenEndpoint, settings: AideSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTION_OAUTH_CLIENT_SECRET", SECRET)
    browser(monkeypatch, code="stale-code")
    done = run()
    assert done.exit_code == 1 and "Notion refused the sign-in (invalid_request)" in done.output
    assert store_for(settings).all() == []


def test_an_expired_oauth_token_is_refreshed_once_and_written_back(
    notion_api: TokenEndpoint, settings: AideSettings
) -> None:
    from aide_core.accounts import Account
    from aide_notion.server import spec
    from aide_notion.state import NotionSettings

    data = {
        "type": "oauth", "token": "ntn_expired", "refresh_token": "ntn_refresh", "client_id": CLIENT_ID,
        "client_secret": SECRET, "workspace": "Acme",
    }  # fmt: skip
    store_for(settings).save(Account("acme", data))
    runtime = spec.make_runtime(settings, NotionSettings(base_url=notion_api.url, account="acme"))
    try:
        assert spec.reachability(runtime) == "ok (Acme)"
    finally:
        runtime.close()
    assert [(r["path"], r.get("body", {}).get("grant_type")) for r in notion_api.requests] == [
        ("/v1/users/me", None),
        ("/v1/oauth/token", "refresh_token"),
        ("/v1/users/me", None),
    ]
    [stored] = store_for(settings).all()
    assert stored.data["token"] == "ntn_fresh" and stored.data["refresh_token"] == "ntn_refresh"


def test_an_internal_integrations_refused_token_is_not_refreshed(
    notion_api: TokenEndpoint, settings: AideSettings
) -> None:
    from aide_core.accounts import Account
    from aide_notion.server import spec
    from aide_notion.state import NotionSettings

    store_for(settings).save(Account("default", {"type": "internal_integration", "token": "ntn_revoked"}))
    runtime = spec.make_runtime(settings, NotionSettings(base_url=notion_api.url))
    try:
        assert spec.reachability(runtime).startswith("unreachable")
    finally:
        runtime.close()
    assert [r["path"] for r in notion_api.requests] == ["/v1/users/me"]
