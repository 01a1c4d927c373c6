"""Memory servers built in-process on a fresh database per test (the isolated aide home comes from the repository's
conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from mcp import Client

from aide_core.settings import AideSettings
from aide_core.testing import ToolClient
from aide_memory.server import MemorySettings, spec


class Memory(ToolClient):
    """A client of one memory server, with shortcuts that assert the call succeeded."""

    async def remember(self, *contents: str, **fields: Any) -> list[str]:
        done = await self.call("remember", items=[{"content": c, **fields} for c in contents])
        return done["ids"]

    async def recall(self, query: str, **arguments: Any) -> list[dict[str, Any]]:
        return (await self.call("recall", query=query, **arguments))["results"]


MemoryFactory = Callable[..., Any]


@pytest.fixture
def memory_server(settings: AideSettings) -> MemoryFactory:
    """`async with memory_server(user="ann", **settings) as memory:` a client of a server on the test's database."""

    @asynccontextmanager
    async def open_server(**config: Any) -> AsyncIterator[Memory]:
        server = spec.build(settings, config=MemorySettings.model_validate({"confirm": "never"} | config))
        async with Client(server) as client:
            yield Memory(client)

    return open_server
