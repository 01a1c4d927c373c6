"""Workspaces as named accounts per person: `aide auth notion` stores a token read from stdin (checked with
Notion), the server resolves `account`, and another person on a shared server sees only their own."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from aide_core.identity import acting_as
from aide_core.settings import AideSettings
from aide_notion.accounts import store_for
from aide_notion.cli import auth
from aide_sandbox.app import SandboxHandle

from .conftest import store_token

pytestmark = pytest.mark.anyio


def run_auth(*args: str, token: str) -> Any:
    app = typer.Typer()
    app.command()(auth)
    return CliRunner().invoke(app, list(args), input=token + "\n")


def pointed_at(sandbox: SandboxHandle) -> None:
    Path(os.environ["AIDE_CONFIG"]).write_text(f'[notion]\nbase_url = "{sandbox.urls["notion"]}"\n')


def test_aide_auth_notion_checks_the_token_and_stores_it_with_its_workspace(
    sandbox: SandboxHandle, settings: AideSettings
) -> None:
    pointed_at(sandbox)
    done = run_auth("--account", "work", token=sandbox.notion_token(1))
    assert done.exit_code == 0, done.output
    assert "Signed in the Notion account 'work' (workspace Northwind)." in done.output
    [stored] = store_for(settings).all()
    assert (stored.name, stored.data) == (
        "work",
        {"type": "internal_integration", "token": sandbox.notion_token(1), "workspace": "Northwind"},
    )
    assert sandbox.notion_token(1) not in done.output


def test_a_token_notion_refuses_is_not_stored(sandbox: SandboxHandle, settings: AideSettings) -> None:
    pointed_at(sandbox)
    done = run_auth(token="ntn_not_a_real_token")
    assert done.exit_code == 1 and "Notion did not accept the token (unauthorized)" in done.output
    assert store_for(settings).all() == []


def test_without_a_check_the_token_is_stored_as_given_and_can_be_removed(settings: AideSettings) -> None:
    assert run_auth("--no-check", token="ntn_offline").exit_code == 0
    assert [a.data for a in store_for(settings).all()] == [{"type": "internal_integration", "token": "ntn_offline"}]
    assert run_auth("--remove", token="").exit_code == 0
    assert store_for(settings).all() == []
    assert run_auth("--account", "Bad Name", token="x").exit_code != 0


async def test_calls_pick_the_workspace_by_account_and_an_unknown_one_lists_the_accounts(
    notion_server: Any, sandbox: SandboxHandle, settings: AideSettings
) -> None:
    store_token(settings, sandbox.notion_token(1), account="work")
    async with notion_server() as notion:
        home = await notion.call("search", query="wiki")
        work = await notion.call("search", query="wiki", account="work")
        unknown = await notion.error("search", query="wiki", account="play")
    assert home["results"] == []
    assert [hit["title"] for hit in work["results"]] == ["Engineering wiki"]
    assert "No Notion account named 'play'. Accounts: default, work." in unknown


async def test_a_server_with_no_account_says_how_to_sign_in(notion_server: Any) -> None:
    async with notion_server(signed_in=False) as notion:
        error = await notion.error("search", query="x")
    assert "Notion has no signed-in workspace. Ask the user to run: aide auth notion" in error


async def test_each_person_uses_only_their_own_workspaces(
    notion_server: Any, sandbox: SandboxHandle, settings: AideSettings
) -> None:
    store_token(settings, sandbox.notion_token(1), user="ann")
    async with notion_server() as notion:
        with acting_as("ann"):
            anns = await notion.call("search", query="wiki")
        mine = await notion.call("search", query="wiki")
        with acting_as("bob"):
            bobs = await notion.error("search", query="wiki")
    assert [hit["title"] for hit in anns["results"]] == ["Engineering wiki"]
    assert mine["results"] == []
    assert "Ask the user to run: aide auth notion --user bob" in bobs


def test_without_a_terminal_or_a_piped_token_it_says_how_to_pipe_it(settings: AideSettings) -> None:
    done = run_auth("--no-check", token="")  # CliRunner's stdin is no terminal; an empty line is nothing piped
    assert done.exit_code == 2 and done.stdout == ""
    assert done.stderr == (
        "aide auth notion: no notion integration token on standard input and no terminal to ask at: pipe it, e.g. "
        "`pass show notion | aide auth notion`\n"
    )
    assert store_for(settings).all() == []


def test_removing_a_workspace_that_is_not_there_says_so_and_names_the_ones_there_are(settings: AideSettings) -> None:
    assert run_auth("--no-check", "--account", "home", token="ntn_offline").exit_code == 0
    done = run_auth("--remove", "--account", "nosuch", token="")
    assert done.exit_code == 1
    assert done.stderr == "aide auth notion: there is no Notion account 'nosuch' (accounts: home)\n"
    other = run_auth("--remove", "--user", "ann", token="")
    assert other.exit_code == 1
    assert other.stderr == "aide auth notion: there is no Notion account 'default' of user 'ann' (accounts: none)\n"
    assert [a.name for a in store_for(settings).all()] == ["home"]


def test_when_notion_cannot_be_reached_it_says_so_not_that_the_token_was_refused(settings: AideSettings) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    Path(os.environ["AIDE_CONFIG"]).write_text(f'[notion]\nbase_url = "http://127.0.0.1:{closed}"\n')
    done = run_auth(token="ntn_unchecked")
    assert done.exit_code == 1
    assert done.stderr == (
        "aide auth notion: could not reach Notion (ConnectError); the token was not checked and nothing was stored: "
        "try again when it answers, or pass --no-check\n"
    )
    assert store_for(settings).all() == []


def test_an_invalid_account_name_and_a_missing_token_are_both_usage_mistakes(settings: AideSettings) -> None:
    assert run_auth("--account", "Bad Name", token="x").exit_code == 2
    assert run_auth("--no-check", token="two words").exit_code == 2
