"""The credential store keeps secrets encrypted, private and out of every log line, on either backend."""

from __future__ import annotations

import json
import logging
import os
import secrets
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import keyring
import pytest
from cryptography.fernet import Fernet
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyring.compat import properties
from keyring.errors import PasswordDeleteError

from aide_core import logs
from aide_core.credentials import CredentialStore, http_token, open_credentials
from aide_core.errors import ConfigError
from aide_core.settings import AideSettings, load_settings


def fresh_secret() -> str:
    """Random per test, so no earlier test can have registered it with the log masker."""
    return "sk-" + secrets.token_urlsafe(24)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


class MemoryKeyring(KeyringBackend):
    """A real keyring backend that keeps passwords in a dict. Its constructor takes an argument, so keyring's own
    discovery (which only instantiates backends that need none) can never pick it up in another test."""

    @properties.classproperty
    def priority(cls) -> float:
        return 1

    def __init__(self, entries: dict[tuple[str, str], str]) -> None:
        super().__init__()
        self.entries = entries

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.entries:
            raise PasswordDeleteError("no such password")
        del self.entries[(service, username)]


@pytest.fixture
def restore_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring(restore_keyring: None) -> dict[tuple[str, str], str]:
    entries: dict[tuple[str, str], str] = {}
    keyring.set_keyring(MemoryKeyring(entries))
    return entries


@pytest.fixture
def umask_zero() -> Iterator[None]:
    previous = os.umask(0)
    yield
    os.umask(previous)


# --- file backend --------------------------------------------------------------------------------------------------


def test_a_stored_secret_reads_back_unchanged(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path, backend="file")
    value = fresh_secret()
    store.set("gmail.refresh_token", value)
    assert store.backend_name == "file"
    assert store.get("gmail.refresh_token") == value
    store.set("gmail.refresh_token", value + "-rotated")
    assert store.get("gmail.refresh_token") == value + "-rotated"


def test_an_unknown_name_reads_as_none_and_creates_no_files(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path / "home", backend="file")
    assert store.get("notion.api_key") is None
    assert store.names() == []
    store.delete("notion.api_key")
    assert not (tmp_path / "home").exists()


def test_the_data_file_holds_ciphertext_that_the_key_file_decrypts(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path, backend="file")
    value = fresh_secret()
    store.set("twilio.auth_token", value)
    data = (tmp_path / "secrets" / "credentials.enc").read_bytes()
    key = (tmp_path / "secrets" / "key").read_bytes()
    assert value.encode() not in data
    assert b"twilio" not in data
    assert json.loads(Fernet(key).decrypt(data)) == {"twilio.auth_token": value}


def test_files_are_private_even_when_the_umask_is_zero(
    tmp_path: Path, settings: AideSettings, aide_env: Path, umask_zero: None
) -> None:
    home = tmp_path / "home"
    CredentialStore(home, backend="file").set("notion.api_key", fresh_secret())
    token_home = aide_env
    http_token(settings)
    assert mode(home) == 0o700
    assert mode(home / "secrets") == 0o700
    assert mode(home / "secrets" / "key") == 0o600
    assert mode(home / "secrets" / "credentials.enc") == 0o600
    assert mode(home / "secrets" / "lock") == 0o600
    assert mode(token_home) == 0o700
    assert mode(token_home / "http-token") == 0o600
    assert [p.name for p in (home / "secrets").iterdir() if p.name.endswith(".tmp")] == []


def test_loosened_modes_are_tightened_on_the_next_use(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path, backend="file")
    store.set("notion.api_key", fresh_secret())
    (tmp_path / "secrets").chmod(0o755)
    (tmp_path / "secrets" / "key").chmod(0o644)
    (tmp_path / "secrets" / "credentials.enc").chmod(0o644)
    store.get("notion.api_key")
    assert mode(tmp_path / "secrets") == 0o700
    assert mode(tmp_path / "secrets" / "key") == 0o600
    assert mode(tmp_path / "secrets" / "credentials.enc") == 0o600


