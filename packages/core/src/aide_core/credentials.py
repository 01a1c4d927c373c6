"""Where aide keeps secrets (OAuth refresh tokens, API keys): encrypted at rest, never in a log line.

Two backends behind one `CredentialStore`:

* ``keyring``: the OS keyring (macOS Keychain, Secret Service, Windows Credential Locker) when one is really there,
  so the secrets are guarded by the user's login rather than by a file next to them.
* ``file``: for headless machines and containers, which have no keyring. One Fernet-encrypted file, its key in a
  0600 file beside it. That keeps secrets out of backups, sync folders and the hands of other local users who copy
  the data file alone; it cannot protect against someone who can already read the user's files (only a keyring can).

On disk (modes are set explicitly, so a umask of 0 changes nothing)::

    <home>/secrets/             0700
        key                     0600  Fernet key, created once with O_EXCL
        credentials.enc         0600  ONE Fernet token of a JSON object {name: value}, replaced atomically
        lock                    0600  flock'ed around every read-modify-write, by both backends
    <home>/http-token           0600  the HTTP transport's bearer token, in plain text (see `http_token`)

The keyring API cannot list entries, so the keyring backend keeps an index of names (never values) in the keyring
itself, under the reserved name ``__aide_index__`` of the same service. Keeping it there rather than in a file means
`names()` describes exactly the namespace `get()` reads, even when two aide homes share the service, and wiping the
home cannot leave the index out of step with the keyring.

`keyring` and `cryptography` are imported inside functions: together they cost ~100 ms at import, and a stdio
server must answer `initialize` quickly even when the tool that needs a secret is never called.

Locking uses `fcntl.flock`, so this module is POSIX only (as are the 0600/0700 modes it promises).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import secrets
import stat
import tempfile
from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, cast

from aide_core.errors import AideError, ConfigError
from aide_core.logs import redact, register_secret
from aide_core.settings import AideSettings

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

__all__ = ["CredentialStore", "http_token", "open_credentials"]

logger = logging.getLogger("aide.credentials")

BackendChoice = Literal["auto", "keyring", "file"]

_DIR_MODE = 0o700
_FILE_MODE = 0o600
_SECRETS_DIR = "secrets"
_KEY_FILE = "key"
_DATA_FILE = "credentials.enc"
_LOCK_FILE = "lock"
_HTTP_TOKEN_FILE = "http-token"
_INDEX_NAME = "__aide_index__"


class CredentialStore:
    """The one place servers get secrets from, so that encryption, file modes and log masking are never optional.

    `backend_name` says what "auto" chose; `aide config` shows it so a user knows where their secrets went.
    """

    backend_name: str

    def __init__(self, home: Path, backend: BackendChoice = "auto", service: str = "aide") -> None:
        if backend not in ("auto", "keyring", "file"):
            raise ValueError(f"unknown credential backend {backend!r}; expected 'auto', 'keyring' or 'file'")
        self.home = home
        self.service = service
        impl: _Backend
        if backend == "file":
            impl = _FileBackend(home)
        else:
            ring = _usable_keyring()
            if ring is not None:
                impl = _KeyringBackend(home, service, ring)
            elif backend == "keyring":
                raise ConfigError(
                    "it is 'keyring' but no usable OS keyring was found (keyring.get_keyring() is the fail or null "
                    "backend). Unlock or install a keyring, or set it to 'file' or 'auto'",
                    key="credential_backend",
                )
            else:
                impl = _FileBackend(home)
        self._backend = impl
        self.backend_name = impl.name
        logger.debug("credential store: %s backend (%s)", impl.name, impl.location)

    def get(self, name: str) -> str | None:
        """The secret, or None; registered for masking because the caller is about to put it in headers and logs."""
        _check_name(name)
        value = self._backend.get(name)
        register_secret(value)
        return value

    def set(self, name: str, value: str) -> None:
        """Registers the value for masking before storing it, so even the backend's own debug lines are masked."""
        _check_name(name)
        if not value:
            raise ValueError(f"refusing to store an empty credential {name!r}; use delete() to remove it")
        register_secret(value)
        self._backend.set(name, value)
        logger.debug("stored credential %r (%s backend)", name, self.backend_name)

    def delete(self, name: str) -> None:
        """No error when absent: "make sure it is gone" is what logout and reset flows mean."""
        _check_name(name)
        self._backend.delete(name)
        logger.debug("deleted credential %r (%s backend)", name, self.backend_name)

    def names(self) -> list[str]:
        """Sorted, so `aide config` output and tests are stable."""
        return sorted(self._backend.names())

    def __repr__(self) -> str:
        return f"CredentialStore(home={self.home!r}, backend={self.backend_name!r})"


