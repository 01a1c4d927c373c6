"""What `aide serve` runs beside the servers (`aide.background` entry points): stopped when serving ends, and a task
that fails is logged without taking the servers down."""

from __future__ import annotations

import logging

import anyio
import pytest

from aide_core.cli.serve import background, run_beside
from aide_core.settings import AideSettings

pytestmark = pytest.mark.anyio


async def test_tasks_run_beside_the_main_one_and_stop_when_it_ends() -> None:
    started, stopped = anyio.Event(), anyio.Event()

    async def beside() -> None:
        started.set()
        try:
            await anyio.Event().wait()  # runs until cancelled
        finally:
            stopped.set()

    async def main() -> None:
        await started.wait()

    with anyio.fail_after(10):
        await run_beside(main, [("beside", beside)])
    assert stopped.is_set()


async def test_a_task_that_fails_is_logged_and_the_main_one_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    failed = anyio.Event()
    served: list[bool] = []

    async def broken() -> None:
        failed.set()
        raise RuntimeError("no model key")

    async def main() -> None:
        await failed.wait()
        await anyio.lowlevel.checkpoint()
        served.append(True)

    with caplog.at_level(logging.ERROR, logger="aide.serve"), anyio.fail_after(10):
        await run_beside(main, [("schedule", broken)])
    assert served == [True]
    assert "schedule stopped" in caplog.text and "no model key" in caplog.text


def test_the_installed_background_tasks_ask_their_configuration_first(settings: AideSettings) -> None:
    assert background(settings) == []  # the scheduler runner is installed, but [schedule] does not ask for it
