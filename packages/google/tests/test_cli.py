"""`aide auth google` reaches `aide` through aide_google's `aide.commands` entry point: core names no Google module."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from aide_core.credentials import open_credentials
from aide_core.errors import NotConfigured
from aide_core.settings import AideSettings
from aide_google.accounts import AccountStore, GoogleAccount, stored_credentials
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


def run(*args: str) -> Any:
    from aide_google.cli import app

    return CliRunner().invoke(app, list(args))


def test_listing_no_accounts_says_so_and_how_to_sign_one_in(settings: AideSettings) -> None:
    done = run("list")
    assert done.exit_code == 0 and done.stdout == "No Google accounts signed in; sign one in with: aide auth google\n"
    ann = run("list", "--user", "ann")
    assert ann.stdout == "No Google accounts signed in for user 'ann'; sign one in with: aide auth google --user ann\n"


def test_an_aide_home_that_is_a_file_is_one_line_not_a_traceback(
    aide_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aide_core.errors import AideError

    aide_env.parent.mkdir(parents=True, exist_ok=True)
    aide_env.write_text("not a folder")
    for command in (["list"], ["logout"]):
        done = run(*command)
        # Core refuses the home as it reads the settings; `aide`'s entry point prints it in one line (core's
        # test_cli_failures runs that), so here it is the error that leaves the command.
        assert done.exit_code == 1 and isinstance(done.exception, AideError), done.output
        assert str(done.exception).startswith(f"cannot use {aide_env} as aide's home (it is a file, not a folder)")


def test_logging_out_an_account_that_is_not_there_says_so_and_names_the_ones_there_are(
    settings: AideSettings,
) -> None:
    AccountStore(open_credentials(settings)).save(GoogleAccount("work", {"type": "authorized_user", "scopes": []}))
    missing = run("logout", "--account", "nosuch")
    assert missing.exit_code == 1
    assert missing.stderr == "aide auth logout: there is no Google account 'nosuch' (accounts: work)\n"
    nobody = run("logout", "--user", "nosuch")
    assert nobody.exit_code == 1
    assert nobody.stderr == "aide auth logout: there is no Google account 'default' of user 'nosuch' (accounts: none)\n"
    done = run("logout", "--account", "work")
    assert done.exit_code == 0 and done.stdout == "Removed account 'work'.\n"
    assert AccountStore(open_credentials(settings)).names() == []


def test_an_invalid_account_name_is_a_usage_mistake(settings: AideSettings) -> None:
    assert run("google", "--account", "Bad Name").exit_code == 2
    assert run("logout", "--account", "Bad Name").exit_code == 2


def test_an_incomplete_service_account_key_is_refused_even_unchecked_in_one_line(
    aide_env: Path, tmp_path: Path
) -> None:
    key = tmp_path / "key.json"
    key.write_text(json.dumps({"type": "service_account"}))
    command = ["auth", "google", "--service-account", str(key), "--subject", "a@example.com", "--no-check"]
    done = subprocess.run(
        [sys.executable, "-m", "aide_core.cli", *command],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (
        f"aide: invalid in {key}: the service account key lacks client_email, private_key, token_uri: download a new "
        "JSON key from the Google Cloud console\n"
    )


def test_a_malformed_stored_key_reads_as_a_configuration_problem_naming_the_command(settings: AideSettings) -> None:
    accounts = AccountStore(open_credentials(settings))
    data = {"type": "service_account", "info": {"type": "service_account"}, "subject": "a@example.com"}
    accounts.save(GoogleAccount("company", data | {"level": "send", "scopes": []}))
    stored = accounts.get("company")
    assert stored is not None
    with pytest.raises(NotConfigured) as refused:
        stored_credentials(accounts, stored, service="Gmail")
    assert refused.value.message == (
        "Gmail cannot use account 'company': its stored key lacks client_email, private_key, token_uri; register it "
        "again."
    )
    assert refused.value.hint == (
        "Ask the user to run: aide auth google --account company --service-account KEY.json --subject a@example.com "
        "--scopes send"
    )


def test_the_help_shows_http_users_and_no_contradicting_default() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "aide_core.cli", "auth", "logout", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200"},
    )
    said = " ".join(done.stdout.replace("│", " ").split())
    assert "--user <str> Whose accounts: a user of [http.users] (default: the configured user). --help" in said
    assert "--account <str> Which account to forget (see aide auth list). [default: default]" in said


def test_a_sign_in_cut_off_by_the_network_says_so_not_that_the_home_is_unusable(
    settings: AideSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import requests

    from aide_google import signin

    secrets = tmp_path / "client.json"
    secrets.write_text(json.dumps({"installed": {"client_id": "id", "client_secret": "s", "token_uri": "https://x"}}))

    def sign_in(*args: Any, **kwargs: Any) -> Any:  # the token exchange, as requests fails it offline
        raise requests.ConnectionError("Failed to establish a new connection: [Errno 111] Connection refused")

    monkeypatch.setattr(signin, "sign_in", sign_in)
    done = run("google", "--client-secrets", str(secrets), "--no-browser")
    assert done.exit_code == 1
    assert done.stderr == (
        "aide auth google: the sign-in could not finish (Failed to establish a new connection: [Errno 111] "
        "Connection refused); nothing was stored: check the network and try again\n"
    )
