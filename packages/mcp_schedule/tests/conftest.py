"""Schedule servers built in-process on the test's aide home (the isolated home comes from the repository's
conftest.py), their clock pinned and movable: `server.now = ...`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from mcp import Client

from aide_core.server import Runtime
from aide_core.settings import AideSettings
from aide_core.testing import ToolClient
from aide_schedule.server import spec
from aide_schedule.settings import ScheduleSettings
from aide_schedule.state import ScheduleState

#: Friday 2026-11-20, 12:00 UTC: 13:00 in Berlin.
NOON = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
PHONE = "+4915112345678"
EMAIL = "alex.rivera@example.com"


class Schedule(ToolClient):
    """A client of one schedule server, with its runtime: `now` moves the server's clock."""

    def __init__(self, client: Client, runtime: Runtime[ScheduleState]) -> None:
        super().__init__(client)
        self.runtime = runtime
        self.now = NOON
        runtime.state().clock = lambda: self.now

    @property
    def state(self) -> ScheduleState:
        return self.runtime.state()


ScheduleFactory = Callable[..., Any]


def schedule_config(**config: Any) -> ScheduleSettings:
    base = {"confirm": "never", "timezone": "Europe/Berlin", "phone": PHONE, "email": EMAIL}
    return ScheduleSettings.model_validate(base | config)


@pytest.fixture
def schedule_server(settings: AideSettings) -> ScheduleFactory:
    """`async with schedule_server(**settings) as schedule:` a client of a schedule server at `NOON`."""

    @asynccontextmanager
    async def open_server(**config: Any) -> AsyncIterator[Schedule]:
        runtime = spec.make_runtime(settings, schedule_config(**config))
        try:
            async with Client(spec.build(runtime=runtime)) as client:
                yield Schedule(client, runtime)
        finally:
            runtime.close()

    return open_server