def test_a_second_store_reads_what_the_first_wrote(tmp_path: Path) -> None:
    value = fresh_secret()
    CredentialStore(tmp_path, backend="file").set("calendar.refresh_token", value)
    other = CredentialStore(tmp_path, backend="file")
    assert other.get("calendar.refresh_token") == value
    other.set("gmail.refresh_token", value + "-2")
    assert CredentialStore(tmp_path, backend="file").names() == ["calendar.refresh_token", "gmail.refresh_token"]


def test_concurrent_writers_lose_no_update_and_share_one_key(tmp_path: Path) -> None:
    values = {f"server{i}.token": fresh_secret() for i in range(8)}
    barrier = threading.Barrier(len(values))
    errors: list[BaseException] = []

    def write(name: str, value: str) -> None:
        try:
            barrier.wait()
            CredentialStore(tmp_path, backend="file").set(name, value)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=item) for item in values.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    store = CredentialStore(tmp_path, backend="file")
    assert {name: store.get(name) for name in store.names()} == values


def test_delete_removes_a_secret_and_ignores_a_missing_one(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path, backend="file")
    store.set("a.token", fresh_secret())
    store.set("b.token", fresh_secret())
    store.delete("a.token")
    store.delete("a.token")
    store.delete("never.stored")
    assert store.get("a.token") is None
    assert store.names() == ["b.token"]


def test_names_are_sorted(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path, backend="file")
    for name in ("twilio.auth_token", "calendar.refresh_token", "notion.api_key"):
        store.set(name, fresh_secret())
    assert store.names() == ["calendar.refresh_token", "notion.api_key", "twilio.auth_token"]


def test_a_corrupt_data_file_raises_config_error_naming_the_file(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path, backend="file")
    value = fresh_secret()
    store.set("gmail.refresh_token", value)
    data_file = tmp_path / "secrets" / "credentials.enc"
    data_file.write_bytes(data_file.read_bytes()[:-10] + b"garbage!!!")
    with pytest.raises(ConfigError) as caught:
        store.get("gmail.refresh_token")
    assert str(data_file) in str(caught.value)
    assert caught.value.source == str(data_file)
    assert value not in str(caught.value)


def test_a_key_that_cannot_decrypt_the_data_raises_config_error(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path, backend="file")
    store.set("gmail.refresh_token", fresh_secret())
    (tmp_path / "secrets" / "key").write_bytes(Fernet.generate_key())
    with pytest.raises(ConfigError, match="cannot decrypt") as caught:
        store.names()
    assert str(tmp_path / "secrets" / "credentials.enc") in str(caught.value)


def test_a_missing_key_file_raises_config_error_instead_of_making_a_new_key(tmp_path: Path) -> None:
    store = CredentialStore(tmp_path, backend="file")
    store.set("gmail.refresh_token", fresh_secret())
    (tmp_path / "secrets" / "key").unlink()
    with pytest.raises(ConfigError, match=r"key file .* is missing"):
        store.set("other.token", fresh_secret())
    assert not (tmp_path / "secrets" / "key").exists()


def test_decrypted_values_are_registered_for_masking(tmp_path: Path) -> None:
    value = fresh_secret()
    (tmp_path / "secrets").mkdir(mode=0o700)
    key = Fernet.generate_key()
    (tmp_path / "secrets" / "key").write_bytes(key)
    (tmp_path / "secrets" / "credentials.enc").write_bytes(Fernet(key).encrypt(json.dumps({"x.token": value}).encode()))
    assert logs.redact(value) == value
    assert CredentialStore(tmp_path, backend="file").get("x.token") == value
    assert logs.redact(f"Bearer {value}") == "Bearer [secret]"


def test_open_credentials_uses_the_settings_home_and_backend(settings: AideSettings, aide_env: Path) -> None:
    store = open_credentials(settings)
    store.set("memory.key", fresh_secret())
    assert store.backend_name == "file"
    assert (aide_env / "secrets" / "credentials.enc").exists()


# --- HTTP token ----------------------------------------------------------------------------------------------------


def test_http_token_is_generated_once_and_stable(settings: AideSettings, aide_env: Path) -> None:
    token = http_token(settings)
    assert len(token) >= 40
    assert http_token(settings) == token
    assert http_token(load_settings()) == token
    token_file = aide_env / "http-token"
    assert token_file.read_text().strip() == token
    assert mode(token_file) == 0o600
    assert logs.redact(token) == "[secret]"


