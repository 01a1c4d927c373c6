"""The server's state: its settings, the signed-in accounts, one Calendar and one Tasks client per account, the
user's time zone, and the clock.

Accounts come from the credential store (`aide auth google`), plus the `authorized_user` table the sandbox puts in
the settings, named by the `account` setting, as for Gmail (`aide_google.resolve`). A Google client serves one API,
so each account has a client per API, each checked against the requirement its tool declared (`aide_calendar.scopes`).

`clock` is what "now" is: every phrase ("tomorrow 3pm"), `get_time` and the default windows read it, so tests pin it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import Field

from aide_calendar.scopes import PERMISSIONS, TASK_PERMISSIONS, permissions_for
from aide_core.policy import EmailAllowlist
from aide_core.server import Runtime
from aide_core.settings import ServerSettings
from aide_google.accounts import GoogleAccount
from aide_google.listing import AccountListing
from aide_google.resolve import GoogleAccounts, settings_account

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from aide_calendar.client import CalendarClient
    from aide_calendar.tasks_client import TasksClient


class CalendarSettings(ServerSettings, EmailAllowlist):
    account: str = Field(default="default", description="The account used when a call names none.")
    authorized_user: dict[str, Any] | None = Field(
        default=None, description="Credentials given in settings (the sandbox), as Google's authorized-user keys."
    )
    timezone: str | None = Field(
        default=None, description="The user's IANA time zone (default: the default calendar's zone)."
    )
    default_calendar: str = Field(default="primary", description="The calendar used when a call names none.")
    working_hours: str = Field(default="09:00-17:00", description="Working hours for find_free_slots, local time.")
    working_days: list[str] = Field(
        default_factory=lambda: ["Mon", "Tue", "Wed", "Thu", "Fri"], description="Working days for find_free_slots."
    )
    tasks_base_url: str | None = Field(
        default=None, description="The Tasks API root (the sandbox sets this; default: next to base_url's, or Google)."
    )
    retry_backoff_seconds: float = Field(default=0.5, ge=0, description="First wait before retrying a failed call.")


def extra_account(config: CalendarSettings) -> GoogleAccount | None:
    return settings_account(config.account, config.authorized_user)


#: The caller's accounts, and the tools and arguments listed from them (`aide_google.listing`): task tools by the
#: Tasks scopes, the others by Calendar's.
listing = AccountListing(permissions_for, extra_account)


def listed_accounts(runtime: Runtime[Any]) -> list[GoogleAccount]:
    """The caller's accounts' names, levels and scopes, read without opening the credential store."""
    return listing.accounts(runtime)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class CalendarState:
    def __init__(self, runtime: Runtime[CalendarState]) -> None:
        config = runtime.config
        assert isinstance(config, CalendarSettings)
        self.config = config
        self.runtime = runtime
        from aide_core.retry import RetryPolicy

        backoff = config.retry_backoff_seconds
        self.policy = RetryPolicy(initial_backoff=backoff, max_backoff=max(backoff, backoff * 16))
        self.sleep = time.sleep
        #: What "now" is (an aware datetime); tests replace it.
        self.clock: Callable[[], datetime] = _utc_now
        extra = extra_account(config)
        self.calendars: GoogleAccounts[CalendarClient] = GoogleAccounts(
            PERMISSIONS, runtime.settings, self._calendar_client, default=config.account, extra=extra,
            close=lambda c: c.close(),
        )  # fmt: skip
        self.tasks: GoogleAccounts[TasksClient] = GoogleAccounts(
            TASK_PERMISSIONS, runtime.settings, self._tasks_client, default=config.account, extra=extra,
            close=lambda c: c.close(),
        )  # fmt: skip
        self._zones: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def accounts(self) -> list[GoogleAccount]:
        return self.calendars.all()

    def calendar(self, account: str | None, tool: str) -> CalendarClient:
        return self.calendars.client(account, tool)

    def task_client(self, account: str | None, tool: str) -> TasksClient:
        return self.tasks.client(account, tool)

    def now(self) -> datetime:
        return self.clock()

    def zone_name(self, client: CalendarClient) -> str:
        """The user's zone: the `timezone` setting, else the default calendar's zone (read once per account)."""
        if self.config.timezone:
            return self.config.timezone
        key = (client.signed_in.user, client.account)
        with self._lock:
            found = self._zones.get(key)
        if found is None:
            found = client.calendar_zone(self.config.default_calendar)
            with self._lock:
                self._zones[key] = found
        return found

    def zone(self, client: CalendarClient) -> ZoneInfo:
        from aide_calendar.times import zone

        return zone(self.zone_name(client))

    def close(self) -> None:
        self.calendars.close()
        self.tasks.close()

    def _calendar_client(self, account: GoogleAccount, credentials: Any) -> CalendarClient:
        from aide_calendar.client import CalendarClient

        return CalendarClient(
            account, credentials, root_url=self.config.base_url, policy=self.policy, sleep=self._sleep
        )

    def _tasks_client(self, account: GoogleAccount, credentials: Any) -> TasksClient:
        from aide_calendar.tasks_client import TasksClient

        return TasksClient(account, credentials, root_url=self.tasks_root(), policy=self.policy, sleep=self._sleep)

    def tasks_root(self) -> str | None:
        """The Tasks API root: `tasks_base_url`, else (an emulator serving each Google API under its own root) the
        `tasks/` root next to Calendar's `calendar/` one, else Google's."""
        if self.config.tasks_base_url:
            return self.config.tasks_base_url
        base = self.config.base_url
        if not base:
            return None
        return base.rstrip("/").rsplit("/", 1)[0] + "/tasks/" if base.rstrip("/").endswith("/calendar") else base

    def _sleep(self, seconds: float) -> None:
        self.sleep(seconds)
