"""aide_google without a network: the OAuth client's sources, levels and scopes, stored accounts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aide_core.accounts import user_key
from aide_core.credentials import CredentialStore, open_credentials
from aide_core.errors import ConfigError, InvalidInput, PermissionDenied
from aide_core.settings import AideSettings
from aide_google.accounts import (
    INDEX,
    AccountStore,
    GoogleAccount,
    api_scopes,
    authorized_user_credentials,
    refresh_failure,
    service_account_command,
    sign_in_command,
    stored_credentials,
)
from aide_google.permissions import Permissions
from aide_google.resolve import offered
from aide_google.scopes import (
    GoogleApi,
    _bundled_document,
    default_level,
    method_scopes,
    scopes_allow,
    sign_in_levels,
    sign_in_scopes,
)
from aide_google.service import discovery_document
from aide_google.signin import client_config, level_scopes

G = "https://www.googleapis.com/auth/"
#: Two APIs as servers declare them (the library's tests import no server).
MAIL = GoogleApi(
    name="Gmail",
    api="gmail",
    version="v1",
    levels={
        "readonly": (G + "gmail.readonly",),
        "organize": (G + "gmail.modify", G + "gmail.labels"),
        "send": (G + "gmail.modify", G + "gmail.labels", G + "gmail.send"),
        "full": ("https://mail.google.com/", G + "gmail.settings.basic"),
    },
    prefixes=("https://mail.google.com/", G + "gmail."),
    default_level="send",
)
CALENDAR = GoogleApi(
    name="Calendar",
    api="calendar",
    version="v3",
    levels={"readonly": (G + "calendar.readonly",), "send": (G + "calendar.events",), "full": (G + "calendar",)},
    prefixes=(G + "calendar",),
)
SEND = sign_in_scopes("send", [MAIL, CALENDAR])


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


def account(level: str | None, scopes: tuple[str, ...] | list[str], kind: str = "authorized_user") -> GoogleAccount:
    return GoogleAccount("work", {"type": kind, "scopes": list(scopes)} | ({"level": level} if level else {}))


def test_a_tool_needs_both_the_level_and_the_scopes() -> None:
    permissions = Permissions(MAIL)
    permissions.declare("send_email", "send", "users.messages.send")
    assert permissions.allows(account("send", MAIL.levels["send"]), "send_email")
    # gmail.modify would let it through: the level does not
    assert not permissions.allows(account("organize", MAIL.levels["organize"]), "send_email")
    assert not permissions.allows(account("full", [G + "gmail.readonly"]), "send_email")
    assert permissions.allows(account(None, MAIL.levels["send"]), "send_email")  # no level stored: the highest


def test_a_tool_that_declares_no_requirement_is_allowed_to_no_account() -> None:
    permissions = Permissions(MAIL)
    permissions.declare("read_email", "readonly", "users.messages.get")
    everything = account("full", [*MAIL.levels["full"], *MAIL.levels["send"]])
    assert permissions.undeclared(["read_email", "new_tool"]) == ["new_tool"]
    assert not permissions.allows(everything, "new_tool")
    with pytest.raises(PermissionDenied, match="declares no permission requirement"):
        permissions.check(everything, "new_tool")


def test_before_any_sign_in_only_tools_that_declare_a_requirement_are_listed() -> None:
    permissions = Permissions(MAIL)
    permissions.declare("read_email", "readonly", "users.messages.get")
    assert offered(permissions, [], "read_email") and not offered(permissions, [], "new_tool")
    reader = account("readonly", MAIL.levels["readonly"])
    assert offered(permissions, [reader], "read_email") and not offered(permissions, [reader], "new_tool")


def test_a_refused_tool_names_the_sign_in_at_the_level_it_needs() -> None:
    permissions = Permissions(MAIL)
    permissions.declare("send_email", "send", "users.messages.send")
    with pytest.raises(PermissionDenied) as refused:
        permissions.check(account("readonly", MAIL.levels["readonly"]), "send_email")
    assert refused.value.hint == "Ask the user to run: aide auth google --account work --scopes send"


def test_a_requirement_names_a_level_of_its_api_and_is_declared_once() -> None:
    permissions = Permissions(MAIL)
    with pytest.raises(ValueError, match="'compose' is not a level"):
        permissions.require("compose", "users.drafts.create")
    permissions.declare("list_labels", "readonly")
    with pytest.raises(ValueError, match="twice"):
        permissions.declare("list_labels", "readonly")


def test_one_sign_in_asks_for_every_apis_scopes_at_its_level() -> None:
    assert SEND == (G + "gmail.modify", G + "gmail.labels", G + "gmail.send", G + "calendar.events")
    assert sign_in_levels([MAIL, CALENDAR]) == ["readonly", "organize", "send", "full"]
    assert sign_in_scopes("organize", [MAIL, CALENDAR]) == MAIL.levels["organize"]  # Calendar has no such level
    assert default_level([CALENDAR, MAIL]) == "send" and default_level([CALENDAR]) == "full"
    with pytest.raises(ConfigError, match="no installed Google server knows the level 'compose'"):
        level_scopes("compose", [MAIL, CALENDAR])


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


def test_each_users_accounts_are_apart_and_the_configured_users_keep_the_layout_they_had(
    settings: AideSettings,
) -> None:
    store = open_credentials(settings)
    store.set("google.work", json.dumps({"token": "legacy", "level": "send"}))  # signed in before users existed
    ann = AccountStore(store, user="ann")
    ann.save(GoogleAccount("work", {"token": "ann-t", "level": "readonly"}))
    ann.save(GoogleAccount("home", {"token": "ann-h", "level": "send"}))
    mine, bob = AccountStore(store), AccountStore(store, user="bob")
    assert mine.names() == ["work"] and sorted(ann.names()) == ["home", "work"] and bob.names() == []
    legacy, anns = mine.get("work"), ann.get("work")
    assert legacy is not None and legacy.data["token"] == "legacy" and legacy.user == "default"
    assert anns is not None and anns.data["token"] == "ann-t" and anns.user == "ann"
    assert bob.get("work") is None and bob.all() == [] and bob.listed() == []
    assert "google@ann.work" in store.names()
    assert sorted(json.loads((settings.home / "google" / "users" / "ann" / "accounts.json").read_text())) == [
        "home",
        "work",
    ]
    assert [a.name for a in mine.listed()] == ["work"]  # the configured user's index is where it was
    ann.delete("work")
    assert mine.get("work") is not None and ann.names() == ["home"]


def test_a_refreshed_token_is_written_back_to_its_own_users_account_only(settings: AideSettings) -> None:
    store = open_credentials(settings)
    mine, ann = AccountStore(store), AccountStore(store, user="ann")
    mine.save(GoogleAccount("default", {"type": "authorized_user", "token": "mine"}))
    ann.save(GoogleAccount("default", {"type": "authorized_user", "token": "anns"}))
    ann.update_token("default", "anns-2", None, None)
    mines, anns = mine.get("default"), ann.get("default")
    assert mines is not None and mines.data["token"] == "mine"
    assert anns is not None and anns.data["token"] == "anns-2"
    with pytest.raises(ValueError, match="not in 'default'"):
        stored_credentials(mine, anns)  # a client is never made from one user's account with another's store


def test_a_user_name_unsafe_in_file_and_secret_names_is_replaced_by_a_digest(settings: AideSettings) -> None:
    odd = "../../etc/passwd"
    key = user_key(odd)
    assert key.startswith("~") and "/" not in key and key == user_key(odd) and key != user_key("../../etc/group")
    assert user_key("ann@example.com") == "ann@example.com"
    accounts = AccountStore(open_credentials(settings), user=odd)
    accounts.save(GoogleAccount("work", {"token": "t"}))
    assert (settings.home / "google" / "users" / key / "accounts.json").is_file()
    assert accounts.names() == ["work"] and AccountStore(accounts.store).names() == []


def test_the_sign_in_command_names_the_user_when_it_is_not_the_configured_one() -> None:
    assert sign_in_command(user="default") == "aide auth google"
    assert sign_in_command("work", "send", "ann") == "aide auth google --user ann --account work --scopes send"
    assert sign_in_command(user="a b") == "aide auth google --user 'a b'"
    assert service_account_command("work", "a@b.c", None, "ann") == (
        "aide auth google --user ann --account work --service-account KEY.json --subject a@b.c"
    )


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
    company = GoogleAccount("company", {"type": "service_account", "scopes": list(SEND)})
    gmail = api_scopes(company, MAIL.prefixes)
    assert gmail == [s for s in SEND if "/gmail." in s] and all("calendar" not in s for s in gmail)
    assert api_scopes(company, (G + "drive",)) == list(SEND)  # nothing matches: all of them


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
