"""An OAuth account's expired access token, refreshed once however many calls Notion refuses at the same time, and
only for the person and account it belongs to. The sandbox's Notion issues the tokens (a public integration's
sign-in, `sandbox.notion_grant`), expires them, answers the refresh as Notion documents (the refresh token rotates),
and records every request it answered (`sandbox.notion_requests()`)."""

from __future__ import annotations

from typing import Any

import anyio
import anyio.to_thread
import httpx
import pytest

from aide_core.accounts import Account
from aide_core.identity import acting_as
from aide_core.settings import AideSettings
from aide_notion.accounts import store_for
from aide_sandbox.app import SandboxHandle
from aide_sandbox.notion.journal import Seen

pytestmark = pytest.mark.anyio

CLIENT_ID, SECRET = "client-123", "secret-456"


@pytest.fixture
def sign_in(sandbox: SandboxHandle, settings: AideSettings) -> Any:
    """`sign_in(user)`: a finished `aide auth notion --oauth` of `user` to "Rivera Home" (its own grant, stored as
    the account `default`); returns the tokens Notion issued."""
    sandbox.notion_oauth_client(["http://localhost:8765/callback"], client_id=CLIENT_ID, client_secret=SECRET)

    def signed_in(user: str = "default") -> dict[str, Any]:
        granted = sandbox.notion_grant(CLIENT_ID)
        data = {
            "type": "oauth", "token": granted["access_token"], "refresh_token": granted["refresh_token"],
            "client_id": CLIENT_ID, "client_secret": SECRET, "workspace": "Rivera Home",
        }  # fmt: skip
        store_for(settings, user).save(Account("default", data))
        return granted

    return signed_in


def refresh_of(granted: dict[str, Any]) -> Seen:
    body = {"grant_type": "refresh_token", "refresh_token": granted["refresh_token"]}
    return Seen("POST", "/v1/oauth/token", CLIENT_ID, 200, body)


async def test_two_calls_refused_at_once_refresh_the_token_once_and_go_on_with_it(
    notion_server: Any, sign_in: Any, sandbox: SandboxHandle, settings: AideSettings
) -> None:
    granted = sign_in()
    sandbox.expire_notion_tokens()
    # The first refresh is answered only once two calls were refused: both are refused before any new token exists.
    sandbox.hold_notion_token_requests(lambda seen: sum(s.status == 401 for s in seen) >= 2)
    found: list[list[str]] = []
    async with notion_server(signed_in=False) as notion:

        async def search(query: str) -> None:
            found.append([hit["title"] for hit in (await notion.call("search", query=query))["results"]])

        async with anyio.create_task_group() as group:
            group.start_soon(search, "Trip to")
            group.start_soon(search, "Reading")
        later = await notion.call("search", query="Trip to")
    assert sorted(found) == [["Reading list"], ["Trip to Lisbon"]]
    assert [hit["title"] for hit in later["results"]] == ["Trip to Lisbon"]
    [stored] = store_for(settings).all()
    fresh = stored.data["token"]
    seen = sandbox.notion_requests()
    assert seen[:3] == [
        Seen("POST", "/v1/search", granted["access_token"], 401, seen[0].body),
        Seen("POST", "/v1/search", granted["access_token"], 401, seen[1].body),
        refresh_of(granted),
    ]
    # both retries and the later call: one new token, no second client, no old token
    assert [(s.path, s.token, s.status) for s in seen[3:]] == [("/v1/search", fresh, 200)] * 3
    assert fresh != granted["access_token"] and stored.data["refresh_token"] != granted["refresh_token"]


async def test_a_refresh_replaces_the_token_of_that_person_only(
    notion_server: Any, sign_in: Any, sandbox: SandboxHandle, settings: AideSettings
) -> None:
    """The configured user and Ann each signed in (Notion rotates refresh tokens, so each has a grant of their own),
    and both access tokens expired: the configured user's refresh is not hers, so her next call still goes with the
    token she stored and refreshes her own account with her own refresh token; Bob's internal integration token is
    untouched by either."""
    mine, anns = sign_in(), sign_in("ann")
    store_for(settings, "bob").save(Account("default", {"type": "internal_integration", "token": "ntn_bobs"}))
    sandbox.expire_notion_tokens()
    async with notion_server(signed_in=False) as notion:
        found = await notion.call("search", query="Trip to")
        with acting_as("bob"):
            bobs = await notion.error("search", query="Trip to")
        with acting_as("ann"):
            anns_found = await notion.call("search", query="Trip to")
    [my_account], [ann_account] = store_for(settings).all(), store_for(settings, "ann").all()
    my_fresh, anns_fresh = my_account.data["token"], ann_account.data["token"]
    assert [(s.path, s.token, s.status) for s in sandbox.notion_requests()] == [
        ("/v1/search", mine["access_token"], 401), ("/v1/oauth/token", CLIENT_ID, 200), ("/v1/search", my_fresh, 200),
        ("/v1/search", "ntn_bobs", 401),
        ("/v1/search", anns["access_token"], 401), ("/v1/oauth/token", CLIENT_ID, 200), ("/v1/search", anns_fresh, 200),
    ]  # fmt: skip
    refreshes = [s for s in sandbox.notion_requests() if s.path == "/v1/oauth/token"]
    assert refreshes == [refresh_of(mine), refresh_of(anns)]
    assert len({mine["access_token"], anns["access_token"], my_fresh, anns_fresh}) == 4
    assert found == anns_found and [hit["title"] for hit in found["results"]] == ["Trip to Lisbon"]
    assert "Notion" in bobs
    assert [a.data["token"] for a in store_for(settings, "bob").all()] == ["ntn_bobs"]


async def test_a_refused_refresh_asks_for_a_new_sign_in(
    notion_server: Any, sign_in: Any, sandbox: SandboxHandle, settings: AideSettings
) -> None:
    """A refresh token rotated out (here by a refresh the store never saw, as after a restore from a backup) is
    refused by Notion with invalid_grant: the call says to sign in again, with the command, not Notion's code."""
    granted = sign_in()
    sandbox.expire_notion_tokens()
    body = {"grant_type": "refresh_token", "refresh_token": granted["refresh_token"]}
    url = sandbox.urls["notion"].rstrip("/") + "/v1/oauth/token"
    rotated = await anyio.to_thread.run_sync(lambda: httpx.post(url, json=body, auth=(CLIENT_ID, SECRET)))
    assert rotated.status_code == 200 and rotated.json()["refresh_token"] != granted["refresh_token"]
    async with notion_server(signed_in=False) as notion:
        refused = await notion.error("search", query="Trip to")
    assert refused == (
        "Error executing tool search: Notion sign-in of the account 'default' has expired. "
        "Ask the user to run: aide auth notion --oauth"
    )
    assert [(s.path, s.status) for s in sandbox.notion_requests()][-2:] == [
        ("/v1/search", 401),
        ("/v1/oauth/token", 400),
    ]
