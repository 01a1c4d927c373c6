"""Gmail's sign-in levels and the scopes each asks for, and the requirement every tool declares.

Levels are ordered: a tool that needs `organize` is offered to accounts signed in at `organize` or above. Google's
`gmail.modify` scope also permits sending, so the scopes alone cannot tell "organize" from "send": the level is
recorded with the account and only the tools it allows are offered, on top of what the granted scopes allow.

Registered in the `aide.google.apis` entry-point group, so `aide auth google` asks for these scopes too. Kept free
of heavy imports: the server reads it while listing its tools.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from aide_google.permissions import Permissions
from aide_google.scopes import SCOPE, GoogleApi

MAIL_FULL = "https://mail.google.com/"

GMAIL = GoogleApi(
    name="Gmail",
    api="gmail",
    version="v1",
    levels={
        "readonly": (SCOPE + "gmail.readonly",),
        "organize": (SCOPE + "gmail.modify", SCOPE + "gmail.labels"),
        "compose": (SCOPE + "gmail.modify", SCOPE + "gmail.labels", SCOPE + "gmail.compose"),
        "send": (SCOPE + "gmail.modify", SCOPE + "gmail.labels", SCOPE + "gmail.compose", SCOPE + "gmail.send"),
        "full": (MAIL_FULL, SCOPE + "gmail.settings.basic", SCOPE + "gmail.labels"),
    },
    prefixes=(MAIL_FULL, SCOPE + "gmail."),
    default_level="send",
)

#: What each tool needs: a level of `GMAIL` and the API methods it calls (`@requires(...)` under `@spec.tool()`).
PERMISSIONS = Permissions(GMAIL)


F = TypeVar("F", bound=Callable[..., object])


def requires(level: str, *methods: str) -> Callable[[F], F]:
    """Declare the level a Gmail tool needs and the `users.` methods it calls (`messages.send`)."""
    return PERMISSIONS.require(level, *(f"users.{method}" for method in methods))
