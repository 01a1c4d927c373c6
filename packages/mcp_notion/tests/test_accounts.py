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
