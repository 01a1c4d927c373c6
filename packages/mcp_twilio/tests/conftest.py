"""Twilio servers built in-process against the sandbox (the `sandbox` fixture resets it to the seed each test),
talked to through `mcp.Client`; Twilio's API is driven by the official twilio client over loopback HTTP.

The server's clock is pinned (`AFTERNOON`: 10:00 in California, 19:00 in Berlin) so that quiet hours decide the same
way in every run; the sandbox's own clock starts at its `NOW`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from mcp import Client

from aide_core.accounts import Account, AccountStore
from aide_core.identity import DEFAULT_IDENTITY
from aide_core.server import Runtime
from aide_core.settings import AideSettings
from aide_core.testing import ToolClient
from aide_sandbox.app import SandboxHandle
from aide_twilio.server import spec
from aide_twilio.settings import TwilioSettings
from aide_twilio.state import TwilioState

AFTERNOON = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)


class Twilio(ToolClient):
    """A client of one Twilio server, with the server's runtime (its state's clock can be moved)."""

    def __init__(self, client: Client, runtime: Runtime[TwilioState]) -> None:
        super().__init__(client)
        self.runtime = runtime

    @property
    def state(self) -> TwilioState:
        return self.runtime.state()


def sandbox_config(sandbox: SandboxHandle, **config: Any) -> TwilioSettings:
    credentials = sandbox.twilio_credentials()
    base = {
        "base_url": sandbox.urls["twilio"],
        "account_sid": credentials["account_sid"],
        "from_number": credentials["from_number"],
        "numbers": credentials["numbers"],
        "messaging_service_sid": credentials["messaging_service_sid"],
        "confirm": "never",
        "retry_backoff_seconds": 0,
    }
    return TwilioSettings.model_validate(base | config)


def sign_in(settings: AideSettings, sandbox: SandboxHandle, user: str = DEFAULT_IDENTITY) -> None:
    """What `aide auth twilio` stores: the sandbox's account as account `default` of `user`."""
    credentials = sandbox.twilio_credentials()
    data = {"type": "api", "account_sid": credentials["account_sid"], "auth_token": credentials["auth_token"]}
    AccountStore.lazy(settings, user, service="twilio", listed=("type", "account_sid")).save(Account("default", data))


TwilioFactory = Callable[..., Any]


@pytest.fixture
def signed_in(settings: AideSettings, sandbox: SandboxHandle) -> AideSettings:
    sign_in(settings, sandbox)
    return settings


@pytest.fixture
def twilio_server(sandbox: SandboxHandle, signed_in: AideSettings) -> TwilioFactory:
    """`async with twilio_server(**settings) as twilio:` a client of a Twilio server signed in to the sandbox's
    account, its clock at `AFTERNOON`."""

    @asynccontextmanager
    async def open_server(now: datetime = AFTERNOON, **config: Any) -> AsyncIterator[Twilio]:
        runtime = spec.make_runtime(signed_in, sandbox_config(sandbox, **config))
        runtime.state().now = lambda: now
        runtime.state().sleep = lambda _: None
        try:
            async with Client(spec.build(runtime=runtime)) as client:
                yield Twilio(client, runtime)
        finally:
            runtime.close()

    return open_server


TOKEN = "main-token-for-tests"
USER_TOKENS = {"ann": "ann-token-for-tests", "bob": "bob-token-for-tests"}


class Deployment:
    """A Twilio server served over HTTP as `aide serve` serves it (bearer tokens for the main user, ann and bob;
    the webhooks public), with its public URL set to where it listens."""

    def __init__(self, url: str, runtime: Runtime[TwilioState], auth_token: str) -> None:
        self.url = url
        self.runtime = runtime
        self.auth_token = auth_token

    @property
    def state(self) -> TwilioState:
        return self.runtime.state()

    def connected(self, user: str | None = None) -> Any:
        from aide_core.testing import connected

        return connected(f"{self.url}/twilio/mcp", USER_TOKENS[user] if user else TOKEN)

    async def post(self, path: str, form: dict[str, str], *, signature: str | None = "sign", url: str | None = None):
        """POST a form to the webhook at `path`, signed as Twilio signs it for `url` (default: where it is posted);
        `signature=None` sends none, any other string than "sign" is sent as it is."""
        import httpx
        from twilio.request_validator import RequestValidator

        target = f"{self.url}/twilio{path}"
        headers = {}
        if signature == "sign":
            headers["X-Twilio-Signature"] = RequestValidator(self.auth_token).compute_signature(url or target, form)
        elif signature is not None:
            headers["X-Twilio-Signature"] = signature
        async with httpx.AsyncClient() as client:
            return await client.post(target, data=form, headers=headers)


@pytest.fixture
def deployment(sandbox: SandboxHandle, signed_in: AideSettings) -> TwilioFactory:
    """`async with deployment(**settings) as served:` a served Twilio server; the sandbox's main number's webhook
    points at it."""
    from aide_core.http import build_app
    from aide_core.settings import HttpSettings
    from aide_core.testing import serving

    @asynccontextmanager
    async def open_deployment(now: datetime = AFTERNOON, **config: Any) -> AsyncIterator[Deployment]:
        runtime = spec.make_runtime(signed_in, sandbox_config(sandbox, **config))
        runtime.state().now = lambda: now
        runtime.state().sleep = lambda _: None
        server = spec.build(runtime=runtime)
        app = build_app({"twilio": server}, HttpSettings(users=USER_TOKENS), TOKEN)
        try:
            async with serving(app) as url:
                if "public_url" not in config:
                    assert isinstance(runtime.config, TwilioSettings)
                    runtime.config.public_url = url
                for number in sandbox.twilio_credentials()["numbers"]:
                    sandbox.sms.set_webhook(number, f"{url}/twilio/sms")
                yield Deployment(url, runtime, sandbox.twilio_credentials()["auth_token"])
        finally:
            runtime.close()

    return open_deployment
