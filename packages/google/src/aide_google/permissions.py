"""What each tool of a Google server needs, declared on the tool: closed by default.

    permissions = Permissions(GMAIL)

    @spec.tool()
    @permissions.require("readonly", "users.messages.list", "users.messages.get")
    def search_emails(...): ...

A requirement is a level of the server's `GoogleApi` and the API methods the tool calls (method paths of the
discovery document). An account may use a tool when its level is at least the tool's and its granted scopes let
every method through. A tool that declares nothing is offered to no account and refused to every call, so a tool
added without a declaration shows up as missing (`undeclared`, which a server's test checks), never as allowed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from aide_core.errors import PermissionDenied
from aide_google.accounts import GoogleAccount, sign_in_command
from aide_google.scopes import GoogleApi

F = TypeVar("F", bound=Callable[..., object])


@dataclass(frozen=True)
class Requirement:
    """The level a tool needs and the API methods it calls."""

    level: str
    methods: tuple[str, ...]


class Permissions:
    """The requirements of one server's tools, and the checks made with them."""

    def __init__(self, api: GoogleApi) -> None:
        self.api = api
        self._needs: dict[str, Requirement] = {}

    def require(self, level: str, *methods: str) -> Callable[[F], F]:
        """Declare what the decorated tool needs (named by its function); the function is returned unchanged."""
        self._check_level(level)

        def register(fn: F) -> F:
            self.declare(getattr(fn, "__name__", ""), level, *methods)
            return fn

        return register

    def declare(self, tool: str, level: str, *methods: str) -> None:
        """Declare what the tool `tool` needs: `level` and the API `methods` it calls."""
        self._check_level(level)
        if tool in self._needs:
            raise ValueError(f"{self.api.name}: the tool {tool} declares its requirement twice")
        self._needs[tool] = Requirement(level, tuple(methods))

    def _check_level(self, level: str) -> None:
        if level not in self.api.levels:
            raise ValueError(f"{self.api.name}: {level!r} is not a level (one of {', '.join(self.api.levels)})")

    def requirement(self, tool: str) -> Requirement | None:
        return self._needs.get(tool)

    def undeclared(self, tools: Iterable[str]) -> list[str]:
        """The tools among `tools` that declare no requirement (and so are offered to nobody)."""
        return [tool for tool in tools if tool not in self._needs]

    def allows(self, account: GoogleAccount, tool: str) -> bool:
        """Whether `account` may use `tool`: its level is high enough and its scopes let the tool's calls through."""
        need = self._needs.get(tool)
        if need is None:
            return False
        return self.api.rank(self.api.level(account.level)) >= self.api.rank(need.level) and self.api.scopes_allow(
            account.scopes, need.methods
        )

    def check(self, account: GoogleAccount, tool: str) -> None:
        """Raise the model-facing `PermissionDenied` unless `account` may use `tool`; it names the command that
        signs the account in at the level the tool needs."""
        if self.allows(account, tool):
            return
        need = self._needs.get(tool)
        if need is None:
            raise PermissionDenied(
                f"{self.api.name}: the tool {tool} declares no permission requirement, so no account may use it.",
                hint="This is a defect of the server; use another tool.",
            )
        have = self.api.level(account.level)
        level = need.level if self.api.rank(need.level) >= self.api.rank(have) else have
        raise PermissionDenied(
            f"The account '{account.name}' is not signed in with the access {tool} needs.",
            hint=f"Ask the user to run: {sign_in_command(account.name, level, account.user)}",
        )