def open_credentials(settings: AideSettings) -> CredentialStore:
    """The store the user configured, so servers and the CLI agree on where secrets live."""
    return CredentialStore(settings.home, settings.credential_backend)


def http_token(settings: AideSettings) -> str:
    """The HTTP transport's bearer token: `http.token` when the user set one, else generated once and kept.

    It lives in a plain 0600 file, not in the encrypted store, because `aide config` shows it to the user to paste
    into a client, and because it only guards a local port: an attacker who can read the user's files can read the
    Fernet key too, while a keyring would make every server start prompt or fail on a headless machine.
    """
    configured = settings.http.token
    if configured:
        register_secret(configured)
        return configured
    path = settings.home / _HTTP_TOKEN_FILE
    token = _read_token(path)
    if token is None:
        _ensure_dir(settings.home, enforce=False)
        secrets_dir = settings.home / _SECRETS_DIR
        _ensure_dir(secrets_dir, enforce=True)
        # Two servers starting together must agree on one token: re-check under the lock before generating.
        with _locked(secrets_dir / _LOCK_FILE, exclusive=True):
            token = _read_token(path)
            if token is None:
                token = secrets.token_urlsafe(32)
                register_secret(token)
                _write_atomic(path, token.encode("ascii") + b"\n")
                logger.info("generated the HTTP bearer token in %s", path)
    register_secret(token)
    return token


# --- backends ------------------------------------------------------------------------------------------------------


class _Backend(Protocol):
    name: str
    location: str

    def get(self, name: str) -> str | None: ...
    def set(self, name: str, value: str) -> None: ...
    def delete(self, name: str) -> None: ...
    def names(self) -> list[str]: ...


class _Ring(Protocol):
    """The part of `keyring.backend.KeyringBackend` we use, typed (its metaclass wraps `set_password` untyped)."""

    def get_password(self, service: str, username: str) -> str | None: ...
    def set_password(self, service: str, username: str, password: str) -> None: ...
    def delete_password(self, service: str, username: str) -> None: ...


class _FileBackend:
    """One encrypted JSON object rather than a file per secret, so a write is one atomic replace and the set of
    names leaks nothing but the file's size."""

    name = "file"

    def __init__(self, home: Path) -> None:
        self._home = home
        self._dir = home / _SECRETS_DIR
        self._key_path = self._dir / _KEY_FILE
        self._data_path = self._dir / _DATA_FILE
        self._lock_path = self._dir / _LOCK_FILE
        self.location = str(self._data_path)

    def get(self, name: str) -> str | None:
        return self._read().get(name)

    def names(self) -> list[str]:
        return list(self._read())

    def set(self, name: str, value: str) -> None:
        self._prepare_dir()
        with _locked(self._lock_path, exclusive=True):
            values = self._load()
            values[name] = value
            self._save(values)

    def delete(self, name: str) -> None:
        if not self._dir.is_dir():
            return
        self._prepare_dir()
        with _locked(self._lock_path, exclusive=True):
            values = self._load()
            if values.pop(name, None) is not None:
                self._save(values)

    def _read(self) -> dict[str, str]:
        # Reading creates nothing: a server asking for a credential nobody stored must not litter the home.
        if not self._dir.is_dir():
            return {}
        self._prepare_dir()
        with _locked(self._lock_path, exclusive=False):
            return self._load()

    def _prepare_dir(self) -> None:
        _ensure_dir(self._home, enforce=False)
        _ensure_dir(self._dir, enforce=True)

    def _load(self) -> dict[str, str]:
        from cryptography.fernet import InvalidToken

        try:
            token = _read_private(self._data_path)
        except FileNotFoundError:
            return {}
        fernet = self._fernet(create=False)
        if fernet is None:
            raise _file_error(
                self._key_path,
                f"the credential file {self._data_path} exists but its key file {self._key_path} is missing, so the "
                "stored credentials cannot be decrypted.",
                f"Restore {self._key_path} from a backup, or delete {self._data_path} and store the credentials again.",
            )
        try:
            plaintext = fernet.decrypt(token)
        except InvalidToken:
            raise _file_error(
                self._data_path,
                f"cannot decrypt the credential file {self._data_path}: it is corrupt, or it was encrypted with a "
                f"different key than {self._key_path}.",
                f"Restore both files from the same backup, or delete {self._data_path} and store the credentials "
                "again.",
            ) from None
        values = _parse_values(plaintext)
        if values is None:
            raise _file_error(
                self._data_path,
                f"the credential file {self._data_path} decrypts but does not hold a JSON object of strings.",
                f"Delete {self._data_path} and store the credentials again.",
            )
        # Everything decrypted is now in this process's memory; mask all of it, not only what get() returns.
        for value in values.values():
            register_secret(value)
        return values

    def _save(self, values: dict[str, str]) -> None:
        fernet = self._fernet(create=True)
        assert fernet is not None  # create=True always yields a key or raises
        plaintext = json.dumps(values, sort_keys=True, separators=(",", ":")).encode("utf-8")
        _write_atomic(self._data_path, fernet.encrypt(plaintext))

    def _fernet(self, *, create: bool) -> Fernet | None:
        from cryptography.fernet import Fernet

        try:
            key = _read_private(self._key_path)
        except FileNotFoundError:
            if not create:
                return None
            key = self._create_key()
        try:
            return Fernet(key.strip())
        except ValueError:
            raise _file_error(
                self._key_path,
                f"the key file {self._key_path} does not hold a valid Fernet key.",
                f"Restore it from a backup; if it is lost, delete {self._key_path} and {self._data_path} and store "
                "the credentials again.",
            ) from None

    def _create_key(self) -> bytes:
        """O_EXCL, so that of two processes creating the key at once (say, one not sharing our lock because it is an
        older aide) exactly one wins and the other uses the winner's key instead of encrypting with its own."""
        from cryptography.fernet import Fernet

        key = Fernet.generate_key()
        try:
            fd = os.open(self._key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, _FILE_MODE)
        except FileExistsError:
            return _read_private(self._key_path)
        try:
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(handle.fileno(), _FILE_MODE)
                handle.write(key)
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            with contextlib.suppress(OSError):
                self._key_path.unlink()
            raise
        _fsync_dir(self._dir)
        logger.info("created the credential key file %s", self._key_path)
        return key


