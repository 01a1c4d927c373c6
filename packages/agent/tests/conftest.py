"""Agent fixtures: no test may reach a real model, servers run in-process unless the transport is under test."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from aide_agent.providers import base
from aide_sandbox.app import SandboxHandle

# Stand-in servers are imported by tests and run as scripts; importlib mode does not put this folder on the path.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def no_model_requests() -> Iterator[None]:
    base.ALLOW_MODEL_REQUESTS = False
    yield
    base.ALLOW_MODEL_REQUESTS = True


@pytest.fixture(autouse=True)
def no_provider_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "AIDE_AGENT_MODEL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fakes(sandbox: SandboxHandle) -> Iterator[SandboxHandle]:
    """The sandbox with model requests allowed: they go to its scripted OpenAI and Anthropic fakes on loopback."""
    base.ALLOW_MODEL_REQUESTS = True
    try:
        yield sandbox
    finally:
        base.ALLOW_MODEL_REQUESTS = False


@pytest.fixture
def conversations(tmp_path: Path) -> Path:
    return tmp_path / "conversations.sqlite3"
