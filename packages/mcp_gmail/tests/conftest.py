"""Gmail servers built in-process against the sandbox (the `sandbox` fixture resets it to the seed each test), talked
to through `mcp.Client`; the Gmail API is driven by the real google-api-python-client over loopback HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from mcp import Client

from aide_core.settings import AideSettings
from aide_core.testing import ToolClient
from aide_gmail.server import spec
from aide_gmail.state import GmailSettings
from aide_sandbox.app import SandboxHandle


class Gmail(ToolClient):
    """A client of one Gmail server, with shortcuts that assert how the call went."""


GmailFactory = Callable[..., Any]


def sandbox_config(sandbox: SandboxHandle, **config: Any) -> GmailSettings:
    base = {
        "base_url": sandbox.urls["gmail"],
        "authorized_user": sandbox.authorized_user(),
        "confirm": "never",
        "retry_backoff_seconds": 0,
    }
    return GmailSettings.model_validate(base | config)


@pytest.fixture
def gmail_server(sandbox: SandboxHandle, settings: AideSettings) -> GmailFactory:
    """`async with gmail_server(**settings) as gmail:` a client of a Gmail server signed in to the sandbox's first
    account (pass `authorized_user=None` for a server with no account in its settings; `elicitation=` a client
    callback that answers confirmations, `mode=` the client's protocol mode)."""

    @asynccontextmanager
    async def open_server(elicitation: Any = None, mode: Any = "auto", **config: Any) -> AsyncIterator[Gmail]:
        runtime = spec.make_runtime(settings, sandbox_config(sandbox, **config))
        try:
            async with Client(spec.build(runtime=runtime), elicitation_callback=elicitation, mode=mode) as client:
                yield Gmail(client)
        finally:
            runtime.close()

    return open_server


@pytest.fixture
def server(settings: AideSettings, sandbox: SandboxHandle) -> Iterator[Callable[..., Any]]:
    """Build Gmail servers that know only the stored accounts (nothing in settings), closed at the end."""
    runtimes: list[Any] = []

    def build(**config: Any) -> Any:
        table = {"base_url": sandbox.urls["gmail"], "confirm": "never", "retry_backoff_seconds": 0} | config
        runtime = spec.make_runtime(settings, spec.settings_model.model_validate(table))
        runtimes.append(runtime)
        return spec.build(runtime=runtime)

    yield build
    for runtime in runtimes:
        runtime.close()
