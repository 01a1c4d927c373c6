"""Notion servers built in-process against the sandbox (the `sandbox` fixture resets it to the seed each test),
talked to through `mcp.Client`; the Notion API is driven by the real notion-client over loopback HTTP. The
"Rivera Home" integration token is stored as the account `default`, as `aide auth notion` would; nothing sleeps
(pacing and retries wait on a recording sleep)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from mcp import Client

from aide_core.accounts import Account
from aide_core.settings import AideSettings
from aide_core.testing import ToolClient
from aide_notion.accounts import store_for
from aide_notion.server import spec
from aide_notion.state import NotionSettings, NotionState
from aide_sandbox.app import SandboxHandle

NotionFactory = Callable[..., Any]


class Waits:
    """A fake clock and sleep: sleeping moves the clock on, and every wait is recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds


def store_token(settings: AideSettings, token: str, account: str = "default", user: str = "default") -> None:
    """What `aide auth notion` stores."""
    data = {"type": "internal_integration", "token": token, "workspace": "Rivera Home"}
    store_for(settings, user).save(Account(account, data))


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
def notion_server(sandbox: SandboxHandle, settings: AideSettings, waits: Waits) -> NotionFactory:
    """`async with notion_server(**settings) as notion:` a client of a Notion server signed in to the sandbox's
    first workspace (`signed_in=False`: nothing stored; `elicitation=` answers confirmations)."""

    @asynccontextmanager
    async def open_server(elicitation: Any = None, signed_in: bool = True, **config: Any) -> AsyncIterator[ToolClient]:
        if signed_in:
            store_token(settings, sandbox.notion_token())
        table = {"base_url": sandbox.urls["notion"], "confirm": "never", "retry_backoff_seconds": 0} | config
        runtime = spec.make_runtime(settings, NotionSettings.model_validate(table))
        state = runtime.state()
        assert isinstance(state, NotionState)
        state.clock, state.sleep = waits.clock, waits.sleep
        try:
            async with Client(spec.build(runtime=runtime), elicitation_callback=elicitation) as client:
                yield ToolClient(client)
        finally:
            runtime.close()

    return open_server
