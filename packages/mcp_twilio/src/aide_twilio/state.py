"""The server's state: its settings, each person's Twilio client, the inbox, the clock, and who a text is for.

Accounts are per person (`aide_core.accounts`, service `twilio`): a caller uses the account they signed in
(`aide auth twilio [--user NAME]`), never another person's. Webhooks are checked with the auth token of the
configured user's account (the deployment's), since that is what Twilio signs them with. Routing is by the
`[twilio.users]` table: a text is for the person whose `senders` include its sender (and whose `numbers`, when
given, include the number it was sent to); with no table, every text is the configured user's.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from aide_core.accounts import Account, AccountStore, user_option
from aide_core.errors import InvalidInput, NotConfigured
from aide_core.identity import DEFAULT_IDENTITY, current_user
from aide_core.phones import e164
from aide_core.server import Runtime
from aide_twilio.settings import TwilioSettings

if TYPE_CHECKING:
    from aide_twilio.client import Credentials, TwilioClient
    from aide_twilio.inbox import Inbox

__all__ = ["TwilioState", "credentials_of", "stored_accounts"]

LISTED = ("type", "account_sid")
logger = logging.getLogger("aide.twilio")


def stored_accounts(runtime: Runtime[Any], user: str) -> AccountStore[Account]:
    return AccountStore.lazy(runtime.settings, user, service="twilio", listed=LISTED)


def credentials_of(account: Account) -> Credentials:
    from aide_twilio.client import Credentials

    data = account.data
    return Credentials(
        account_sid=str(data.get("account_sid") or ""),
        auth_token=data.get("auth_token"),
        api_key=data.get("api_key"),
        api_secret=data.get("api_secret"),
    )


class TwilioState:
    def __init__(self, runtime: Runtime[TwilioState]) -> None:
        config = runtime.config
        assert isinstance(config, TwilioSettings)
        self.config = config
        self.runtime = runtime
        #: Injectable for tests: the clock quiet hours are read on, and the sleep between retries.
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.sleep: Callable[[float], None] = time.sleep
        self._clients: dict[tuple[str, str], TwilioClient] = {}
        self._lock = threading.Lock()

    @cached_property
    def inbox(self) -> Inbox:
        from aide_twilio.inbox import Inbox

        return Inbox(self.runtime.home / "twilio" / "inbox.sqlite3")

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()

    # -- accounts -----------------------------------------------------------------------------------------------
    def account(self, user: str) -> Account | None:
        return stored_accounts(self.runtime, user).get(self.config.account)

    def client(self) -> TwilioClient:
        """The caller's client; `NotConfigured` with the sign-in command when they have no account."""
        user = current_user()
        key = (user, self.config.account)
        with self._lock:
            if key in self._clients:
                return self._clients[key]
        account = self.account(user)
        if account is None:
            option = user_option(user)
            command = "aide auth twilio" + (f" {option}" if option else "")
            raise NotConfigured("Twilio", command, reason=f"has no account {self.config.account!r} signed in")
        from aide_core.retry import RetryPolicy  # with tenacity: loaded at the first call, not at start-up
        from aide_twilio.client import TwilioClient

        backoff = self.config.retry_backoff_seconds
        policy = RetryPolicy(initial_backoff=backoff, max_backoff=max(backoff, backoff * 16))
        client = TwilioClient(credentials_of(account), base_url=self.config.base_url, policy=policy, sleep=self._sleep)
        with self._lock:
            return self._clients.setdefault(key, client)

    def _sleep(self, seconds: float) -> None:
        self.sleep(seconds)

    def webhook_token(self) -> str | None:
        """The auth token webhooks are signed with: the deployment's account's (the configured user's)."""
        account = self.account(DEFAULT_IDENTITY)
        token = account.data.get("auth_token") if account else None
        return token if isinstance(token, str) and token else None

    # -- numbers ------------------------------------------------------------------------------------------------
    def our_numbers(self) -> list[str]:
        found = [self.config.from_number, *self.config.numbers]
        return list(dict.fromkeys(e164(number) for number in found if number))

    def route(self, sender: str, to: str) -> str | None:
        """Whom a text from `sender` to our number `to` is for; None when nobody is configured for it."""
        if not self.config.users:
            return DEFAULT_IDENTITY
        for user, route in self.config.users.items():
            if sender in _normal(route.senders) and (not route.numbers or to in _normal(route.numbers)):
                return user
        return None

    def others_senders(self, user: str) -> set[str]:
        """The numbers routed to people other than `user`: their conversations are hidden from `user`."""
        return {
            number for other, route in self.config.users.items() if other != user for number in _normal(route.senders)
        }


def _normal(numbers: list[str]) -> set[str]:
    """Configured numbers in E.164 form; one that is not a phone number is left out (and logged), so a typo in the
    routing table misroutes nothing and breaks no webhook."""
    found: set[str] = set()
    for number in numbers:
        try:
            found.add(e164(number))
        except InvalidInput:
            logger.warning("twilio: %r in [twilio.users] is not a phone number in international form; ignored", number)
    return found
