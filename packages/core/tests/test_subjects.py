"""Every user is a subject: two people on one HTTP server, each with their own token, never share what the guard
keeps (replays, confirmation tokens, the audit log), even when an OAuth client application is shared by both."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import pytest
from mcp.server.auth.provider import AccessToken, TokenVerifier
from mcp.server.mcpserver import MCPServer

from aide_core.activity import spec as activity
from aide_core.http import BearerAuth, build_app
from aide_core.server import ServerSpec
from aide_core.settings import AideSettings, ConfirmMode
from aide_core.testing import connected, serving

pytestmark = pytest.mark.anyio

TOKENS = {"ann": "ann-token", "bob": "bob-token"}
SEND = {"to": "carol@example.com", "text": "lunch at noon?"}


def example_and_activity(
    example_app: ServerSpec[Any], settings: AideSettings, confirm: ConfirmMode
) -> dict[str, MCPServer]:
    from example_server import ExampleSettings

    return {
        "example": example_app.build(settings, config=ExampleSettings(confirm=confirm)),
        "activity": activity.build(settings),
    }


def with_users(settings: AideSettings) -> AideSettings:
    return settings.model_copy(update={"http": settings.http.model_copy(update={"users": TOKENS})})


@asynccontextmanager
async def ann_and_bob(
    example_app: ServerSpec[Any], settings: AideSettings, *, confirm: ConfirmMode = "never"
) -> AsyncIterator[str]:
    """The example and activity servers in one app, Ann and Bob each with a token of their own."""
    settings = with_users(settings)
    servers = example_and_activity(example_app, settings, confirm)
    async with serving(build_app(servers, settings.http, "main-token")) as base:
        yield base


async def outbox(base: str) -> int:
    async with connected(f"{base}/example/mcp", "main-token") as client:
        return (await client.call("outbox_size"))["count"]


async def test_the_same_send_by_ann_and_bob_acts_once_for_each_and_replays_only_their_own(
    example_app: ServerSpec[Any], settings: AideSettings
) -> None:
    async with ann_and_bob(example_app, settings) as base:
        done: dict[str, list[str]] = {}
        for user in ("ann", "bob"):
            async with connected(f"{base}/example/mcp", TOKENS[user]) as client:
                derived = [(await client.call("send", **SEND))["status"] for _ in range(2)]
                explicit = [(await client.call("send", **SEND, idempotency_key="k-1"))["status"] for _ in range(2)]
                done[user] = derived + explicit
        count = await outbox(base)
    assert done == {"ann": ["done", "replayed", "done", "replayed"], "bob": ["done", "replayed", "done", "replayed"]}
    assert count == 4


async def test_bob_cannot_redeem_anns_confirmation_token_and_ann_still_can(
    example_app: ServerSpec[Any], settings: AideSettings
) -> None:
    async with ann_and_bob(example_app, settings, confirm="token") as base:
        async with connected(f"{base}/example/mcp", TOKENS["ann"]) as ann:
            preview = await ann.call("send", **SEND)
        token = preview["confirmation_token"]
        async with connected(f"{base}/example/mcp", TOKENS["bob"]) as bob:
            refused = await bob.error("send", **SEND, confirmation_token=token)
        count_after_bob = await outbox(base)
        async with connected(f"{base}/example/mcp", TOKENS["ann"]) as ann:
            confirmed = await ann.call("send", **SEND, confirmation_token=token)
        count_after_ann = await outbox(base)
    assert preview["status"] == "confirmation_required"
    assert "Cannot confirm: unknown confirmation token." in refused
    assert count_after_bob == 0
    assert confirmed["status"] == "done" and count_after_ann == 1


async def test_each_user_lists_only_their_own_activity(example_app: ServerSpec[Any], settings: AideSettings) -> None:
    async with ann_and_bob(example_app, settings) as base:
        async with connected(f"{base}/example/mcp", TOKENS["ann"]) as ann:
            await ann.call("send", **SEND)
        async with connected(f"{base}/example/mcp", TOKENS["bob"]) as bob:
            await bob.call("send", to="dan@example.com", text="hi")
            await bob.call("send", to="dan@example.com", text="hi")  # replayed
        listed: dict[str, list[tuple[str, str]]] = {}
        for user, token in [*TOKENS.items(), ("main", "main-token")]:
            async with connected(f"{base}/activity/mcp", token) as client:
                actions = (await client.call("list_activity"))["actions"]
            listed[user] = [(action["tool"], action["outcome"]) for action in actions]
    assert listed == {
        "ann": [("send", "done"), ("send", "started")],
        "bob": [("send", "replayed"), ("send", "done"), ("send", "started")],
        "main": [],
    }


class SharedClient(TokenVerifier):
    """Stands for an OAuth 2.1 authorization server's verifier: every token was issued to the same client application
    (`client_id`) on behalf of a person (`subject`), or of nobody."""

    def __init__(self, subjects: Mapping[str, str | None]) -> None:
        self.subjects = subjects

    async def verify_token(self, token: str) -> AccessToken | None:
        if token not in self.subjects:
            return None
        return AccessToken(token=token, client_id="claude-desktop", scopes=[], subject=self.subjects[token])


async def test_an_oauth_client_shared_by_two_people_keeps_them_apart(
    example_app: ServerSpec[Any], settings: AideSettings
) -> None:
    verifier = SharedClient({"ann-oauth": "ann@example.org", "bob-oauth": "bob@example.org", "app-only": None})
    servers = example_and_activity(example_app, settings, "token")
    app = BearerAuth(build_app(servers, settings.http, None), verifier)
    seen: dict[str, Any] = {}
    async with serving(app) as base:
        for user in ("ann", "bob"):
            async with connected(f"{base}/example/mcp", f"{user}-oauth") as client:
                seen[f"{user} is"] = (await client.call("whoami"))["text"]
                seen[f"{user} previewed"] = (await client.call("send", **SEND))["status"]
            async with connected(f"{base}/activity/mcp", f"{user}-oauth") as client:
                seen[f"{user} lists"] = len((await client.call("list_activity"))["actions"])
        async with connected(f"{base}/example/mcp", "app-only") as client:
            seen["app-only"] = await client.error("whoami")
    assert seen["ann is"] == "ann@example.org" and seen["bob is"] == "bob@example.org"
    assert seen["ann previewed"] == seen["bob previewed"] == "confirmation_required"
    assert seen["ann lists"] == seen["bob lists"] == 1
    assert "This access token names no person (it has no subject)" in seen["app-only"]


async def test_a_confirmation_token_previewed_over_oauth_is_redeemable_only_by_its_subject(
    example_app: ServerSpec[Any], settings: AideSettings
) -> None:
    """Same client application, two people: the client id they share is not who confirms."""
    verifier = SharedClient({"ann-oauth": "ann@example.org", "bob-oauth": "bob@example.org"})
    servers = example_and_activity(example_app, settings, "token")
    async with serving(BearerAuth(build_app(servers, settings.http, None), verifier)) as base:
        async with connected(f"{base}/example/mcp", "ann-oauth") as ann:
            token = (await ann.call("send", **SEND))["confirmation_token"]
        async with connected(f"{base}/example/mcp", "bob-oauth") as bob:
            refused = await bob.error("send", **SEND, confirmation_token=token)
            size = (await bob.call("outbox_size"))["count"]
    assert "unknown confirmation token" in refused
    assert size == 0


async def test_in_process_servers_act_for_whom_the_program_says_and_a_token_still_names_its_own_subject(
    example_app: ServerSpec[Any], settings: AideSettings
) -> None:
    """`acting_as` (what `aide chat --user` uses) scopes in-process calls; over HTTP a user's token keeps its own
    subject inside it, and the main token acts for whom the process acts for."""
    from mcp import Client

    from aide_core.identity import acting_as

    async def activity_of(client: Client) -> int:
        return len((await client.call_tool("list_activity", {})).structured_content["actions"])  # type: ignore[index]

    with acting_as("ann"):
        async with Client(example_and_activity(example_app, settings, "never")["example"]) as client:
            await client.call_tool("send", SEND)
        async with Client(activity.build(settings)) as client:
            anns = await activity_of(client)
        async with ann_and_bob(example_app, settings) as base:
            async with connected(f"{base}/activity/mcp", TOKENS["bob"]) as bob:
                bobs = len((await bob.call("list_activity"))["actions"])
            async with connected(f"{base}/activity/mcp", "main-token") as main:
                mains_as_ann = len((await main.call("list_activity"))["actions"])
    async with Client(activity.build(settings)) as client:
        mine = await activity_of(client)
    assert (anns, bobs, mains_as_ann, mine) == (2, 0, 2, 0)  # started and done, Ann's only
