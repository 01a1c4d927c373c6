"""Two people on one memory server over HTTP, each with their own token: the token's subject is whose memories."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from aide_core.http import build_app
from aide_core.settings import AideSettings
from aide_core.testing import ToolClient, connected, serving
from aide_memory.server import MemorySettings, spec

pytestmark = pytest.mark.anyio

TOKENS = {"ann": "ann-token", "bob": "bob-token"}


@asynccontextmanager
async def memory_over_http(settings: AideSettings) -> AsyncIterator[str]:
    """One memory server for the main token and Ann's and Bob's; yields its URL."""
    settings = settings.model_copy(update={"http": settings.http.model_copy(update={"users": TOKENS})})
    server = spec.build(settings, config=MemorySettings(confirm="never", user="owner"))
    async with serving(build_app({"memory": server}, settings.http, "main-token")) as base:
        yield f"{base}/memory/mcp"


async def remember(memory: ToolClient, content: str) -> str:
    return (await memory.call("remember", items=[{"content": content}]))["ids"][0]


async def recall(memory: ToolClient, query: str) -> list[str]:
    return [found["id"] for found in (await memory.call("recall", query=query))["results"]]


async def test_ann_and_bob_over_http_never_see_or_forget_each_others_memories(settings: AideSettings) -> None:
    async with memory_over_http(settings) as url:
        async with connected(url, TOKENS["ann"]) as ann:
            secret = await remember(ann, "Ann's surprise party is on Friday")
        async with connected(url, TOKENS["bob"]) as bob:
            own = await remember(bob, "Ann's surprise party is on Friday")  # the same words: a memory of his own
            bob_recalls = await recall(bob, "surprise party Friday")
            refused = await bob.error("forget_memories", ids=[secret])
        async with connected(url, "main-token") as owner:
            owner_recalls = await recall(owner, "surprise party Friday")
        async with connected(url, TOKENS["ann"]) as ann:
            ann_recalls = await recall(ann, "surprise party Friday")
    assert own != secret
    assert bob_recalls == [own]
    assert "No current memory matches" in refused
    assert owner_recalls == []  # the main token is the configured user, "owner"
    assert ann_recalls == [secret]
