"""The server's state: its settings, one API client per person and account (each with its own pacer, since
Notion's rate limit is per integration, and for an OAuth account a way to refresh its access token), and a small
cache of pages rendered as Markdown, so a page read window by window is fetched and converted once per read."""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from pydantic import Field

from aide_core.identity import current_user
from aide_core.server import Runtime
from aide_core.settings import ServerSettings
from aide_notion.accounts import resolve
from aide_notion.client import NotionClient
from aide_notion.pacing import Pacer

logger = logging.getLogger("aide.notion")


class NotionSettings(ServerSettings):
    account: str = Field(default="default", description="The account used when a call names none.")
    requests_per_second: float = Field(default=3.0, gt=0, le=100, description="Client-side pacing of requests.")
    retry_backoff_seconds: float = Field(default=0.5, ge=0, description="First wait before retrying a failed call.")


class NotionState:
    def __init__(self, runtime: Runtime[NotionState]) -> None:
        config = runtime.config
        assert isinstance(config, NotionSettings)
        from aide_core.retry import RetryPolicy

        self.config = config
        self.runtime = runtime
        backoff = config.retry_backoff_seconds
        self.policy = RetryPolicy(initial_backoff=backoff, max_backoff=max(backoff, backoff * 16))
        #: Injectable for tests: how the pacer reads time and how pacing and retries wait.
        self.clock: Callable[[], float] = time.monotonic
        self.sleep: Callable[[float], None] = time.sleep
        #: Keyed by (person, account), as Twilio's are: a refreshed OAuth token replaces the token inside that
        #: client (and its pacer goes on counting), and two people never share a client, even with one token.
        self._clients: dict[tuple[str, str], NotionClient] = {}
        self._lock = threading.Lock()
        self.pages: OrderedDict[tuple[Any, ...], Any] = OrderedDict()

    def client(self, account: str | None) -> NotionClient:
        user = current_user()
        found = resolve(self.runtime.settings, account, self.config.account)
        key = (user, found.name)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                pacer = Pacer(self.config.requests_per_second, clock=self._now, sleep=self._sleep)
                client = NotionClient(
                    found.token,
                    base_url=self.config.base_url,
                    pacer=pacer,
                    policy=self.policy,
                    sleep=self._sleep,
                    refresh=functools.partial(self._refresh, found.name, user),
                )
                self._clients[key] = client
        client.use_token(found.token)  # the stored token: another sign-in, or a refresh by another process
        return client

    def _refresh(self, account: str, user: str) -> str | None:
        """A new access token for `user`'s OAuth account, written back to the store (None: not refreshable)."""
        from notion_client.errors import HTTPResponseError

        from aide_core.errors import NotConfigured
        from aide_notion.accounts import sign_in_command, store_for
        from aide_notion.oauth import refresh

        store = store_for(self.runtime.settings, user)
        stored = store.get(account)
        try:
            granted = refresh(stored.data, self.config.base_url) if stored is not None else None
        except HTTPResponseError as exc:  # invalid_grant is not a code notion-client knows: not an APIResponseError
            if exc.status not in (400, 401):
                raise
            # The refresh token was revoked, rotated out by another sign-in, or the integration's secret changed:
            # only a new sign-in helps, and saying so beats Notion's "invalid_grant".
            logger.info("Notion: the refresh of account %s was refused (%s)", account, exc.status)
            again = sign_in_command(user) + ("" if account == "default" else f" --account {account}") + " --oauth"
            raise NotConfigured("Notion", again, reason=f"sign-in of the account {account!r} has expired") from None
        if granted is None:
            return None
        store.update(account, lambda data: data.update(granted))
        logger.info("Notion: refreshed the access token of account %s", account)
        return str(granted["token"])

    def _now(self) -> float:
        return self.clock()

    def _sleep(self, seconds: float) -> None:
        self.sleep(seconds)

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()

    def cached(self, key: tuple[Any, ...], make: Callable[[], Any], *, fresh: bool = False) -> Any:
        """`make()`'s value for `key`, made once and kept for the next calls (made anew when `fresh`)."""
        with self._lock:
            if key in self.pages and not fresh:
                self.pages.move_to_end(key)
                return self.pages[key]
        value = make()
        with self._lock:
            self.pages[key] = value
            while len(self.pages) > 16:
                self.pages.popitem(last=False)
        return value
