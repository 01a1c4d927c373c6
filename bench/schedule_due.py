"""How long the runner's look at what is due takes (`due_work`, through the MCP client, in process) for one person
with N active reminders and a few jobs: the runner makes this call for every person at least once a minute.

    uv run python bench/schedule_due.py [--reminders 500] [--calls 20]

Each reminder repeats daily at its own minute (so every call expands N recurrences); half of them are set with
words ("every day at 7:15am", read by dateparser/dateutil), half as RRULEs. Prints the median and the slowest call.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import anyio
from mcp import Client


async def main(reminders: int, calls: int) -> None:
    from aide_core.settings import load_settings
    from aide_schedule.server import spec
    from aide_schedule.settings import ScheduleSettings

    jobs = [{"name": f"job-{n}", "when": f"every day at {7 + n}:00", "what": "morning-digest"} for n in range(5)]
    config = ScheduleSettings.model_validate(
        {"timezone": "Europe/Berlin", "phone": "+491701234567", "jobs": jobs, "runner": True, "confirm": "never"}
    )
    runtime = spec.make_runtime(load_settings(), config)
    runtime.state().clock = lambda: datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    async with Client(spec.build(runtime=runtime)) as client:
        for n in range(reminders):
            hour, minute = divmod(n % (24 * 60), 60)
            rule = f"RRULE:FREQ=DAILY;BYHOUR={hour};BYMINUTE={minute}"
            every = f"every day at {hour}:{minute:02d}" if n % 2 else rule
            result = await client.call_tool("remind_me", {"text": f"reminder {n}", "every": every})
            assert not result.is_error, result.content
        seconds: list[float] = []
        for n in range(calls):
            started = time.perf_counter()
            result = await client.call_tool("due_work", {"at": f"2026-11-21T{n % 24:02d}:00:00Z"})
            seconds.append(time.perf_counter() - started)
            assert not result.is_error, result.content
    runtime.close()
    print(f"due_work, {reminders} reminders + {len(jobs)} jobs, {calls} calls: "
          f"median {statistics.median(seconds) * 1000:.1f} ms, slowest {max(seconds) * 1000:.1f} ms")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="How long due_work takes for one person with N reminders.")
    parser.add_argument("--reminders", type=int, default=500)
    parser.add_argument("--calls", type=int, default=20)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ["AIDE_HOME"] = home
        os.environ["AIDE_CONFIG"] = str(Path(home) / "config.toml")
        anyio.run(main, arguments.reminders, arguments.calls)
