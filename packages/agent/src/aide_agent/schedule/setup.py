"""A runner from aide's configuration: the schedule server with its runner tools, the servers jobs use, and the
people to act for."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from aide_agent.providers import Model
from aide_agent.schedule.runner import Runner
from aide_agent.servers import ServerConfig, aide_server
from aide_core.identity import DEFAULT_IDENTITY

if TYPE_CHECKING:
    from aide_core.settings import AideSettings

__all__ = ["from_settings", "people"]


def people(settings: AideSettings) -> list[str]:
    """Whom the runner acts for: the configured user, each `[http.users]` person, each person of `[schedule.people]`
    and of any job's `users`. (A reminder is set by a person the deployment knows, so it is among these.)"""
    table = settings.table("schedule")
    found = [DEFAULT_IDENTITY, *settings.http.users, *cast(dict[str, Any], table.get("people") or {})]
    for job in cast(list[dict[str, Any]], table.get("jobs") or []):
        found += [str(user) for user in job.get("users") or []]
    return list(dict.fromkeys(found))


def from_settings(settings: AideSettings, model: str | Model | Callable[[], str | Model], **options: Any) -> Runner:
    """A `Runner` on `settings`: aide's own servers built in-process, each job's (default: every enabled one
    but the schedule server, whose runner tools are the runner's own)."""
    from aide_core.registry import select

    schedule_table = settings.table("schedule") | {"runner": True}
    schedule = aide_server("schedule", settings=settings.with_tables(schedule=schedule_table))

    def servers(names: Sequence[str] | None) -> list[ServerConfig]:
        wanted = list(names) if names is not None else [
            entry.name for entry in select(None)[0] if entry.name != "schedule" and settings.server(entry.name).enabled
        ]  # fmt: skip
        return [aide_server(name, settings=settings) for name in wanted]

    options.setdefault("users", people(settings))
    options.setdefault("usage", settings.home / "usage.sqlite3")  # the ledger `aide usage` reads
    return Runner(schedule, servers, model, **options)
