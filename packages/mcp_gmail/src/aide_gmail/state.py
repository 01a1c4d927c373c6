"""The server's state: its settings, the signed-in accounts, one API client per account, and a small cache of
rendered bodies (so reading a long message page by page converts it once).

Accounts come from the credential store (`aide auth google`), plus the `authorized_user` table the sandbox puts in
the settings (`aide serve --sandbox`), named by the `account` setting ("default"). A tool call names an account by
name or address, or leaves it out when there is one account or a default.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

from pydantic import Field

from aide_core.errors import InvalidInput, NotConfigured, PermissionDenied
from aide_core.google.accounts import (
    AccountStore,
    GoogleAccount,
    api_scopes,
    authorized_user_credentials,
    sign_in_command,
    stored_credentials,
)
from aide_core.google.scopes import API_SCOPES, LEVELS, Level, tool_allowed
from aide_core.server import Runtime
from aide_core.settings import ServerSettings
from aide_gmail.client import GmailClient

SERVICE = "Gmail"
#: Gmail's scopes: what a service account's tokens are asked for (not the account's Calendar scopes, which its
#: delegation may not cover).
GMAIL_SCOPES = API_SCOPES[SERVICE]


class GmailSettings(ServerSettings):
    account: str = Field(default="default", description="The account used when a call names none.")
    authorized_user: dict[str, Any] | None = Field(
        default=None, description="Credentials given in settings (the sandbox), as Google's authorized-user keys."
    )
    attachments_dir: str | None = Field(
        default=None, description="Local files that may be attached (default: <home>/gmail/attachments)."
    )
    downloads_dir: str | None = Field(
        default=None, description="Where get_attachment saves files (default: <home>/gmail/downloads)."
    )
    retry_backoff_seconds: float = Field(default=0.5, ge=0, description="First wait before retrying a failed call.")


#: What each tool needs: the sign-in level and the Gmail API methods it calls (discovery ids, without the
#: `gmail.users.` prefix).
NEEDS: dict[str, tuple[Level, tuple[str, ...]]] = {
    "search_emails": ("readonly", ("messages.list", "messages.get")),
    "read_email": ("readonly", ("messages.get",)),
    "read_thread": ("readonly", ("threads.get",)),
    "draft_email": ("compose", ("drafts.create",)),
    "send_email": ("send", ("messages.send",)),
    "send_draft": ("send", ("drafts.send",)),
    "reply": ("send", ("messages.get", "messages.send")),
    "label_emails": ("organize", ("messages.batchModify", "labels.list")),
    "trash_emails": ("organize", ("messages.trash",)),
    "list_drafts": ("readonly", ("drafts.list", "drafts.get")),
    "update_draft": ("compose", ("drafts.update",)),
    "delete_draft": ("compose", ("drafts.delete",)),
    "list_labels": ("readonly", ("labels.list",)),
    "manage_label": ("organize", ("labels.create", "labels.patch", "labels.delete")),
    "get_attachment": ("readonly", ("messages.attachments.get",)),
    "untrash_emails": ("organize", ("messages.untrash",)),
    "history_since": ("readonly", ("history.list",)),
    "list_filters": ("readonly", ("settings.filters.list", "labels.list")),
    "manage_filter": (
        "full",
        ("settings.filters.create", "settings.filters.delete", "settings.filters.list", "labels.list"),
    ),
}


def _methods(tool: str) -> tuple[Level, list[str]]:
    level, methods = NEEDS.get(tool, ("readonly", ()))
    return level, [f"gmail.users.{m}" for m in methods]


def settings_account(config: GmailSettings) -> GoogleAccount | None:
    if not config.authorized_user:
        return None
    data = dict(config.authorized_user)
    data.setdefault("type", "authorized_user")
    data.setdefault("email", data.get("account"))
    return GoogleAccount(config.account, data)


def known_accounts(
    runtime: Runtime[Any], store: AccountStore | None = None, *, listing: bool = False
) -> list[GoogleAccount]:
    """The signed-in accounts; with `listing`, only their names, levels and scopes, read without opening the
    credential store (what tool listing and the configure check need, at start-up)."""
    config = runtime.config
    assert isinstance(config, GmailSettings)
    store = store or AccountStore.lazy(runtime.settings)
    found = store.listed() if listing else store.all()
    extra = settings_account(config)
    if extra is not None and all(a.name != extra.name for a in found):
        found.append(extra)
    return sorted(found, key=lambda account: account.name)


def allows(account: GoogleAccount, tool: str) -> bool:
    level, methods = _methods(tool)
    return tool_allowed(account.scopes, account.level, level, "gmail", "v1", methods)


def visible(runtime: Runtime[Any], tool: str) -> bool:
    """Before any sign-in every tool is listed (calls answer with the sign-in command); after, only the tools some
    account's scopes and level allow."""
    accounts = known_accounts(runtime, listing=True)
    return not accounts or any(allows(account, tool) for account in accounts)


