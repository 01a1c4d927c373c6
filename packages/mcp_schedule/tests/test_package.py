"""The package's shape: it names its public API in `__all__`, and importing it does no work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def test_the_package_names_its_public_api_and_importing_it_does_no_work(
    fresh_import: Callable[[str], dict[str, Any]],
) -> None:
    report = fresh_import("aide_schedule")
    assert report["all"] == ["spec"]
    assert report["missing"] == []
    assert report["threads"] == []
    assert report["files"] == []


def test_the_server_is_registered_as_schedule() -> None:
    from aide_core.registry import load_one

    entry = load_one("schedule")
    assert entry.spec is not None and entry.spec.name == "schedule"
