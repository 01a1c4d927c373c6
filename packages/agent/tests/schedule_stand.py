"""aide's servers for the scheduler's tests: gmail, calendar, twilio, memory and schedule built in-process against
the sandbox, each on a clock the test moves (`Clock`), so the runner, the schedule server and Twilio's quiet hours
all agree on what "now" is. Each call of `servers(names)` builds fresh ones, as the runner expects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aide_agent.servers import ServerConfig
from aide_core.accounts import Account, AccountStore
from aide_core.registry import load_one
from aide_core.settings import AideSettings, server_settings
from aide_sandbox.app import SandboxHandle
from aide_sandbox.testing import ME

#: The user's own phone (Berlin, like the user); Ann's (California).
MY_PHONE, ANNS_PHONE = "+491701234567", "+16505551234"


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


def sandbox_tables(sandbox: SandboxHandle, **schedule: Any) -> dict[str, dict[str, Any]]:
    twilio = sandbox.twilio_credentials()
    return {
        "gmail": {"base_url": sandbox.urls["gmail"], "authorized_user": sandbox.authorized_user(),
                  "retry_backoff_seconds": 0},
        "calendar": {"base_url": sandbox.urls["calendar"], "tasks_base_url": sandbox.urls["tasks"],
                     "authorized_user": sandbox.authorized_user(), "retry_backoff_seconds": 0},
        "twilio": {"base_url": sandbox.urls["twilio"], "account_sid": twilio["account_sid"],
                   "from_number": twilio["from_number"], "numbers": twilio["numbers"], "retry_backoff_seconds": 0},
        "schedule": {"timezone": "Europe/Berlin", "phone": MY_PHONE, "email": ME} | schedule,
    }  # fmt: skip


def sign_in_twilio(settings: AideSettings, sandbox: SandboxHandle, user: str) -> None:
    """What `aide auth twilio --user USER` stores: the sandbox's account."""
    credentials = sandbox.twilio_credentials()
    data = {"type": "api", "account_sid": credentials["account_sid"], "auth_token": credentials["auth_token"]}
    AccountStore.lazy(settings, user, service="twilio", listed=("type", "account_sid")).save(Account("default", data))


class Stand:
    """Servers on `settings` (already pointed at the sandbox), their clocks on `clock`."""

    def __init__(self, settings: AideSettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock

    def server(self, name: str, **overrides: Any) -> ServerConfig:
        spec = load_one(name).spec
        assert spec is not None
        config = server_settings(self.settings, name, spec.settings_model)
        if overrides:
            config = config.model_copy(update=overrides)
        runtime = spec.make_runtime(self.settings, config)
        state: Any = runtime.state()
        if name == "twilio":
            state.now = self.clock
            state.sleep = lambda _: None
        elif name in ("calendar", "schedule"):
            state.clock = self.clock
        return ServerConfig(name, spec.build(runtime=runtime), close=runtime.close)

    def servers(self, names: Sequence[str] | None) -> list[ServerConfig]:
        return [self.server(name) for name in names or ("gmail", "calendar", "twilio", "memory")]

    def runner_schedule(self) -> ServerConfig:
        """The runner's schedule server: its runner tools listed, kept open across ticks (no close)."""
        return self.server("schedule", runner=True).with_options(close=None)