class GmailState:
    def __init__(self, runtime: Runtime[GmailState]) -> None:
        config = runtime.config
        assert isinstance(config, GmailSettings)
        self.config = config
        self.home = runtime.home
        self.store = AccountStore.lazy(runtime.settings)
        self.runtime = runtime
        from aide_core.retry import RetryPolicy

        backoff = config.retry_backoff_seconds
        self.policy = RetryPolicy(initial_backoff=backoff, max_backoff=max(backoff, backoff * 16))
        self.sleep = time.sleep
        self._clients: dict[str, GmailClient] = {}
        self._lock = threading.Lock()
        self.bodies: OrderedDict[tuple[Any, ...], Any] = OrderedDict()

    # -- accounts ---------------------------------------------------------------------------------------------------
    def accounts(self) -> list[GoogleAccount]:
        return known_accounts(self.runtime, self.store)

    def resolve(self, name: str | None) -> GoogleAccount:
        accounts = self.accounts()
        if not accounts:
            raise NotConfigured(SERVICE, sign_in_command(), reason="has no signed-in account")
        if name is None:
            chosen = next((a for a in accounts if a.name == self.config.account), None)
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
            hint="Signed in: " + ", ".join(a.name for a in accounts) + f". To add one: {sign_in_command(name)}",
        )

    def client(self, account: str | None, tool: str) -> GmailClient:
        chosen = self.resolve(account)
        if not allows(chosen, tool):
            needed = NEEDS.get(tool, ("readonly", ()))[0]
            level = needed if LEVELS.index(needed) >= LEVELS.index(chosen.level) else chosen.level
            raise PermissionDenied(
                f"The account '{chosen.name}' is not signed in with the access {tool} needs.",
                hint=f"Ask the user to run: {sign_in_command(chosen.name, level)}",
            )
        with self._lock:
            client = self._clients.get(chosen.name)
            if client is None:
                if chosen.name in self.store.names():
                    credentials = stored_credentials(self.store, chosen, api_scopes(chosen, GMAIL_SCOPES))
                else:
                    credentials = authorized_user_credentials(chosen.data)
                client = GmailClient(
                    chosen, credentials, root_url=self.config.base_url, policy=self.policy, sleep=self._sleep
                )
                self._clients[chosen.name] = client
            return client

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()

    def _sleep(self, seconds: float) -> None:
        self.sleep(seconds)

    # -- folders ----------------------------------------------------------------------------------------------------
    def attachments_dir(self) -> Path:
        return Path(self.config.attachments_dir) if self.config.attachments_dir else self.home / "gmail" / "attachments"

    def downloads_dir(self) -> Path:
        return Path(self.config.downloads_dir) if self.config.downloads_dir else self.home / "gmail" / "downloads"

    # -- cache ------------------------------------------------------------------------------------------------------
    def cached(self, key: tuple[Any, ...], make: Any) -> Any:
        with self._lock:
            if key in self.bodies:
                self.bodies.move_to_end(key)
                return self.bodies[key]
        value = make()
        with self._lock:
            self.bodies[key] = value
            while len(self.bodies) > 16:
                self.bodies.popitem(last=False)
        return value
