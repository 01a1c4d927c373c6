"""The server's state: its settings, the signed-in accounts, one API client per account, and a small cache of
rendered bodies (so reading a long message page by page converts it once).

Accounts come from the credential store (`aide auth google`), plus the `authorized_user` table the sandbox puts in
the settings (`aide serve --sandbox`), named by the `account` setting ("default"). A tool call names an account by
name or address, or leaves it out when there is one account or a default (`aide_google.resolve`); the account must
be allowed the tool by the requirement the tool declares (`aide_gmail.scopes`).

Accounts are per person (`aide_google.resolve`): a caller over HTTP sees, lists and uses only the accounts they
signed in (`aide auth google --user NAME`); the settings' account is the configured user's.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

from pydantic import Field

from aide_core.policy import EmailAllowlist
from aide_core.server import Runtime
from aide_core.settings import ServerSettings
from aide_gmail.client import GmailClient
from aide_gmail.scopes import PERMISSIONS
from aide_google.accounts import GoogleAccount
from aide_google.listing import AccountListing
from aide_google.resolve import GoogleAccounts, settings_account


class GmailSettings(ServerSettings, EmailAllowlist):
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


def extra_account(config: GmailSettings) -> GoogleAccount | None:
    """The account the settings give (the sandbox's), named by the `account` setting."""
    return settings_account(config.account, config.authorized_user)


#: The caller's accounts, and the tools and arguments listed from them (`aide_google.listing`).
listing = AccountListing(lambda _tool: PERMISSIONS, extra_account)


def listed_accounts(runtime: Runtime[Any]) -> list[GoogleAccount]:
    """The caller's signed-in accounts' names, levels and scopes (read without opening the credential store)."""
    return listing.accounts(runtime)


class GmailState:
    def __init__(self, runtime: Runtime[GmailState]) -> None:
        config = runtime.config
        assert isinstance(config, GmailSettings)
        self.config = config
        self.home = runtime.home
        self.runtime = runtime
        from aide_core.retry import RetryPolicy

        backoff = config.retry_backoff_seconds
        self.policy = RetryPolicy(initial_backoff=backoff, max_backoff=max(backoff, backoff * 16))
        self.sleep = time.sleep
        self.google = GoogleAccounts(
            PERMISSIONS,
            runtime.settings,
            self._client,
            default=config.account,
            extra=extra_account(config),
            close=GmailClient.close,
        )
        self._lock = threading.Lock()
        self.bodies: OrderedDict[tuple[Any, ...], Any] = OrderedDict()

    # -- accounts ---------------------------------------------------------------------------------------------------
    def accounts(self) -> list[GoogleAccount]:
        """The caller's accounts."""
        return self.google.all()

    def resolve(self, name: str | None) -> GoogleAccount:
        return self.google.resolve(name)

    def client(self, account: str | None, tool: str) -> GmailClient:
        """The account's client, once it is checked that the account may use `tool` (its declared requirement)."""
        return self.google.client(account, tool)

    def close(self) -> None:
        self.google.close()

    def _client(self, account: GoogleAccount, credentials: Any) -> GmailClient:
        return GmailClient(account, credentials, root_url=self.config.base_url, policy=self.policy, sleep=self._sleep)

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