def test_a_configured_http_token_overrides_the_stored_one(
    settings: AideSettings, aide_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generated = http_token(settings)
    configured = fresh_secret()
    monkeypatch.setenv("AIDE_HTTP__TOKEN", configured)
    assert http_token(load_settings()) == configured
    assert (aide_env / "http-token").read_text().strip() == generated


# --- keyring backend -----------------------------------------------------------------------------------------------


def test_the_keyring_backend_stores_values_in_the_keyring_and_only_names_in_its_index(
    tmp_path: Path, memory_keyring: dict[tuple[str, str], str]
) -> None:
    store = CredentialStore(tmp_path, backend="keyring", service="aide-test")
    value = fresh_secret()
    store.set("gmail.refresh_token", value)
    store.set("notion.api_key", value + "-n")
    assert store.backend_name == "keyring"
    assert keyring.get_password("aide-test", "gmail.refresh_token") == value
    assert store.get("gmail.refresh_token") == value
    assert store.names() == ["gmail.refresh_token", "notion.api_key"]
    index = memory_keyring[("aide-test", "__aide_index__")]
    assert value not in index
    assert not (tmp_path / "secrets" / "credentials.enc").exists()

    other = CredentialStore(tmp_path, backend="keyring", service="aide-test")
    other.delete("gmail.refresh_token")
    other.delete("gmail.refresh_token")
    assert store.get("gmail.refresh_token") is None
    assert store.names() == ["notion.api_key"]
    assert ("aide-test", "gmail.refresh_token") not in memory_keyring


def test_auto_chooses_a_real_keyring(tmp_path: Path, memory_keyring: dict[tuple[str, str], str]) -> None:
    assert CredentialStore(tmp_path).backend_name == "keyring"


@pytest.mark.parametrize("ring", [fail.Keyring(), null.Keyring()], ids=["fail", "null"])
def test_auto_falls_back_to_the_file_when_no_real_keyring_is_present(
    tmp_path: Path, restore_keyring: None, ring: KeyringBackend
) -> None:
    keyring.set_keyring(ring)
    store = CredentialStore(tmp_path)
    store.set("gmail.refresh_token", fresh_secret())
    assert store.backend_name == "file"
    assert (tmp_path / "secrets" / "credentials.enc").exists()


def test_auto_falls_back_to_the_file_when_the_chainer_has_no_backends(
    tmp_path: Path, restore_keyring: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [])
    keyring.set_keyring(chainer.ChainerBackend())
    assert CredentialStore(tmp_path).backend_name == "file"


def test_asking_for_the_keyring_without_one_raises_config_error(tmp_path: Path, restore_keyring: None) -> None:
    keyring.set_keyring(fail.Keyring())
    with pytest.raises(ConfigError, match="credential_backend"):
        CredentialStore(tmp_path, backend="keyring")


# --- logging -------------------------------------------------------------------------------------------------------


def test_secrets_never_appear_in_debug_logs(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    aide_logging: Callable[[str], None],
) -> None:
    root = logging.getLogger()
    # A fresh aide handler bound to this test's captured stderr; aide_logging puts the process's logging back after.
    monkeypatch.setattr(root, "handlers", [h for h in root.handlers if not getattr(h, "_aide", False)])
    previous_level = root.level
    aide_logging("DEBUG")
    # caplog's handler formats with pytest's own formatter; give it aide's, as every aide handler has.
    caplog.handler.setFormatter(logs.RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    caplog.set_level(logging.DEBUG)
    try:
        value = fresh_secret()
        assert logs.redact(value) == value
        store = CredentialStore(tmp_path, backend="file")
        store.set("gmail.refresh_token", value)
        read = CredentialStore(tmp_path, backend="file").get("gmail.refresh_token")
        logging.getLogger("aide.test").debug("token is %s", read)
        logging.getLogger("httpx").debug("Authorization: Bearer %s", read)
    finally:
        root.setLevel(previous_level)

    stderr = capsys.readouterr().err
    assert "stored credential 'gmail.refresh_token'" in stderr
    for output in (stderr, caplog.text):
        assert value not in output
        assert "token is [secret]" in output
        assert "Authorization: Bearer [secret]" in output
