"""Which account a call uses, and one client per account: what every Google server's state needs.

Accounts come from the credential store (`aide auth google`), plus one a server may take from its settings (the
sandbox's `authorized_user` table, `settings_account`). A tool call names an account by name or address, or leaves it
out when there is one account or a default. Before a client is handed out, the server's `Permissions` check that
the account may use the tool.

Everything is per person: a call resolves among its caller's accounts only (`aide_core.identity.current_user`: the
token's subject over HTTP, the configured user over stdio), clients are kept per user and account, and the account
from the server's settings belongs to the configured user (whoever configured the server), never to another caller.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from aide_core.errors import InvalidInput, NotConfigured
from aide_core.identity import current_user
from aide_google.accounts import (
    AccountStore,
    GoogleAccount,
    api_scopes,
    authorized_user_credentials,
    sign_in_command,
    stored_credentials,
)
from aide_google.permissions import Permissions

if TYPE_CHECKING:
    from aide_core.settings import AideSettings

C = TypeVar("C")


def settings_account(name: str, authorized_user: Mapping[str, Any] | None) -> GoogleAccount | None:
    """The account a server's settings give (Google's authorized-user keys), named `name`; None without one."""
    if not authorized_user:
        return None
    data = dict(authorized_user)
    data.setdefault("type", "authorized_user")
    data.setdefault("email", data.get("account"))
    return GoogleAccount(name, data)


def known_accounts(
    store: AccountStore, extra: GoogleAccount | None = None, *, listing: bool = False
) -> list[GoogleAccount]:
    """The store's user's signed-in accounts, and `extra` (when it is that user's) unless one of the same name is
    stored; with `listing`, only their names, levels and scopes, read without opening the credential store (what
    tool listing needs at start-up)."""
    found = store.listed() if listing else store.all()
    if extra is not None and extra.user == store.user and all(a.name != extra.name for a in found):
        found.append(extra)
    return sorted(found, key=lambda account: account.name)


def offered(permissions: Permissions, accounts: list[GoogleAccount], tool: str) -> bool:
    """Whether to list `tool`: before any sign-in every tool that declares a requirement (calls answer with the
    sign-in command); after, only those some account's scopes and level allow. Never a tool that declares none."""
    if not accounts:
        return permissions.requirement(tool) is not None
    return any(permissions.allows(account, tool) for account in accounts)


def hidden_account_argument(accounts: list[GoogleAccount]) -> frozenset[str]:
    """The `account` argument, left out of a caller's tool schemas while they have at most one account: it could
    only name that one (`ServerSpec.tool_visibility(hidden_arguments=)`). A second sign-in lists it again."""
    return frozenset() if len(accounts) > 1 else frozenset({"account"})


class GoogleAccounts(Generic[C]):
    """The accounts one Google server may use for each person and a client of its API for each, made by
    `make(account, credentials)` on first use and kept (per user and account) until `close`.

    `default` names the account a call that names none gets (when it exists); `extra` is an account from the
    server's settings, the configured user's. `user()` says whom a call acts for (default: `current_user`). The
    credential store is opened only when a client is first made."""

    def __init__(
        self,
        permissions: Permissions,
        settings: AideSettings,
        make: Callable[[GoogleAccount, Any], C],
        *,
        default: str = "default",
        extra: GoogleAccount | None = None,
        close: Callable[[C], None] | None = None,
        user: Callable[[], str] = current_user,
    ) -> None:
        self.permissions = permissions
        self.api = permissions.api
        self.settings = settings
        self.default = default
        self.extra = extra
        self.user = user
        self._make = make
        self._close = close
        self._stores: dict[str, AccountStore] = {}
        self._clients: dict[tuple[str, str], C] = {}
        self._lock = threading.Lock()

    def store(self, user: str | None = None) -> AccountStore:
        """The accounts of `user` (default: the caller)."""
        user = self.user() if user is None else user
        with self._lock:
            found = self._stores.get(user)
            if found is None:
                found = self._stores[user] = AccountStore.lazy(self.settings, user)
            return found

    def all(self, *, listing: bool = False, user: str | None = None) -> list[GoogleAccount]:
        """The accounts of `user` (default: the caller), with the settings' account for the configured user."""
        return known_accounts(self.store(user), self.extra, listing=listing)

    def visible(self, tool: str) -> bool:
        """Whether to list `tool` (see `offered`)."""
        return offered(self.permissions, self.all(listing=True), tool)

    def resolve(self, name: str | None) -> GoogleAccount:
        """The account a call names (by name or address), or the default one; the errors say what to do. (An empty
        `account` from a host that sends every optional argument never reaches here: core reads it as not given.)"""
        user = self.user()
        accounts = self.all(user=user)
        if not accounts:
            raise NotConfigured(self.api.name, sign_in_command(user=user), reason="has no signed-in account")
        if name is None:
            chosen = next((a for a in accounts if a.name == self.default), None)
            if chosen is None and len(accounts) == 1:
                chosen = accounts[0]
            if chosen is None:
                raise InvalidInput(
                    "Several accounts are signed in; say which one with `account`.",
                    hint="One of: " + ", ".join(a.name for a in accounts) + ".",
                )
            return chosen
        wanted = name.strip().lower()
        for account in accounts:
            if account.name == wanted or (account.email or "").lower() == wanted:
                return account
        raise InvalidInput(
            f"No account named {name!r}.",
            hint="Signed in: "
            + ", ".join(a.name for a in accounts)
            + f". To add one: {sign_in_command(name, user=user)}",
        )

    def credentials(self, account: GoogleAccount) -> Any:
        """google-auth credentials for `account`: a stored one's (a service account asks for this API's scopes
        only), or those its data holds."""
        store = self.store(account.user)
        if account.name in store.names():
            return stored_credentials(store, account, api_scopes(account, self.api.prefixes), service=self.api.name)
        return authorized_user_credentials(account.data)

    def client(self, name: str | None, tool: str) -> C:
        """The client of the account `name` resolves to, once it is checked that the account may use `tool`."""
        chosen = self.resolve(name)
        self.permissions.check(chosen, tool)
        key = (chosen.user, chosen.name)
        with self._lock:
            client = self._clients.get(key)
        if client is not None:
            return client
        made = self._make(chosen, self.credentials(chosen))
        with self._lock:
            client = self._clients.setdefault(key, made)
        if client is not made and self._close is not None:
            self._close(made)
        return client

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        if self._close is not None:
            for client in clients:
                self._close(client)
