"""Settings: environment over file over defaults, and one clear message for a bad value."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from pydantic import Field

from aide_core import registry
from aide_core.errors import ConfigError
from aide_core.server import ServerSpec
from aide_core.settings import ServerSettings, load_settings


def write_config(text: str) -> Path:
    import os

    path = Path(os.environ["AIDE_CONFIG"])
    path.write_text(text)
    return path


def test_the_file_sets_values_per_server_and_the_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    write_config('log_level = "DEBUG"\n[gmail]\nconfirm = "token"\ndry_run = true\n[http]\nport = 9001\n')
    monkeypatch.setenv("AIDE_GMAIL__CONFIRM", "never")
    settings = load_settings()
    assert settings.log_level == "DEBUG"
    assert settings.server("gmail").confirm == "never"
    assert settings.server("gmail").dry_run is True
    assert settings.http.port == 9001
    assert settings.server("calendar").confirm == "elicit"


def test_data_lives_under_xdg_data_home_unless_aide_home_says_otherwise(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("AIDE_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert load_settings().home == tmp_path / "data" / "aide"
    monkeypatch.setenv("AIDE_HOME", str(tmp_path / "elsewhere"))
    assert load_settings().home == tmp_path / "elsewhere"


def test_a_bad_value_in_the_file_names_the_key_and_the_file() -> None:
    path = write_config('[gmail]\nconfirm = "sometimes"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert caught.value.key == "gmail.confirm"
    assert str(path) in str(caught.value)
    assert "'elicit', 'token' or 'never'" in str(caught.value)


def test_a_bad_environment_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIDE_HTTP__PORT", "eighty")
    with pytest.raises(ConfigError, match="environment variable AIDE_HTTP__PORT"):
        load_settings()


def test_cores_own_keys_come_from_the_environment_over_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """As pydantic-settings read them before (`_environment_core`): a table as JSON with single keys merged over it,
    lists as JSON or commas, variable names in any case, and the file's values below all of them."""
    write_config('log_level = "INFO"\ncredential_backend = "keyring"\n[http]\nport = 9001\nhost = "0.0.0.0"\n')
    monkeypatch.setenv("aide_log_level", "WARNING")
    monkeypatch.setenv("AIDE_HTTP", '{"port": 9100, "users": {"ann": "ann-token-123"}}')
    monkeypatch.setenv("AIDE_HTTP__PORT", "9200")
    monkeypatch.setenv("AIDE_HTTP__ALLOWED_HOSTS", "a.example:9200, b.example:9200")
    monkeypatch.setenv("AIDE_HTTP__ALLOWED_ORIGINS", '["https://c.example"]')
    settings = load_settings()
    # AIDE_CREDENTIAL_BACKEND=file, set for every test, wins over the file's "keyring"
    assert (settings.log_level, settings.credential_backend) == ("WARNING", "file")
    assert settings.http.model_dump() == {
        "host": "0.0.0.0", "port": 9200, "allowed_hosts": ["a.example:9200", "b.example:9200"],
        "allowed_origins": ["https://c.example"], "token": None, "users": {"ann": "ann-token-123"},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("AIDE_HTTP", "{port: 1}", "environment variable AIDE_HTTP: not a JSON object"),
        ("AIDE_HTTP", "[1, 2]", "environment variable AIDE_HTTP: not a JSON object"),
        ("AIDE_HTTP__USERS", "ann", "environment variable AIDE_HTTP__USERS"),
        ("AIDE_HTTP__NO_SUCH_KEY", "1", "environment variable AIDE_HTTP__NO_SUCH_KEY"),
        ("AIDE_LOG_LEVEL", "LOUD", "environment variable AIDE_LOG_LEVEL"),
    ],
)
def test_a_bad_core_variable_is_one_error_naming_it(
    variable: str, value: str, says: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert says in str(caught.value)
    assert "\n" not in str(caught.value)


def test_an_unknown_key_and_broken_toml_are_reported_not_ignored() -> None:
    write_config("[gmail]\nconfirm = 'token'\n[htpp]\nport = 1\n")
    with pytest.raises(ConfigError, match=r"setting .htpp..*no installed server has this name"):
        load_settings()
    path = write_config("[gmail\n")
    with pytest.raises(ConfigError, match="not valid TOML") as caught:
        load_settings()
    assert caught.value.source == str(path)


def test_the_command_line_prints_one_line_and_exits_2_without_a_traceback(aide_env: Path) -> None:
    path = write_config('[gmail]\nconfirm = "sometimes"\n')
    import os

    done = subprocess.run(
        [sys.executable, "-m", "aide_core.cli", "doctor"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("aide: invalid setting 'gmail.confirm' in " + str(path))


def test_a_misspelt_server_setting_is_an_error_not_a_silently_open_allowlist(monkeypatch: pytest.MonkeyPatch) -> None:
    from aide_core.settings import ServerSettings, server_settings

    path = write_config('[gmail]\nallow_recipents = ["me@example.com"]\n')
    with pytest.raises(ConfigError) as caught:
        server_settings(load_settings(), "gmail", ServerSettings)  # what building the server does
    assert caught.value.key == "gmail.allow_recipents" and str(path) in str(caught.value)
    assert "unknown setting" in str(caught.value)
    write_config("")
    monkeypatch.setenv("AIDE_GMAIL__CONFRM", "never")
    with pytest.raises(ConfigError, match="environment variable AIDE_GMAIL__CONFRM"):
        server_settings(load_settings(), "gmail", ServerSettings)


def test_list_settings_from_the_environment_take_json_or_commas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIDE_GMAIL__ALLOW_RECIPIENTS", "me@example.com, you@example.com")
    monkeypatch.setenv("AIDE_GMAIL__ALLOW_DOMAINS", '["example.org"]')
    monkeypatch.setenv("AIDE_GMAIL__DRY_RUN", "true")
    from aide_core.policy import EmailAllowlist
    from aide_core.settings import ServerSettings, server_settings

    class Mailish(ServerSettings, EmailAllowlist):
        pass

    gmail = server_settings(load_settings(), "gmail", Mailish)
    assert gmail.allow_recipients == ["me@example.com", "you@example.com"]
    assert gmail.allow_domains == ["example.org"] and gmail.dry_run is True


def test_a_server_validates_its_own_keys_with_its_own_model() -> None:
    from aide_core.settings import ServerSettings, server_settings

    class Memoryish(ServerSettings):
        user: str = "default"

    write_config('[memory]\nuser = "ann"\nconfirm = "token"\n')
    settings = load_settings()
    assert server_settings(settings, "memory", Memoryish).user == "ann"
    assert settings.server("memory").confirm == "token"


class NotesSettings(ServerSettings):
    notebook: str = "inbox"
    tags: list[str] = Field(default_factory=list)


notes_spec = ServerSpec[None]("notes", settings_model=NotesSettings)


@pytest.fixture
def notes_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A `notes` server registered as if a package of its own declared the entry point."""
    point = EntryPoint("notes", f"{__name__}:notes_spec", "aide.servers")
    real = registry.server_points
    monkeypatch.setattr(registry, "server_points", lambda: [*real(), point])


def test_a_server_from_another_package_gets_its_table_validated_by_its_own_model(
    notes_installed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config('[notes]\nnotebook = "work"\nconfirm = "token"\n')
    monkeypatch.setenv("AIDE_NOTES__TAGS", "a,b")
    settings = load_settings()
    notes = settings.server("notes")
    assert isinstance(notes, NotesSettings)
    assert (notes.notebook, notes.tags, notes.confirm) == ("work", ["a", "b"], "token")
    path = write_config('[notes]\nnotebok = "work"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert caught.value.key == "notes.notebok" and str(path) in str(caught.value)


def test_a_table_no_installed_server_owns_is_refused_naming_the_installed_ones(
    notes_installed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config('[nots]\nnotebook = "work"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert caught.value.key == "nots" and caught.value.source == str(path)
    assert str(caught.value).endswith(f"(installed: {', '.join(registry.installed())})")
    assert "notes" in registry.installed() and "gmail" in registry.installed()
    write_config("")
    monkeypatch.setenv("AIDE_NOTS__NOTEBOOK", "work")
    with pytest.raises(ConfigError, match="environment variables AIDE_NOTS__"):
        load_settings()


def test_the_command_line_refuses_a_table_no_server_owns_in_one_line(aide_env: Path) -> None:
    import os

    path = write_config("[nots]\nnotebook = 'work'\n")
    done = subprocess.run(
        [sys.executable, "-m", "aide_core.cli", "doctor"], capture_output=True, text=True, env=dict(os.environ)
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"aide: invalid setting 'nots' in {path}: no installed server has this name")
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_server_not_available_yet_may_have_a_table_of_the_shared_keys(planned_server: str) -> None:
    assert registry.load_one(planned_server).status == "not available yet"
    write_config("[planned]\nconfirm = 'token'\n")
    assert load_settings().server(planned_server).confirm == "token"
    write_config("[planned]\ncalendar_id = 'work'\n")
    with pytest.raises(ConfigError, match=r"'planned\.calendar_id'.*unknown setting"):
        load_settings()
