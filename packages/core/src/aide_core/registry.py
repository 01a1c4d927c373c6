"""Which servers are installed: each server package names its `ServerSpec` under the `aide.servers` entry-point group.

Core names no server but its own (`activity`). A package that holds a server's name before the server lands (aide's
Calendar, Notion and Twilio packages) points its entry point at `NOT_AVAILABLE_YET`, and the command line reports
it as "not available yet": a status, never a crash. A third-party package adds a server the same way, and its
`[name]` table in the config file is then validated by its own settings model (`aide_core.settings`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Literal, cast

from aide_core.server import ServerSpec
from aide_core.settings import ServerSettings

GROUP = "aide.servers"


class Placeholder:
    """What the entry point of a server that has not landed yet names."""

    def __repr__(self) -> str:
        return "NOT_AVAILABLE_YET"


NOT_AVAILABLE_YET = Placeholder()


@dataclass(frozen=True)
class ServerEntry:
    name: str
    status: Literal["available", "not available yet", "broken", "unknown"]
    spec: ServerSpec[Any] | None = None
    error: str | None = None


def server_points() -> list[EntryPoint]:
    """The installed servers' entry points, in the order commands list them: by name, core's own last (the
    activity server reports on the others). The one lookup of the entry-point group (tests replace it)."""
    return list(_scan())


@functools.cache
def _scan() -> tuple[EntryPoint, ...]:
    """Read once per process: `entry_points()` opens every installed distribution's metadata (about 8 ms with this
    workspace's 270), and a server's start asks twice (its own entry point, then the settings' owners)."""
    points = {point.name: point for point in entry_points(group=GROUP)}
    return tuple(sorted(points.values(), key=lambda point: (_from_core(point), point.name)))


def _from_core(point: EntryPoint) -> bool:
    dist = point.dist
    return dist is not None and dist.name.replace("_", "-").lower() == "aide-core"


def installed() -> list[str]:
    """The names of the installed servers (placeholders included), without importing any of them."""
    return [point.name for point in server_points()]


def _load(point: EntryPoint) -> ServerEntry:
    try:
        spec: object = point.load()
    except Exception as exc:  # a broken plug-in must not take the others down
        return ServerEntry(point.name, "broken", error=f"{type(exc).__name__}: {exc}")
    if isinstance(spec, Placeholder):
        return ServerEntry(point.name, "not available yet")
    if not isinstance(spec, ServerSpec):
        return ServerEntry(point.name, "broken", error="entry point is not a ServerSpec")
    return ServerEntry(point.name, "available", cast(ServerSpec[Any], spec))


def discover() -> dict[str, ServerEntry]:
    """Every installed server, by name, in `server_points` order."""
    return {point.name: _load(point) for point in server_points()}


def load_one(name: str) -> ServerEntry:
    """One server, without importing the others."""
    for point in server_points():
        if point.name == name:
            return _load(point)
    return ServerEntry(name, "unknown", error="no such server")


def settings_model(name: str) -> type[ServerSettings] | None:
    """The model that validates the `[name]` table: the server's own; for a server not available yet, the keys every
    server shares; None when no server of that name loads (unknown, or broken: reported where it is listed)."""
    entry = load_one(name)
    if entry.spec is not None:
        return entry.spec.settings_model
    return ServerSettings if entry.status == "not available yet" else None


def select(names: list[str] | None) -> tuple[list[ServerEntry], list[ServerEntry]]:
    """The requested (default: all) servers split into (available, unavailable); unknown names are unavailable."""
    known = discover()
    wanted = names or list(known)
    chosen = [known.get(name, ServerEntry(name, "unknown", error="no such server")) for name in wanted]
    return [e for e in chosen if e.status == "available"], [e for e in chosen if e.status != "available"]
