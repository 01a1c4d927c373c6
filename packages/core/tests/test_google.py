"""aide_core.google without a network: the OAuth client's sources, levels and scopes, stored accounts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aide_core.credentials import CredentialStore, open_credentials
from aide_core.errors import ConfigError, InvalidInput
from aide_core.google.accounts import (
    INDEX,
    AccountStore,
    GoogleAccount,
    api_scopes,
    authorized_user_credentials,
    refresh_failure,
    service_account_command,
    sign_in_command,
)
from aide_core.google.scopes import SCOPES, _bundled_document, method_scopes, scopes_allow, tool_allowed
from aide_core.google.service import discovery_document
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


def unopened() -> CredentialStore:
    """A credential store a test expects never to be opened."""
    raise AssertionError("the credential store was opened")


def test_the_account_index_keeps_levels_and_scopes_but_no_secret_and_follows_saves_and_deletes(
    settings: AideSettings,
) -> None:
    accounts = AccountStore(open_credentials(settings))
    data = {"type": "authorized_user", "token": "t1", "refresh_token": "r1", "client_secret": "cs"}
    accounts.save(GoogleAccount("work", data | {"level": "send", "scopes": [G + "gmail.send"], "email": "w@x.y"}))
    accounts.save(GoogleAccount("home", data | {"level": "readonly", "scopes": [G + "gmail.readonly"]}))
    index = settings.home / INDEX
    assert json.loads(index.read_text()) == {
        "home": {"type": "authorized_user", "level": "readonly", "scopes": [G + "gmail.readonly"]},
        "work": {"type": "authorized_user", "level": "send", "scopes": [G + "gmail.send"]},
    }
    assert not any(secret in index.read_text() for secret in ("t1", "r1", "cs", "w@x.y"))
    assert index.stat().st_mode & 0o077 == 0
    accounts.delete("home")
    assert [(a.name, a.level, a.scopes) for a in accounts.listed()] == [("work", "send", [G + "gmail.send"])]


def test_listing_accounts_from_the_index_never_opens_the_credential_store(settings: AideSettings) -> None:
    AccountStore(open_credentials(settings)).save(GoogleAccount("work", {"token": "t", "level": "organize"}))
    listed = AccountStore(unopened, settings.home).listed()
    assert [(a.name, a.level, a.data) for a in listed] == [("work", "organize", {"level": "organize"})]


def test_a_home_that_never_held_a_credential_lists_no_account_and_stays_untouched(settings: AideSettings) -> None:
    assert AccountStore(unopened, settings.home).listed() == []
    assert AccountStore.lazy(settings).all() == []
    assert not (settings.home / INDEX).exists() and not (settings.home / "secrets").exists()


def test_accounts_stored_before_the_index_existed_are_listed_and_indexed_on_first_listing(
    settings: AideSettings,
) -> None:
    store = open_credentials(settings)
    store.set("google.work", json.dumps({"token": "t", "level": "compose", "scopes": [G + "gmail.compose"]}))
    assert not (settings.home / INDEX).exists()
    assert [(a.name, a.level) for a in AccountStore.lazy(settings).listed()] == [("work", "compose")]
    assert json.loads((settings.home / INDEX).read_text())["work"]["level"] == "compose"


def test_a_store_holding_only_other_secrets_is_indexed_as_no_account_so_it_is_not_opened_again(
    settings: AideSettings,
) -> None:
    open_credentials(settings).set("memory.embedding_api_key", "sk-1")
    assert AccountStore.lazy(settings).listed() == []
    assert json.loads((settings.home / INDEX).read_text()) == {}
    assert AccountStore(unopened, settings.home).listed() == []


def test_an_index_out_of_step_with_the_store_is_rewritten_when_the_store_is_read(settings: AideSettings) -> None:
    accounts = AccountStore(open_credentials(settings))
    accounts.save(GoogleAccount("work", {"token": "t", "level": "send"}))
    (settings.home / INDEX).write_text(json.dumps({"gone": {"level": "full"}}))
    assert [a.name for a in accounts.all()] == ["work"]
    assert [a.name for a in accounts.listed()] == ["work"]


@pytest.mark.parametrize(("api", "version"), [("gmail", "v1"), ("calendar", "v3")])
def test_the_scope_table_reads_the_very_document_googleapiclient_bundles(api: str, version: str) -> None:
    assert _bundled_document(api, version) == discovery_document(api, version)
    assert method_scopes(api, version)  # the walk found methods


def test_a_server_asks_a_service_account_only_for_its_own_apis_scopes() -> None:
    account = GoogleAccount("company", {"type": "service_account", "scopes": list(SCOPES["send"])})
    gmail = api_scopes(account, ("https://mail.google.com/", G + "gmail."))
    assert gmail == [s for s in SCOPES["send"] if "/gmail." in s] and all("calendar" not in s for s in gmail)
    assert api_scopes(account, (G + "drive",)) == list(SCOPES["send"])  # nothing matches: all of them


def test_the_command_that_registers_a_service_account_key_again() -> None:
    assert service_account_command("default", "a@b.c") == "aide auth google --service-account KEY.json --subject a@b.c"
    assert service_account_command("work", None, "send") == (
        "aide auth google --account work --service-account KEY.json --subject ADDRESS --scopes send"
    )


def test_a_refused_refresh_of_a_user_account_still_names_the_sign_in_command() -> None:
    from google.auth.exceptions import RefreshError

    user = GoogleAccount("work", {"type": "authorized_user", "level": "send"})
    refused = refresh_failure(RefreshError("invalid_grant: Token has been expired or revoked."), "Gmail", user)
    assert refused is not None and str(refused) == (
        "Gmail sign-in for account 'work' has expired or was revoked. "
        "Ask the user to run: aide auth google --account work"
    )
    assert refresh_failure(ValueError("invalid_grant"), "Gmail", user) is None
