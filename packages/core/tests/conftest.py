"""Core-only fixtures (the shared ones, such as the isolated aide home, are in the repository's conftest.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

# The example server is imported by tests and also run as a script; importlib mode does not put this folder on the path.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def example_app() -> Any:
    from example_server import app

    return app
