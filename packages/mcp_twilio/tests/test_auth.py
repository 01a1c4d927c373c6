"""`aide auth twilio`: secrets prompted for (never options), checked against Twilio, stored as an account of the
service `twilio` per person; what the server then signs in with."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from aide_core.accounts import AccountStore
from aide_core.settings import load_settings
from aide_sandbox.app import SandboxHandle
from aide_twilio.cli import auth

runner = CliRunner()


def cli() -> typer.Typer:
    app = typer.Typer()
    app.command()(auth)
    return app


@pytest.fixture
def configured(sandbox: SandboxHandle, aide_env: Path) -> dict[str, Any]:
    credentials = sandbox.twilio_credentials()
    config = Path(aide_env).parent / "config.toml"
    config.write_text(
        f'[twilio]\nbase_url = "{sandbox.urls["twilio"]}"\naccount_sid = "{credentials["account_sid"]}"\n'
    )
    return credentials


def stored(user: str = "default") -> dict[str, dict[str, Any]]:
    accounts = AccountStore.lazy(load_settings(), user, service="twilio", listed=("type", "account_sid"))
    return {account.name: account.data for account in accounts.all()}


def test_the_auth_token_is_prompted_for_checked_and_stored(configured: dict[str, Any]) -> None:
    done = runner.invoke(cli(), [], input=f"{configured['auth_token']}\n")
    assert done.exit_code == 0, done.output
    assert configured["auth_token"] not in done.output.replace("Auth token: \n", "")
    assert f"Stored Twilio account 'default' ({configured['account_sid']}, with the auth token)" in done.output
    assert stored() == {
        "default": {"type": "api", "account_sid": configured["account_sid"], "auth_token": configured["auth_token"]}
    }


def test_a_wrong_token_is_refused_and_nothing_is_stored(configured: dict[str, Any]) -> None:
    done = runner.invoke(cli(), [], input="not-the-token\n")
    assert done.exit_code == 1
    assert "Twilio did not accept these credentials" in done.output
    assert stored() == {}


def test_a_person_stores_their_own_account_and_can_remove_it(configured: dict[str, Any]) -> None:
    token = configured["auth_token"]
    assert runner.invoke(cli(), ["--user", "ann", "--account", "home"], input=f"{token}\n").exit_code == 0
    assert list(stored("ann")) == ["home"] and stored() == {}
    removed = runner.invoke(cli(), ["--user", "ann", "--account", "home", "--remove"])
    assert removed.exit_code == 0 and "Removed Twilio account 'home' of user 'ann'." in removed.output
    assert stored("ann") == {}


def test_an_api_key_is_stored_with_its_secret_and_the_optional_auth_token(configured: dict[str, Any]) -> None:
    key = "SK" + "1" * 32
    done = runner.invoke(cli(), ["--api-key", key, "--no-check"], input="the-secret\n\n")
    assert done.exit_code == 0, done.output
    assert stored()["default"] == {
        "type": "api_key",
        "account_sid": configured["account_sid"],
        "api_key": key,
        "api_secret": "the-secret",
    }


def test_a_missing_account_sid_says_where_to_find_it(aide_env: Path) -> None:
    done = runner.invoke(cli(), [], input="token\n")
    assert done.exit_code == 2 and "--account-sid AC" in done.output


def test_aide_auth_lists_the_twilio_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "aide_core.cli", "auth", "twilio", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "--account-sid" in done.stdout and "--api-key" in done.stdout


def test_doctor_reports_the_account_signed_in_and_reachable(signed_in: Any, sandbox: SandboxHandle) -> None:
    from aide_twilio.server import spec

    from .conftest import sandbox_config

    runtime = spec.make_runtime(signed_in, sandbox_config(sandbox))
    assert spec.configuration_problem(runtime) is None
    assert spec.reachability(runtime) == f"ok ({sandbox.twilio_credentials()['account_sid']})"
    other = spec.make_runtime(signed_in, sandbox_config(sandbox, account="work"))
    assert spec.configuration_problem(other) == "not signed in (aide auth twilio)"
    assert spec.reachability(other) == "not checked"