class _KeyringBackend:
    """Values live in the OS keyring under (service, name); the lock file in the home only serializes index updates
    between aide processes, since the keyring offers no transactions."""

    name = "keyring"

    def __init__(self, home: Path, service: str, ring: _Ring) -> None:
        self._home = home
        self._dir = home / _SECRETS_DIR
        self._service = service
        self._ring = ring
        self.location = f"{type(ring).__module__}.{type(ring).__name__}, service {service!r}"

    def get(self, name: str) -> str | None:
        with self._errors("read", name):
            return self._ring.get_password(self._service, name)

    def names(self) -> list[str]:
        return sorted(self._index())

    def set(self, name: str, value: str) -> None:
        with self._lock():
            # Value before index: a crash in between leaves an unlisted value, never a listed name with no value.
            with self._errors("store", name):
                self._ring.set_password(self._service, name, value)
            index = self._index()
            if name not in index:
                self._save_index(index | {name})

    def delete(self, name: str) -> None:
        from keyring.errors import PasswordDeleteError

        with self._lock():
            with self._errors("delete", name):
                try:
                    self._ring.delete_password(self._service, name)
                except PasswordDeleteError:
                    # Backends raise this both for "absent" and for real failures; only the latter leaves a value.
                    if self._ring.get_password(self._service, name) is not None:
                        raise
            index = self._index()
            if name in index:
                self._save_index(index - {name})

    def _index(self) -> set[str]:
        with self._errors("read", _INDEX_NAME):
            raw = self._ring.get_password(self._service, _INDEX_NAME)
        if raw is None:
            return set()
        try:
            parsed: object = json.loads(raw)
        except json.JSONDecodeError:
            parsed = None
        if not isinstance(parsed, list) or not all(isinstance(item, str) for item in cast(list[object], parsed)):
            raise ConfigError(
                f"the keyring entry {_INDEX_NAME!r} of service {self._service!r} (aide's list of credential names) is "
                "not a JSON list of names. Delete that entry with your keyring tool; the credentials themselves "
                "are kept, but must be stored again to be listed."
            )
        return set(cast(list[str], parsed))

    def _save_index(self, names: set[str]) -> None:
        with self._errors("store", _INDEX_NAME):
            self._ring.set_password(self._service, _INDEX_NAME, json.dumps(sorted(names)))

    @contextlib.contextmanager
    def _lock(self) -> Generator[None, None, None]:
        _ensure_dir(self._home, enforce=False)
        _ensure_dir(self._dir, enforce=True)
        with _locked(self._dir / _LOCK_FILE, exclusive=True):
            yield

    @contextlib.contextmanager
    def _errors(self, action: str, name: str) -> Generator[None, None, None]:
        """A locked or broken keyring becomes one clear ConfigError instead of a backend-specific traceback."""
        from keyring.errors import KeyringError

        try:
            yield
        except KeyringError as exc:
            detail = redact(str(exc)) or type(exc).__name__
            raise ConfigError(
                f"the OS keyring ({self.location}) could not {action} credential {name!r}: {detail}. Unlock the "
                "keyring, or set credential_backend to 'file'"
            ) from None


