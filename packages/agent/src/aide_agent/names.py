"""Exposed tool names: `server__tool`, limited to what every provider accepts (`^[A-Za-z0-9_-]{1,64}$`).

MCP allows 128 characters and dots; OpenAI allows 64 and no dots. A name that does not fit is cleaned and cut, and a
stable hash of the original (server, tool) pair is appended, so the same tool gets the same name on every run and
two tools never share one. Calls are routed back through the table (`ToolTable.route`), never by splitting the
string: a server or tool whose own name contains `__` stays unambiguous.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

MAX_LENGTH = 64
_ALLOWED = re.compile(r"[^A-Za-z0-9_-]")
_HASH = 8


def _digest(server: str, tool: str, salt: int = 0) -> str:
    return hashlib.sha256(f"{server}\0{tool}\0{salt}".encode()).hexdigest()[:_HASH]


def exposed_name(server: str, tool: str, salt: int = 0) -> str:
    """The name a model sees for `tool` of `server` (salt > 0 only to resolve a collision)."""
    plain = f"{server}__{tool}"
    cleaned = _ALLOWED.sub("_", plain)
    if cleaned == plain and len(plain) <= MAX_LENGTH and salt == 0:
        return plain
    suffix = "_" + _digest(server, tool, salt)
    return cleaned[: MAX_LENGTH - len(suffix)] + suffix


@dataclass
class ToolTable:
    """Exposed name -> (server, tool), built as servers list their tools."""

    _routes: dict[str, tuple[str, str]] = field(default_factory=dict[str, tuple[str, str]])
    _names: dict[tuple[str, str], str] = field(default_factory=dict[tuple[str, str], str])

    def add(self, server: str, tool: str) -> str:
        """Register a tool and return its exposed name, unique in this table."""
        key = (server, tool)
        if key in self._names:
            return self._names[key]
        salt = 0
        name = exposed_name(server, tool)
        while name in self._routes:
            salt += 1
            name = exposed_name(server, tool, salt)
        self._routes[name] = key
        self._names[key] = name
        return name

    def remove_server(self, server: str) -> None:
        for name, (owner, tool) in list(self._routes.items()):
            if owner == server:
                del self._routes[name]
                del self._names[(owner, tool)]

    def route(self, name: str) -> tuple[str, str] | None:
        """(server, tool) for an exposed name, or None for a name the model made up."""
        return self._routes.get(name)

    def name_of(self, server: str, tool: str) -> str | None:
        return self._names.get((server, tool))

    def __len__(self) -> int:
        return len(self._routes)
