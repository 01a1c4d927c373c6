"""The runner inside `aide serve`: the agent's `aide.background` entry point `schedule`, which core's `aide serve`
runs beside the servers when `[schedule] run_in_serve = true` (core names no package: it runs what the entry point
returns)."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aide_core.settings import AideSettings

__all__ = ["background"]


def background(settings: AideSettings) -> Callable[[], Awaitable[None]] | None:
    """The runner's loop on `settings`, or None when `[schedule]` does not ask for it (or no schedule server is
    installed). Jobs use `AIDE_SCHEDULE_MODEL`, else `AIDE_AGENT_MODEL`, else aide's default model."""
    from aide_agent.providers import DEFAULT_MODEL
    from aide_agent.schedule.setup import from_settings
    from aide_core.registry import load_one

    if not settings.table("schedule").get("run_in_serve") or load_one("schedule").spec is None:
        return None
    model = os.environ.get("AIDE_SCHEDULE_MODEL") or os.environ.get("AIDE_AGENT_MODEL") or DEFAULT_MODEL
    return from_settings(settings, model).run
