"""Named accounts of any service, per person, in the credential store, with an index that holds no secret."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from aide_core.accounts import Account, AccountStore, check_account_name, index_path, user_key, user_option
from aide_core.credentials import CredentialStore
from aide_core.errors import InvalidInput
from aide_core.identity import DEFAULT_IDENTITY


def notes(store: CredentialStore, user: str = DEFAULT_IDENTITY) -> AccountStore[Account]:
    return AccountStore(store, service="notes", user=user, listed=("type", "workspace"))


def test_accounts_are_secrets_named_by_service_user_and_account_and_indexed_without_secrets(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path, backend="file")
    mine, anns = notes(store), notes(store, "ann@example.com")
    mine.save(Account("work", {"type": "token", "workspace": "Acme", "token": "s3cret-1"}))
    anns.save(Account("home", {"type": "token", "workspace": "Home", "token": "s3cret-2"}))
    assert sorted(store.names()) == ["notes.work", "notes@ann@example.com.home"]
    assert [(a.name, a.data, a.user) for a in anns.all()] == [
        ("home", {"type": "token", "workspace": "Home", "token": "s3cret-2"}, "ann@example.com")
    ]
    assert mine.get("home") is None and anns.get("work") is None  # nobody sees another's accounts
    index = tmp_path / index_path("notes")
    assert json.loads(index.read_text()) == {"work": {"type": "token", "workspace": "Acme"}}
    assert stat.S_IMODE(index.parent.stat().st_mode) == 0o700
    assert (tmp_path / "notes" / "users" / "ann@example.com" / "accounts.json").is_file()
    assert [(a.name, a.data) for a in notes(store).listed()] == [("work", {"type": "token", "workspace": "Acme"})]


def test_an_update_changes_only_the_given_fields_and_a_delete_leaves_the_index_in_step(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path, backend="file")
    accounts = notes(store)
    accounts.save(Account("work", {"type": "token", "token": "old", "workspace": "Acme"}))
    accounts.update("work", lambda data: data.update(token="new"))
    accounts.update("gone", lambda data: data.update(token="never"))  # a missing account stays missing
    assert accounts.get("work") == Account("work", {"type": "token", "token": "new", "workspace": "Acme"})
    assert accounts.names() == ["work"]
    accounts.delete("work")
    assert accounts.listed() == [] and json.loads((tmp_path / index_path("notes")).read_text()) == {}


def test_a_home_that_never_held_a_secret_lists_nothing_without_opening_the_store(tmp_path: Path) -> None:
    def never() -> CredentialStore:
        raise AssertionError("the credential store was opened")

    assert AccountStore(never, tmp_path, service="notes").listed() == []


def test_names_users_and_services_are_checked() -> None:
    assert check_account_name("work-2") == "work-2"
    with pytest.raises(InvalidInput, match="not a valid account name"):
        check_account_name("Work.Two")
    assert user_key("ann") == "ann" and user_key("../x").startswith("~") and "/" not in user_key("../x")
    assert (user_option(DEFAULT_IDENTITY), user_option("ann"), user_option("a b")) == (
        None,
        "--user ann",
        "--user 'a b'",
    )
    with pytest.raises(ValueError, match="not a service name"):
        AccountStore(CredentialStore(Path("/nonexistent"), backend="file"), service="No.Service")
