"""Sign-in levels and scopes, declared by each Google server for its own API.

A server describes its API with a `GoogleApi`: its discovery name and version, and its levels, lowest first, each
with the scopes it asks for (Gmail: readonly ... full). A level is what the user agrees to at sign-in (`aide auth
google --scopes LEVEL`); one sign-in serves every installed Google server, so it asks for each registered API's scopes
at that level (`sign_in_scopes`). Servers register their `GoogleApi` in the `aide.google.apis` entry-point group; only
the command line reads the group, never a server at start-up.

Scopes alone cannot always tell levels apart (Google's `gmail.modify` also permits sending), so the level is recorded
with the account and a server offers only the tools the level allows, on top of what the granted scopes allow (taken
from the discovery document's per-method scope lists, so a tool is never offered when its API calls would answer
403). See `aide_google.permissions`.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, cast

logger = logging.getLogger("aide.google")

#: The prefix of most Google scopes.
SCOPE = "https://www.googleapis.com/auth/"
#: The entry-point group where Google servers register their `GoogleApi`.
APIS_GROUP = "aide.google.apis"


@dataclass(frozen=True)
class GoogleApi:
    """One Google API as a server uses it: `name` for messages ("Gmail"), the discovery `api` and `version`
    ("gmail", "v1"), `levels` (lowest first: level -> the scopes it asks for) and `prefixes`, which of an account's
    scopes are this API's (a service account's tokens are asked for one API's scopes at a time, so a delegation that
    covers Gmail but not Calendar still serves Gmail)."""

    name: str
    api: str
    version: str
    levels: Mapping[str, tuple[str, ...]]
    prefixes: tuple[str, ...]
    #: The level `aide auth google` signs in at when none is given (the first registered API that names one wins).
    default_level: str | None = None

    def __post_init__(self) -> None:
        if not self.levels:
            raise ValueError(f"{self.name}: a GoogleApi needs at least one level")
        if self.default_level is not None and self.default_level not in self.levels:
            raise ValueError(f"{self.name}: the default level {self.default_level!r} is not one of its levels")

    @property
    def level_names(self) -> tuple[str, ...]:
        return tuple(self.levels)

    def level(self, value: object) -> str:
        """`value` as one of this API's levels: an unknown or missing level is the highest (accounts stored before
        levels existed had every scope)."""
        return value if isinstance(value, str) and value in self.levels else self.level_names[-1]

    def rank(self, level: str) -> int:
        return self.level_names.index(self.level(level))

    def method_id(self, method: str) -> str:
        """A discovery method id from a method path (`users.messages.send` -> `gmail.users.messages.send`)."""
        return f"{self.api}.{method}"

    def scopes_allow(self, granted: Iterable[str], methods: Iterable[str]) -> bool:
        """Whether `granted` scopes let every one of `methods` (method paths, see `method_id`) through."""
        return scopes_allow(granted, self.api, self.version, [self.method_id(m) for m in methods])


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
    from aide_google.service import discovery_document  # a layout this does not know: ask the library

    return discovery_document(api, version)


def scopes_allow(granted: Iterable[str], api: str, version: str, methods: Iterable[str]) -> bool:
    """Whether `granted` scopes let every one of `methods` (discovery ids) through."""
    have = set(granted)
    table = method_scopes(api, version)
    return all(not table.get(method) or bool(table[method] & have) for method in methods)


def registered_apis() -> list[GoogleApi]:
    """The `GoogleApi`s the installed servers register, by entry-point name (a broken one is skipped and logged)."""
    found: list[GoogleApi] = []
    for point in sorted(entry_points(group=APIS_GROUP), key=lambda p: p.name):
        try:
            api: object = point.load()
        except Exception:
            logger.warning("aide.google: the API '%s' could not be loaded", point.name, exc_info=True)
            continue
        if isinstance(api, GoogleApi):
            found.append(api)
        else:
            logger.warning("aide.google: the entry point '%s' is not a GoogleApi", point.name)
    return found


def sign_in_levels(apis: Iterable[GoogleApi]) -> list[str]:
    """Every level some API knows, in the order the APIs list them."""
    levels: list[str] = []
    for api in apis:
        levels.extend(level for level in api.level_names if level not in levels)
    return levels


def default_level(apis: Iterable[GoogleApi]) -> str | None:
    """The level a sign-in that names none asks for: the first API's `default_level`, else its highest level."""
    listed = list(apis)
    named = next((api.default_level for api in listed if api.default_level), None)
    return named or (listed[0].level_names[-1] if listed else None)


def sign_in_scopes(level: str, apis: Iterable[GoogleApi] | None = None) -> tuple[str, ...]:
    """The scopes one sign-in at `level` asks for: each API's at that level (default: the registered APIs)."""
    scopes: list[str] = []
    for api in registered_apis() if apis is None else apis:
        scopes.extend(scope for scope in api.levels.get(level, ()) if scope not in scopes)
    return tuple(scopes)
