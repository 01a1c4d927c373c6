"""Fixtures every core test shares: an isolated aide home and config, and anyio on asyncio (async test modules
set `pytestmark = pytest.mark.anyio`)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from aide_core.settings import AideSettings, load_settings

# The example server is imported by tests and also run as a script; importlib mode does not put this folder on the path.
sys.path.insert(0, str(Path(__file__).parent))


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


@pytest.fixture
def example_app():  # type: ignore[no-untyped-def]
    from example_server import app

    return app
