"""Sign-in levels and scopes.

A level is what the user agrees to at sign-in (`aide auth google --scopes LEVEL`); it names the Google scopes asked
for, for Gmail and Calendar together, so one sign-in serves both servers. Levels are ordered: a tool that needs
`organize` is offered to accounts signed in at `organize` or above.

Google's `gmail.modify` scope also permits sending, so the scopes alone cannot tell "organize" from "send": the
level is recorded with the account and aide offers only the tools the level allows (see `tool_allowed`), on top of
what the granted scopes allow (taken from the discovery document's per-method scope lists, so a tool is never
offered when its API calls would answer 403).
"""

from __future__ import annotations

import functools
import importlib.util
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal, cast, get_args

Level = Literal["readonly", "organize", "compose", "send", "full"]
LEVELS: tuple[Level, ...] = get_args(Level)

_G = "https://www.googleapis.com/auth/"
MAIL_FULL = "https://mail.google.com/"

SCOPES: dict[Level, tuple[str, ...]] = {
    "readonly": (_G + "gmail.readonly", _G + "calendar.readonly"),
    "organize": (_G + "gmail.modify", _G + "gmail.labels", _G + "calendar.events"),
    "compose": (_G + "gmail.modify", _G + "gmail.labels", _G + "gmail.compose", _G + "calendar.events"),
    "send": (_G + "gmail.modify", _G + "gmail.labels", _G + "gmail.compose", _G + "gmail.send", _G + "calendar.events"),
    "full": (MAIL_FULL, _G + "gmail.settings.basic", _G + "gmail.labels", _G + "calendar"),
}

#: Each API's scopes, as prefixes: a service account's tokens are asked for one API's at a time, so a delegation that
#: covers Gmail but not Calendar still serves Gmail.
API_SCOPES: dict[str, tuple[str, ...]] = {
    "Gmail": (MAIL_FULL, _G + "gmail."),
    "Calendar": (_G + "calendar",),
}


def level_rank(level: Level) -> int:
    return LEVELS.index(level)


@functools.cache
def method_scopes(api: str, version: str) -> dict[str, frozenset[str]]:
    """Discovery method id (`gmail.users.messages.send`) -> the scopes any one of which lets a call through.

    Servers ask this while listing their tools at start-up, so the document google-api-python-client bundles is read
    as a file (~1 ms) rather than through `googleapiclient`, whose import is not needed until a call."""
    found: dict[str, frozenset[str]] = {}

    def walk(node: dict[str, Any]) -> None:
        resources = cast(dict[str, dict[str, Any]], node.get("resources") or {})
        for resource in resources.values():
            methods = cast(dict[str, dict[str, Any]], resource.get("methods") or {})
            for method in methods.values():
                found[str(method["id"])] = frozenset(cast(list[str], method.get("scopes") or []))
            walk(resource)

    walk(json.loads(_bundled_document(api, version)))
    return found


def _bundled_document(api: str, version: str) -> str:
    spec = importlib.util.find_spec("googleapiclient")  # finds the package without importing it
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "discovery_cache" / "documents" / f"{api}.{version}.json"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    from aide_core.google.service import discovery_document  # a layout this does not know: ask the library

    return discovery_document(api, version)


def scopes_allow(granted: Iterable[str], api: str, version: str, methods: Iterable[str]) -> bool:
    """Whether `granted` scopes let every one of `methods` (discovery ids) through."""
    have = set(granted)
    table = method_scopes(api, version)
    return all(not table.get(method) or bool(table[method] & have) for method in methods)


def tool_allowed(
    granted: Iterable[str], level: Level, needs: Level, api: str, version: str, methods: Iterable[str]
) -> bool:
    """A tool that needs level `needs` and calls `methods`, for an account at `level` with `granted` scopes."""
    return level_rank(level) >= level_rank(needs) and scopes_allow(granted, api, version, methods)
