"""Fixtures every package's tests share: an isolated aide home and config, and anyio on asyncio (async test modules
set `pytestmark = pytest.mark.anyio`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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


_FRESH_IMPORT = """
import importlib, json, os, sys, threading

module = importlib.import_module(sys.argv[1])
threads = sorted(t.name for t in threading.enumerate() if t is not threading.main_thread())
files = sorted(os.path.relpath(os.path.join(d, x), sys.argv[2]) for d, ds, fs in os.walk(sys.argv[2]) for x in ds + fs)
names = getattr(module, "__all__", None)
missing = [name for name in names or [] if not hasattr(module, name)]
print(json.dumps({"all": names, "missing": missing, "threads": threads, "files": files, "doc": module.__doc__}))
"""


@pytest.fixture
def fresh_import(tmp_path: Path) -> Callable[[str], dict[str, Any]]:
    """Import a package in a fresh interpreter whose HOME, XDG directories and aide home are empty folders, and say
    what it did: its `__all__` (None when it has none), the names in it that do not resolve, the threads running and
    the files created once the import returned, and its docstring. Importing a package must do no work."""

    def run(package: str) -> dict[str, Any]:
        root = tmp_path / "fresh-import"
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(root / "home"), "AIDE_HOME": str(root / "aide")}
        env |= {f"XDG_{kind}_HOME": str(root / kind.lower()) for kind in ("CONFIG", "DATA", "CACHE", "STATE")}
        env["AIDE_CONFIG"] = str(root / "config" / "aide" / "config.toml")
        root.mkdir()
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(_FRESH_IMPORT), package, str(root)],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    return run
