"""aide_core.google without a network: the OAuth client's sources, levels and scopes, stored accounts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aide_core.credentials import open_credentials
from aide_core.errors import ConfigError, InvalidInput
from aide_core.google.accounts import AccountStore, GoogleAccount, authorized_user_credentials, sign_in_command
from aide_core.google.scopes import SCOPES, scopes_allow, tool_allowed
from aide_core.google.signin import client_config
from aide_core.settings import AideSettings

G = "https://www.googleapis.com/auth/"


def test_the_oauth_client_comes_from_a_client_secret_file(tmp_path: Path) -> None:
    path = tmp_path / "client_secret.json"
    path.write_text(json.dumps({"installed": {"client_id": "cid", "client_secret": "cs", "token_uri": "t"}}))
    assert client_config(path, environ={})["installed"]["client_id"] == "cid"
    assert client_config(None, environ={"GOOGLE_CLIENT_SECRETS": str(path)})["installed"]["client_secret"] == "cs"


def test_the_oauth_client_comes_from_the_environment() -> None:
    config = client_config(None, environ={"GOOGLE_CLIENT_ID": "cid", "GOOGLE_CLIENT_SECRET": "cs"})
    assert config["installed"]["client_id"] == "cid"
    assert config["installed"]["token_uri"] == "https://oauth2.googleapis.com/token"


def test_without_an_oauth_client_the_error_says_where_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--client-secrets PATH"):
        client_config(None, environ={})
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"web": {}}))
    with pytest.raises(ConfigError, match="'installed'"):
        client_config(bad, environ={})


def test_scopes_allow_a_method_when_any_of_its_scopes_is_granted() -> None:
    assert scopes_allow([G + "gmail.send"], "gmail", "v1", ["gmail.users.messages.send"])
    assert not scopes_allow([G + "gmail.send"], "gmail", "v1", ["gmail.users.messages.list"])
    assert not scopes_allow(["https://mail.google.com/"], "gmail", "v1", ["gmail.users.settings.filters.create"])


def test_a_tool_needs_both_the_level_and_the_scopes() -> None:
    send = ("gmail", "v1", ["gmail.users.messages.send"])
    assert tool_allowed(SCOPES["send"], "send", "send", *send)
    assert not tool_allowed(SCOPES["organize"], "organize", "send", *send)  # gmail.modify would let it through
    assert not tool_allowed([G + "gmail.readonly"], "full", "send", *send)


def test_accounts_are_stored_by_name_and_refreshed_tokens_written_back(settings: AideSettings) -> None:
    accounts = AccountStore(open_credentials(settings))
    accounts.save(GoogleAccount("work", {"type": "authorized_user", "token": "t1", "refresh_token": "r1"}))
    accounts.update_token("work", "t2", datetime(2026, 11, 29, 12, tzinfo=UTC), None)
    stored = accounts.get("work")
    assert accounts.names() == ["work"] and stored is not None
    assert stored.data["token"] == "t2" and stored.data["refresh_token"] == "r1"
    assert stored.data["expiry"] == "2026-11-29T12:00:00+00:00"
    credentials = authorized_user_credentials(stored.data)
    # naive UTC, as google-auth compares it
    assert credentials.expiry == datetime(2026, 11, 29, 12, tzinfo=UTC).replace(tzinfo=None)
    assert "t2" not in repr(stored)


def test_account_names_are_checked_and_the_sign_in_command_names_them(settings: AideSettings) -> None:
    accounts = AccountStore(open_credentials(settings))
    with pytest.raises(InvalidInput, match="not a valid account name"):
        accounts.save(GoogleAccount("Work Mail", {}))
    assert sign_in_command() == "aide auth google"
    assert sign_in_command("work", "send") == "aide auth google --account work --scopes send"
