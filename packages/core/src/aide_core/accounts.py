"""Named accounts of one service, per person: what every sign-in stores (Google accounts, Notion workspaces, a
Twilio account), kept once here so that no server package writes its own.

Each account is one JSON secret in aide's credential store (`aide_core.credentials`), named

    <service>.<account>            for the configured user (`DEFAULT_IDENTITY`: stdio and the main HTTP token)
    <service>@<user>.<account>     for any other person on a shared server

so a person's accounts are invisible to everyone else (account names hold no `.` or `@`, so no prefix matches
another's). Which accounts exist, with the few non-secret keys a server lists tools by (`listed`: for Google the
type, level and scopes), is also kept in an index, `<home>/<service>/accounts.json` (other users:
`<home>/<service>/users/<user>/accounts.json`), rewritten whenever an account is saved or deleted: a server reads it
at start-up without opening the credential store (probing for an OS keyring costs ~170 ms; decrypting the file
backend needs `cryptography`). Calls still read the store itself, which remains the truth and rewrites the index
whenever the two differ. A user name that is not safe in a file or secret name is replaced by a digest of it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from aide_core.credentials import CredentialStore, open_credentials
from aide_core.errors import AideError, InvalidInput, NotFound
from aide_core.identity import DEFAULT_IDENTITY
from aide_core.stores import private_dir

if TYPE_CHECKING:
    from aide_core.settings import AideSettings

__all__ = ["Account", "AccountStore", "check_account_name", "index_path", "user_key", "user_option"]

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
#: A user name used as it is in secret and file names; any other is replaced by a digest.
_SAFE_USER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,63}$")
_SERVICE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


def user_key(user: str) -> str:
    """`user` as it appears in secret and file names: itself when it is safe there, else `~` and a digest of it (a
    token's subject may be any string)."""
    if _SAFE_USER.match(user):
        return user
    return "~" + hashlib.sha256(user.encode()).hexdigest()[:32]


def user_option(user: str | None) -> str | None:
    """The `--user` option a sign-in command needs for `user` (none for the configured user)."""
    if not user or user == DEFAULT_IDENTITY:
        return None
    return f"--user {user}" if _SAFE_USER.match(user) else f"--user '{user}'"


def check_account_name(name: str) -> str:
    if not _NAME.match(name):
        raise InvalidInput(
            f"{name!r} is not a valid account name.",
            hint="Use up to 32 lowercase letters, digits, '-' or '_', such as 'work' or 'personal'.",
        )
    return name


def index_path(service: str, user: str = DEFAULT_IDENTITY) -> Path:
    """Where `user`'s index of `service` accounts is, relative to the aide home."""
    if user == DEFAULT_IDENTITY:
        return Path(service) / "accounts.json"
    return Path(service) / "users" / user_key(user) / "accounts.json"


@dataclass
class Account:
    """One signed-in account of `user` as stored (the secrets stay in `data`; `__repr__` never shows them)."""

    name: str
    data: dict[str, Any] = field(repr=False)
    user: str = DEFAULT_IDENTITY


A = TypeVar("A", bound=Account)


class AccountStore(Generic[A]):
    """One user's accounts of `service` in a credential store, which is opened on first need (`lazy`) or given.
    `make(name, data, user)` builds the account objects (a package's own `Account` subclass); `listed` names the
    keys of an account's data the index keeps (nothing secret)."""

    def __init__(
        self,
        store: CredentialStore | Callable[[], CredentialStore],
        home: Path | None = None,
        *,
        service: str,
        user: str = DEFAULT_IDENTITY,
        listed: Sequence[str] = ("type",),
        make: Callable[[str, dict[str, Any], str], A] = Account,  # type: ignore[assignment]
    ) -> None:
        if not _SERVICE.match(service):
            raise ValueError(f"{service!r} is not a service name (lowercase letters, digits, '-', '_')")
        if isinstance(store, CredentialStore):
            self._store: CredentialStore | None = store
            self._open: Callable[[], CredentialStore] = lambda: store
            home = home or store.home
        else:
            self._store, self._open = None, store
        if home is None:
            raise ValueError("AccountStore needs the aide home when the credential store is opened lazily")
        self.home = home
        self.service = service
        self.user = user
        self.prefix = f"{service}." if user == DEFAULT_IDENTITY else f"{service}@{user_key(user)}."
        self.index = home / index_path(service, user)
        self._listed = tuple(listed)
        self._make = make
        self._lock = threading.Lock()

    @classmethod
    def lazy(cls, settings: AideSettings, user: str = DEFAULT_IDENTITY, **options: Any) -> AccountStore[A]:
        """`user`'s accounts in the store the settings configure, opened only when a secret is needed."""
        return cls(lambda: open_credentials(settings), settings.home, user=user, **options)

    @property
    def store(self) -> CredentialStore:
        if self._store is None:
            self._store = self._open()
        return self._store

    def names(self) -> list[str]:
        """This user's account names (another user's secrets never match: account names hold no `.` or `@`)."""
        found = (name[len(self.prefix) :] for name in self.store.names() if name.startswith(self.prefix))
        return [name for name in found if _NAME.match(name)]

    def get(self, name: str) -> A | None:
        if not _NAME.match(name):
            return None
        raw = self.store.get(self.prefix + name)
        if raw is None:
            return None
        return self._make(name, cast(dict[str, Any], json.loads(raw)), self.user)

    def all(self) -> list[A]:
        return self._all(index_if_empty=False)  # a home that holds nothing yet is left untouched

    def listed(self) -> list[A]:
        """The accounts with their listed keys but no secrets, cheaply: from the index; with no index, nothing when
        this home never held a credential (both backends make `<home>/secrets` on the first write), else from the
        store (which writes the index for next time)."""
        entries = self._read_index()
        if entries is None:
            if not (self.home / "secrets").is_dir():
                return []
            # indexed even when empty, so that a store holding only other secrets is not opened at every start
            found = self._all(index_if_empty=True)
            return [self._make(name, data, self.user) for name, data in self._entries(found).items()]
        return [self._make(name, dict(data), self.user) for name, data in sorted(entries.items())]

    def save(self, account: A) -> None:
        check_account_name(account.name)
        with self._lock:
            self.store.set(self.prefix + account.name, json.dumps(account.data, sort_keys=True))
        account.user = self.user
        self.all()

    def delete(self, name: str) -> None:
        check_account_name(name)
        self.store.delete(self.prefix + name)
        self.all()

    def remove(self, name: str, service: str) -> str:
        """Delete account `name` and say so, for `aide auth <service> --remove` ("Removed the Notion account 'work'
        of user 'ann'."); `NotFound` naming the accounts there are when it is not there, so removing a misspelt
        name is not reported as done, and an `AideError` when the store can't be read or written."""
        whose = "" if self.user == DEFAULT_IDENTITY else f" of user '{self.user}'"
        try:
            names = self.names()
            if name in names:
                self.delete(name)
        except OSError as exc:  # the credential files under the home could not be read or written
            raise AideError(f"cannot open the credential store ({exc})", hint="Check AIDE_HOME.") from None
        if name not in names:
            raise NotFound(f"there is no {service} account '{name}'{whose} (accounts: {', '.join(names) or 'none'})")
        return f"Removed the {service} account '{name}'{whose}."

    def update(self, name: str, change: Callable[[dict[str, Any]], None]) -> None:
        """Change a stored account's data in place (`change(data)`), read-modify-write under the lock, so a field
        changed meanwhile by another writer of this store is kept; a missing account is left missing."""
        with self._lock:
            account = self.get(name)
            if account is None:
                return
            change(account.data)
            self.store.set(self.prefix + name, json.dumps(account.data, sort_keys=True))

    # -- the index ----------------------------------------------------------------------------------------------
    def _entries(self, accounts: list[A]) -> dict[str, dict[str, Any]]:
        return {a.name: {key: a.data[key] for key in self._listed if key in a.data} for a in accounts}

    def _all(self, *, index_if_empty: bool) -> list[A]:
        """Every account, from the store; the index is rewritten when it differs."""
        found = [account for name in self.names() if (account := self.get(name)) is not None]
        index = self._read_index()
        if self._entries(found) != index and (found or index is not None or index_if_empty):
            self._write_index(found)
        return found

    def _read_index(self) -> dict[str, dict[str, Any]] | None:
        """None when missing or unreadable (then the store is read instead)."""
        try:
            parsed: object = json.loads(self.index.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(parsed, dict):
            return None
        entries = cast(dict[str, object], parsed)
        if not all(isinstance(value, dict) for value in entries.values()):
            return None
        return cast(dict[str, dict[str, Any]], entries)

    def _write_index(self, accounts: list[A]) -> None:
        path = self.index
        for folder in reversed(path.parents):
            if folder == self.home or self.home in folder.parents:
                private_dir(folder)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".accounts-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self._entries(accounts), handle, indent=1, sort_keys=True)
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
