"""Fixtures every core test shares: an isolated aide home and config, and anyio on asyncio."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path

import pytest

from aide_core.settings import AideSettings, load_settings


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if isinstance(item, pytest.Function) and inspect.iscoroutinefunction(item.obj):
            item.add_marker(pytest.mark.anyio)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def aide_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own AIDE_HOME and config file, and no AIDE_* variable from the developer's shell."""
    import os

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
