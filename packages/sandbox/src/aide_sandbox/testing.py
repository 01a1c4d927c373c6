"""pytest fixtures for tests that drive the official clients against the sandbox (a pytest plug-in, registered
through the `pytest11` entry point, so every package of the workspace can use them).

- `sandbox_server` (session): one sandbox on a free loopback port, in this process, seeded once;
- `sandbox` (per test): that sandbox reset to the seed data, with no faults (a reset is a page copy, not a reseed);
- `gmail` (per test): a google-api-python-client Gmail service for the first seeded account.

Heavy imports happen inside the fixtures, so loading the plug-in costs nothing to test runs that do not use it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from googleapiclient.discovery import Resource

    from aide_sandbox.app import SandboxHandle


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    from aide_sandbox.app import start

    handle = start(tmp_path_factory.mktemp("aide-sandbox"))
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def sandbox(sandbox_server: SandboxHandle) -> SandboxHandle:
    sandbox_server.reset()
    return sandbox_server


@pytest.fixture
def gmail(sandbox: SandboxHandle) -> Resource:
    return sandbox.gmail()
