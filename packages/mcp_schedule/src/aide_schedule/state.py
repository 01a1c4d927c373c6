"""The server's state: its settings, the store, and the clock (what "now" is: phrases and `list_jobs` read it, so
tests pin it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from zoneinfo import ZoneInfo

from aide_core.server import Runtime
from aide_core.when import zone
from aide_schedule.settings import Person, ScheduleSettings
from aide_schedule.store import ScheduleStore

__all__ = ["ScheduleState"]


class ScheduleState:
    def __init__(self, runtime: Runtime[ScheduleState]) -> None:
        config = runtime.config
        assert isinstance(config, ScheduleSettings)
        self.config = config
        self.runtime = runtime
        #: What "now" is (an aware datetime); tests replace it.
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    @cached_property
    def store(self) -> ScheduleStore:
        return ScheduleStore(self.runtime.home / "schedule.sqlite3")

    def now(self) -> datetime:
        return self.clock()

    def person(self, user: str) -> Person:
        return self.config.person(user)

    def zone(self, user: str) -> ZoneInfo:
        return zone(self.person(user).timezone or self.config.timezone)
