"""Fixtures every package's tests share: an isolated aide home and config, and anyio on asyncio (async test modules
set `pytestmark = pytest.mark.anyio`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from aide_core.settings import AideSettings, load_settings


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def aide_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own AIDE_HOME and config file, and no AIDE_* variable from the developer's shell."""
    for name in list(os.environ):
        if name.startswith("AIDE_"):
            monkeypatch.delenv(name)
    home = tmp_path / "aide-home"
    monkeypatch.setenv("AIDE_HOME", str(home))
    monkeypatch.setenv("AIDE_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("AIDE_CREDENTIAL_BACKEND", "file")
    yield home


@pytest.fixture
def settings(aide_env: Path) -> AideSettings:
    return load_settings()
