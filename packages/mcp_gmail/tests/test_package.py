"""The package's shape: it names its public API in `__all__`, and importing it does no work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def test_the_package_names_its_public_api_and_importing_it_does_no_work(
    fresh_import: Callable[[str], dict[str, Any]],
) -> None:
    report = fresh_import("aide_gmail")
    assert report["all"] == ["spec"]
    assert report["missing"] == []
    assert report["threads"] == []
    assert report["files"] == []


def test_gmail_declares_googles_error_profile_for_anything_its_client_did_not_map() -> None:
    from aide_gmail.server import spec
    from aide_google.errors import GOOGLE_ERRORS

    runtime = spec.make_runtime()
    assert runtime.upstream == "Gmail"
    assert runtime.error_profile is GOOGLE_ERRORS
