"""Which servers exist: each server package names its `ServerSpec` under the `aide.servers` entry-point group.

A server that aide plans to ship but whose package does not declare one yet is "not available yet", which the
command line reports as a status, never as a crash. A third-party package can add a server the same way; its
settings are then passed in code (`spec.build(config=...)`), since the config file only has tables for aide's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Literal, cast

from aide_core.server import ServerSpec

#: The servers aide ships, in the order commands list them.
PLANNED: tuple[str, ...] = ("gmail", "calendar", "notion", "twilio", "memory", "activity")


@dataclass(frozen=True)
class ServerEntry:
    name: str
    status: Literal["available", "not available yet", "broken", "unknown"]
    spec: ServerSpec[Any] | None = None
    error: str | None = None


def _load(point: EntryPoint) -> ServerEntry:
    try:
        spec: object = point.load()
    except Exception as exc:  # a broken plug-in must not take the others down
        return ServerEntry(point.name, "broken", error=f"{type(exc).__name__}: {exc}")
    if not isinstance(spec, ServerSpec):
        return ServerEntry(point.name, "broken", error="entry point is not a ServerSpec")
    return ServerEntry(point.name, "available", cast(ServerSpec[Any], spec))


def discover() -> dict[str, ServerEntry]:
    """Every planned or installed server, by name (planned ones first, in order)."""
    found: dict[str, ServerEntry] = {name: ServerEntry(name, "not available yet") for name in PLANNED}
    for point in entry_points(group="aide.servers"):
        found[point.name] = _load(point)
    return found


def load_one(name: str) -> ServerEntry:
    """One server, without importing the others."""
    for point in entry_points(group="aide.servers", name=name):
        return _load(point)
    return ServerEntry(name, "not available yet" if name in PLANNED else "unknown")


def select(names: list[str] | None) -> tuple[list[ServerEntry], list[ServerEntry]]:
    """The requested (default: all) servers split into (available, unavailable); unknown names are unavailable."""
    known = discover()
    wanted = names or list(known)
    chosen = [known.get(name, ServerEntry(name, "not available yet", error="no such server")) for name in wanted]
    return [e for e in chosen if e.status == "available"], [e for e in chosen if e.status != "available"]
