"""Core-only fixtures (the shared ones, such as the isolated aide home, are in the repository's conftest.py)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# The example server is imported by tests and also run as a script; importlib mode does not put this folder on the path.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def example_app() -> Any:
    from example_server import app

    return app


@pytest.fixture
def aide_logging() -> Iterator[Callable[[str], None]]:
    """`configure_logging` as aide's entry points call it, with the process's logging put back afterwards (the root's
    handlers and level, the record factory, and the levels `configure_logging` sets on named loggers)."""
    from aide_core import logs

    root = logging.getLogger()
    handlers, level, factory = list(root.handlers), root.level, logging.getLogRecordFactory()
    named = {name: logging.getLogger(name).level for name in (*logs._CHATTY, *logs._CONTENT)}
    try:
        yield logs.configure_logging
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        logging.setLogRecordFactory(factory)
        for name, named_level in named.items():
            logging.getLogger(name).setLevel(named_level)


@pytest.fixture
def planned_server(monkeypatch: pytest.MonkeyPatch) -> str:
    """A server that is installed but has not landed (its entry point is the placeholder), whichever real servers
    have: tests of "not available yet" use it rather than naming a real package."""
    from importlib.metadata import EntryPoint

    from aide_core import registry

    real = registry.server_points
    placeholder = EntryPoint(name="planned", value="aide_core.registry:NOT_AVAILABLE_YET", group=registry.GROUP)
    monkeypatch.setattr(registry, "server_points", lambda: [*real(), placeholder])
    return "planned"


@pytest.fixture
def with_example(monkeypatch: pytest.MonkeyPatch, example_app: Any) -> None:
    """Registers the example server as if its package declared the entry point."""
    from aide_core import registry

    real = registry.discover

    def discover() -> dict[str, registry.ServerEntry]:
        return real() | {"example": registry.ServerEntry("example", "available", example_app)}

    monkeypatch.setattr(registry, "discover", discover)
    monkeypatch.setattr("aide_core.cli.config.discover", discover)