def _usable_keyring() -> _Ring | None:
    """A keyring only if it can really hold secrets: `keyring` falls back to backends that raise on every call
    (fail), drop every value (null, priority < 0) or chain nothing, and "auto" must then use the file instead."""
    try:
        import keyring
        from keyring.backends import chainer, fail

        ring = keyring.get_keyring()
        if isinstance(ring, fail.Keyring):
            return None
        if isinstance(ring, chainer.ChainerBackend) and not cast(list[object], ring.backends):
            return None
        priority = ring.priority
    except Exception as exc:  # a broken keyring config or D-Bus must not stop a server; the file backend works
        logger.debug("no usable OS keyring: %s: %s", type(exc).__name__, exc)
        return None
    return cast(_Ring, ring) if priority > 0 else None


# --- files ---------------------------------------------------------------------------------------------------------


def _check_name(name: str) -> None:
    if not name or name != name.strip():
        raise ValueError(f"invalid credential name {name!r}: it must be non-empty without surrounding whitespace")
    if name == _INDEX_NAME:
        raise ValueError(f"{_INDEX_NAME!r} is reserved for aide's own index of credential names")


def _parse_values(plaintext: bytes) -> dict[str, str] | None:
    try:
        parsed: object = json.loads(plaintext)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(parsed, dict):
        return None
    items = cast(dict[object, object], parsed)
    if not all(isinstance(key, str) and isinstance(value, str) for key, value in items.items()):
        return None
    return cast(dict[str, str], items)


def _file_error(path: Path, problem: str, fix: str) -> ConfigError:
    """Names the file (the user must act on it) and nothing from inside it (that would be the secret)."""
    error = ConfigError(f"{problem} {fix}")
    error.source = str(path)
    return error


def _read_token(path: Path) -> str | None:
    try:
        raw = _read_private(path)
    except FileNotFoundError:
        return None
    try:
        token = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        raise _file_error(
            path,
            f"the HTTP token file {path} does not hold a token.",
            "Delete it and a new token is generated at the next start (clients then need the new one).",
        ) from None
    return token or None


def _ensure_dir(path: Path, *, enforce: bool) -> None:
    """Creates `path` as 0700 whatever the umask. `enforce` also tightens an existing directory: always for the
    secrets directory, which is ours alone, but not for the home, which the user may have pointed somewhere shared."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            path.mkdir(mode=_DIR_MODE)
        except FileExistsError:
            if not path.is_dir():
                raise ConfigError(f"{path} exists but is not a directory. Move it away.") from None
            if not enforce:
                return
        if stat.S_IMODE(path.stat().st_mode) != _DIR_MODE:
            path.chmod(_DIR_MODE)
    except OSError as exc:  # the home's own checks (`settings.check_home`) catch most of these first
        raise AideError(
            f"cannot create {path} ({exc.strerror})", hint="Set AIDE_HOME to a folder you can write."
        ) from None


def _read_private(path: Path) -> bytes:
    """Reads a secret-bearing file, first tightening its mode if someone loosened it."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as handle:
        if stat.S_IMODE(os.fstat(handle.fileno()).st_mode) != _FILE_MODE:
            os.fchmod(handle.fileno(), _FILE_MODE)
        return handle.read()


def _write_atomic(path: Path, data: bytes) -> None:
    """Temp file in the same directory, fsync, rename: a crash leaves the old file or the new one, never half."""
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), _FILE_MODE)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    """Makes the rename itself durable, so a power cut cannot bring back the old file (or no key at all)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _locked(path: Path, *, exclusive: bool) -> Generator[None, None, None]:
    """flock, not an in-process lock: aide runs one process per server, and they share the store."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, _FILE_MODE)
    try:
        os.fchmod(fd, _FILE_MODE)
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
