"""Calendar servers built in-process against the sandbox (reset to the seed each test), talked to through
`mcp.Client`; Calendar is driven by the real google-api-python-client over loopback HTTP. The server's clock is
pinned: "now" is `NOW` unless a test passes another."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from mcp import Client

from aide_calendar.server import spec
from aide_calendar.state import CalendarSettings, CalendarState
from aide_core.settings import AideSettings
from aide_core.testing import ToolClient
from aide_sandbox.app import SandboxHandle

#: What "now" is for the server in these tests: a Friday, 2026-11-20 13:00 in Berlin (12:00 UTC), as the sandbox.
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

CalendarFactory = Callable[..., Any]


def sandbox_config(sandbox: SandboxHandle, **config: Any) -> CalendarSettings:
    base = {
        "base_url": sandbox.urls["calendar"],
        "tasks_base_url": sandbox.urls["tasks"],
        "authorized_user": sandbox.authorized_user(),
        "confirm": "never",
        "retry_backoff_seconds": 0,
    }
    return CalendarSettings.model_validate(base | config)


@pytest.fixture
def calendar_server(sandbox: SandboxHandle, settings: AideSettings) -> CalendarFactory:
    """`async with calendar_server(**settings) as server:` a client of a Calendar server signed in to the sandbox's
    first account (Alex, Europe/Berlin); `now=` pins the clock elsewhere (or is the clock), `elicitation=` answers
    confirmations."""

    @asynccontextmanager
    async def open_server(
        elicitation: Any = None, now: datetime | Callable[[], datetime] = NOW, **config: Any
    ) -> AsyncIterator[ToolClient]:
        runtime = spec.make_runtime(settings, sandbox_config(sandbox, **config))
        state: CalendarState = runtime.state()
        state.clock = now if callable(now) else lambda: now
        try:
            async with Client(spec.build(runtime=runtime), elicitation_callback=elicitation) as client:
                yield ToolClient(client)
        finally:
            runtime.close()

    return open_server
