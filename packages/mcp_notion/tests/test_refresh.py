"""An OAuth account's expired access token, refreshed once however many calls Notion refuses at the same time, and
only for the person and account it belongs to. The sandbox's Notion has no OAuth endpoints, so the server talks to a
loopback stand-in that answers `POST /v1/oauth/token` as Notion documents and passes every other request on to the
sandbox (the refreshed token stands for the sandbox's own integration token there)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import anyio
import httpx
import pytest

from aide_core.accounts import Account
from aide_core.identity import acting_as
from aide_core.settings import AideSettings
from aide_notion.accounts import store_for
from aide_sandbox.app import SandboxHandle

pytestmark = pytest.mark.anyio

FRESH = "ntn_fresh"


class NotionWithOAuth:
    """The token endpoint, and the sandbox's API behind it. `events` records, in order, each refusal (401) the
    sandbox gave and each refresh asked for; the first refresh is answered only once two calls were refused, so a
    test sees whether two calls refused together refresh once or twice."""

    def __init__(self, sandbox: SandboxHandle) -> None:
        self.events: list[str] = []
        self.tokens: list[str] = []
        self.refused_twice = threading.Event()
        upstream, real = sandbox.urls["notion"], sandbox.notion_token()
        forward = httpx.Client(timeout=10)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                if self.path == "/v1/oauth/token":
                    self.refresh()
                else:
                    self.forward()

            def do_GET(self) -> None:
                self.forward()

            def refresh(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                proxy.events.append(f"refresh {body.get('grant_type')} {body.get('refresh_token')}")
                proxy.refused_twice.wait(10)
                answer = {
                    "access_token": FRESH, "token_type": "bearer", "refresh_token": "ntn_refresh", "bot_id": "bot-1",
                    "workspace_name": "Rivera Home", "workspace_id": "ws-1",
                }  # fmt: skip
                self.answer(200, json.dumps(answer).encode(), "application/json")

            def forward(self) -> None:
                token = self.headers["Authorization"].removeprefix("Bearer ")
                proxy.tokens.append(token)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                headers["Authorization"] = f"Bearer {real if token == FRESH else token}"
                size = int(self.headers.get("Content-Length") or 0)
                got = forward.request(
                    self.command, upstream + self.path, headers=headers, content=self.rfile.read(size) if size else None
                )
                if got.status_code == 401:
                    proxy.events.append(f"refused {token}")
                    if proxy.events.count(f"refused {token}") >= 2:
                        proxy.refused_twice.set()
                self.answer(got.status_code, got.content, got.headers.get("content-type", "application/json"))

            def answer(self, status: int, data: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._forward = forward
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._forward.close()


@pytest.fixture
def notion_api(sandbox: SandboxHandle) -> Iterator[NotionWithOAuth]:
    api = NotionWithOAuth(sandbox)
    try:
        yield api
    finally:
        api.close()


def store_oauth(settings: AideSettings, token: str, user: str = "default") -> None:
    """What `aide auth notion --oauth` stores."""
    data = {
        "type": "oauth", "token": token, "refresh_token": "ntn_refresh", "client_id": "client-123",
        "client_secret": "secret-456", "workspace": "Rivera Home",
    }  # fmt: skip
    store_for(settings, user).save(Account("default", data))


async def test_two_calls_refused_at_once_refresh_the_token_once_and_go_on_with_it(
    notion_server: Any, notion_api: NotionWithOAuth, settings: AideSettings
) -> None:
    store_oauth(settings, "ntn_expired")
    found: list[list[str]] = []
    async with notion_server(signed_in=False, base_url=notion_api.url) as notion:

        async def search(query: str) -> None:
            found.append([hit["title"] for hit in (await notion.call("search", query=query))["results"]])

        async with anyio.create_task_group() as group:
            group.start_soon(search, "Trip to")
            group.start_soon(search, "Reading")
        later = await notion.call("search", query="Trip to")
    assert notion_api.events == ["refused ntn_expired", "refused ntn_expired", "refresh refresh_token ntn_refresh"]
    assert sorted(found) == [["Reading list"], ["Trip to Lisbon"]]
    assert [hit["title"] for hit in later["results"]] == ["Trip to Lisbon"]
    assert notion_api.tokens[2:] == [FRESH] * 3  # both retries and the later call: no second client, no old token
    [stored] = store_for(settings).all()
    assert stored.data["token"] == FRESH


async def test_a_refresh_replaces_the_token_of_that_person_only(
    notion_server: Any, notion_api: NotionWithOAuth, settings: AideSettings, sandbox: SandboxHandle
) -> None:
    """Ann signed in with the same (expired) token as the configured user: the configured user's refresh is not
    hers, so her next call still goes with the token she stored and refreshes her own account; Bob's internal
    integration token is untouched by either."""
    store_oauth(settings, "ntn_expired")
    store_oauth(settings, "ntn_expired", user="ann")
    store_for(settings, "bob").save(Account("default", {"type": "internal_integration", "token": "ntn_bobs"}))
    async with notion_server(signed_in=False, base_url=notion_api.url) as notion:
        notion_api.refused_twice.set()  # one call at a time here: nothing to wait for
        mine = await notion.call("search", query="Trip to")
        with acting_as("bob"):
            bobs = await notion.error("search", query="Trip to")
        with acting_as("ann"):
            anns = await notion.call("search", query="Trip to")
    assert notion_api.events == [
        "refused ntn_expired", "refresh refresh_token ntn_refresh", "refused ntn_bobs", "refused ntn_expired",
        "refresh refresh_token ntn_refresh",
    ]  # fmt: skip
    assert notion_api.tokens == ["ntn_expired", FRESH, "ntn_bobs", "ntn_expired", FRESH]
    assert mine == anns and [hit["title"] for hit in mine["results"]] == ["Trip to Lisbon"]
    assert "Notion" in bobs
    assert [a.data["token"] for a in store_for(settings, "ann").all()] == [FRESH]
    assert [a.data["token"] for a in store_for(settings, "bob").all()] == ["ntn_bobs"]
