"""`aide auth google` reaches `aide` through aide_google's `aide.commands` entry point: core names no Google module."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points

from aide_google.scopes import GoogleApi, registered_apis


def test_the_google_sign_in_joins_core_s_auth_group_through_an_entry_point() -> None:
    (google,) = [point for point in entry_points(group="aide.auth") if point.name == "google"]
    assert google.value == "aide_google.cli:app"
    assert [point.name for point in entry_points(group="aide.commands") if point.name == "auth"] == []


def test_aide_auth_google_answers_help_through_the_entry_point() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "aide_core.cli", "auth", "google", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "--service-account" in done.stdout and "--scopes" in done.stdout


def test_each_installed_google_server_registers_its_api_and_levels() -> None:
    apis = registered_apis()
    assert apis and all(isinstance(api, GoogleApi) for api in apis)
    assert all(api.levels and api.prefixes for api in apis)
