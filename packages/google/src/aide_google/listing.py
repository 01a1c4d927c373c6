"""What a Google server lists to each caller, declared once for every Google server.

A Google server lists the tools some signed-in account of the caller's allows (scopes and level), and the `account`
argument only to someone with several accounts. Both follow the caller's account index, which a sign-in in another
terminal changes while the server runs: `AccountListing.declare(spec)` wires the checks, the change stamp and the
hidden argument into `ServerSpec.tool_visibility`.

The index is read once per caller and change of the index, not once per tool: a listing asks about every tool in
turn (fourteen for Calendar), and each read opens and parses the index file.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from aide_core.identity import current_user
from aide_core.server import Runtime, ServerSpec
from aide_google.accounts import INDEX, AccountStore, GoogleAccount
from aide_google.permissions import Permissions
from aide_google.resolve import hidden_account_argument, known_accounts, offered

__all__ = ["AccountListing", "accounts_stamp"]


def accounts_stamp(runtime: Runtime[Any]) -> Hashable:
    """What moves when an account signs in, out, or is granted other scopes: the account index, which every save
    and delete rewrites (a new file, so a new inode even within one mtime tick). Cheap enough to check before
    every request, so a running server lists the new account's tools at once."""
    try:
        stat = (runtime.settings.home / INDEX).stat()
    except OSError:
        try:
            return (runtime.settings.home / "secrets").is_dir()  # no index yet: whether a store was ever written
        except OSError:  # a home aide may not read: no account can be listed from it (calls say why)
            return False
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


class AccountListing:
    """The caller's accounts as tool listing needs them, and the visibility a Google server declares from them.

    `permissions_for(tool)` is the permission table that decides a tool (Calendar has one for events and one for
    tasks); `extra(config)` is the account the server's settings give (the sandbox's), or None."""

    MAX_KEPT = 256  # callers x index versions remembered, per built server

    def __init__(
        self,
        permissions_for: Callable[[str], Permissions],
        extra: Callable[[Any], GoogleAccount | None],
    ) -> None:
        self._permissions_for = permissions_for
        self._extra = extra
        self._lock = threading.Lock()
        # Per built server (its home and settings), dropped with it.
        self._kept: weakref.WeakKeyDictionary[Runtime[Any], OrderedDict[tuple[str, Hashable], list[GoogleAccount]]]
        self._kept = weakref.WeakKeyDictionary()

    def accounts(self, runtime: Runtime[Any]) -> list[GoogleAccount]:
        """The caller's signed-in accounts' names, levels and scopes, read without opening the credential store (at
        start-up, with no caller yet, the configured user's)."""
        user = current_user()
        key = (user, accounts_stamp(runtime))
        with self._lock:
            kept = self._kept.setdefault(runtime, OrderedDict())
            if key in kept:
                kept.move_to_end(key)
                return list(kept[key])
        found = known_accounts(AccountStore.lazy(runtime.settings, user), self._extra(runtime.config), listing=True)
        with self._lock:
            kept[key] = found
            while len(kept) > self.MAX_KEPT:
                kept.popitem(last=False)
        return list(found)

    def visible(self, runtime: Runtime[Any], tool: str) -> bool:
        """Before any sign-in every tool that declares a requirement is listed (calls answer with the sign-in
        command); after, only those some account's scopes and level allow."""
        return offered(self._permissions_for(tool), self.accounts(runtime), tool)

    def hidden_arguments(self, runtime: Runtime[Any]) -> frozenset[str]:
        return hidden_account_argument(self.accounts(runtime))

    def declare(self, spec: ServerSpec[Any]) -> None:
        spec.tool_visibility(self.visible, changes=accounts_stamp, hidden_arguments=self.hidden_arguments)
