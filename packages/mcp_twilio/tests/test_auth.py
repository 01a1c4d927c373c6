"""`aide auth twilio`: secrets prompted for (never options), checked against Twilio, stored as an account of the
service `twilio` per person; what the server then signs in with."""

from __future__ import annotations

import os
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
    assert removed.exit_code == 0 and "Removed the Twilio account 'home' of user 'ann'." in removed.output
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


def twilio_help() -> str:
    """`aide auth twilio --help` through core's entry point, on a wide terminal (one option a line)."""
    done = subprocess.run(
        [sys.executable, "-m", "aide_core.cli", "auth", "twilio", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_aide_auth_lists_the_twilio_command() -> None:
    shown = twilio_help()
    assert "--account-sid" in shown and "--api-key" in shown


def test_doctor_reports_the_account_signed_in_and_reachable(signed_in: Any, sandbox: SandboxHandle) -> None:
    from aide_twilio.server import spec

    from .conftest import sandbox_config

    runtime = spec.make_runtime(signed_in, sandbox_config(sandbox))
    assert spec.configuration_problem(runtime) is None
    assert spec.reachability(runtime) == f"ok ({sandbox.twilio_credentials()['account_sid']})"
    other = spec.make_runtime(signed_in, sandbox_config(sandbox, account="work"))
    assert spec.configuration_problem(other) == "not signed in (aide auth twilio)"
    assert spec.reachability(other) == "not checked"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


SID = "AC" + "0" * 32


def test_without_a_terminal_or_a_piped_token_it_says_how_to_pipe_it_and_never_prompts(aide_env: Path) -> None:
    done = runner.invoke(cli(), ["--account-sid", SID])  # CliRunner's stdin is no terminal, and holds nothing
    assert done.exit_code == 2
    assert done.stdout == ""
    assert done.stderr == (
        "aide auth twilio: no auth token on standard input and no terminal to ask at: pipe it, e.g. "
        "`pass show twilio | aide auth twilio --account-sid AC…`\n"
    )
    assert stored() == {}


def test_a_piped_api_key_secret_is_read_without_a_prompt_or_a_warning(configured: dict[str, Any]) -> None:
    key = "SK" + "2" * 32
    done = runner.invoke(cli(), ["--api-key", key, "--no-check"], input="the-secret\n")
    assert done.exit_code == 0, done.output
    assert done.stderr == "" and "secret" not in done.stdout.lower()
    assert stored()["default"]["api_secret"] == "the-secret" and "auth_token" not in stored()["default"]


def test_removing_an_account_that_is_not_there_says_so_and_names_the_ones_there_are(
    configured: dict[str, Any],
) -> None:
    assert runner.invoke(cli(), ["--account", "home"], input=f"{configured['auth_token']}\n").exit_code == 0
    done = runner.invoke(cli(), ["--remove", "--account", "nosuch"])
    assert done.exit_code == 1
    assert done.stderr == "aide auth twilio: there is no Twilio account 'nosuch' (accounts: home)\n"
    nobody = runner.invoke(cli(), ["--remove", "--user", "ann"])
    assert nobody.exit_code == 1
    assert nobody.stderr == "aide auth twilio: there is no Twilio account 'default' of user 'ann' (accounts: none)\n"
    assert list(stored()) == ["home"]


def test_an_invalid_account_name_is_a_usage_mistake(aide_env: Path) -> None:
    done = runner.invoke(cli(), ["--remove", "--account", "a b"])
    assert done.exit_code == 2 and done.stderr.startswith("aide auth twilio: ") and "a b" in done.stderr


def test_when_twilio_cannot_be_reached_it_says_so_not_that_the_credentials_were_refused(aide_env: Path) -> None:
    config = Path(aide_env).parent / "config.toml"
    config.write_text(f'[twilio]\nbase_url = "http://127.0.0.1:{free_port()}"\naccount_sid = "{SID}"\n')
    done = runner.invoke(cli(), [], input="token\n")
    assert done.exit_code == 1
    assert done.stderr == (
        "aide auth twilio: could not reach Twilio (ConnectionError); the credentials were not checked and nothing "
        "was stored: try again when it answers, or pass --no-check\n"
    )
    assert stored() == {}


def test_the_help_names_http_users_and_no_contradicting_default() -> None:
    said = " ".join(twilio_help().replace("│", " ").split())
    assert "Whose account: a user of [http.users] (default: the configured user)." in said
    assert "[default: default]" not in said.split("--remove")[0].split("--user")[1]


@pytest.mark.parametrize(
    ("piped", "said"),
    [
        ("the-secret\nann@example.com\n", "the auth token after the API key secret must be 32 hexadecimal"),
        ("the-secret\nlogin: ann@example.com\n", "the line read as the auth token has spaces in it, so it is not one"),
        ("the secret\n", "the line read as the api key secret has spaces in it, so it is not one"),
    ],
)
def test_a_piped_line_that_is_not_the_secret_is_refused_not_stored(
    configured: dict[str, Any], piped: str, said: str
) -> None:
    key = "SK" + "0" * 32
    done = runner.invoke(cli(), ["--api-key", key, "--no-check"], input=piped)
    assert done.exit_code == 2 and said in done.output
    assert "ann@example.com" not in done.output and stored() == {}
