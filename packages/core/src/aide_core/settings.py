"""Settings: `AIDE_*` environment variables over a TOML file over defaults.

The file is `$XDG_CONFIG_HOME/aide/config.toml` (or `AIDE_CONFIG`). Top-level keys are global and `[http]` holds the
HTTP transport's settings: those are core's (`AideSettings`). Any other table is a server's (`[gmail]`, `[memory]`,
...): core names no server, so it finds the installed server of that name (`aide_core.registry`) and validates the
table with that server's settings model; a table no installed server owns is an error naming the installed ones.
Nested environment variables use a double underscore: `AIDE_GMAIL__CONFIRM=token`, `AIDE_HTTP__PORT=9000`.

Data lives under `$XDG_DATA_HOME/aide/` unless `AIDE_HOME` says otherwise.

A bad value never surfaces as a pydantic traceback: `load_settings` raises `ConfigError` naming the key and where it
came from (the file, or the environment variable), and the command-line entry points turn that into one line and
exit code 2.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, cast, get_origin

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, ValidationError

from aide_core.errors import AideError, ConfigError

ConfirmMode = Literal["elicit", "token", "never"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class ServerSettings(BaseModel):
    """What every server understands. A server subclasses this for its own keys; any other key is an error (a
    misspelt `allow_recipents` must not silently switch an allowlist off). Keys some servers share come as mixins
    with the policy that reads them (`aide_core.policy.EmailAllowlist`)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    confirm: ConfirmMode = Field(default="elicit", description="How side effects are confirmed.")
    dry_run: bool = Field(default=False, description="Side-effect tools only preview what they would do.")
    read_only: bool = Field(default=False, description="Hide every tool that acts on the world.")
    idempotency_window_seconds: float = Field(
        default=3600,
        gt=0,
        description="How long a repeated identical call (without an explicit key) replays the first result.",
    )
    confirmation_ttl_seconds: float = Field(default=600, gt=0, description="How long a confirmation token stays valid.")
    max_output_chars: int = Field(
        default=12_000, ge=500, description="Budget of one tool result's text, before a cursor."
    )
    base_url: str | None = Field(default=None, description="Upstream API root (the sandbox sets this).")
    tier: Literal["default", "extended"] = "default"
    trusted: bool = Field(default=False, description="Agent: run this server's write tools without asking.")


def _usable_token(value: str) -> str:
    """A bearer token that would let requests in without one, or that no client can send, is refused at start: an
    empty token matches a request with no Authorization header at all."""
    if not value.strip():
        raise ValueError("a token must not be empty or blank (any request would get in); set a long random one")
    if value != value.strip() or any(character.isspace() for character in value):
        raise ValueError("a token must not contain spaces (an HTTP client cannot send them back intact)")
    return value


Token = Annotated[str, AfterValidator(_usable_token)]


class HttpSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=0, le=65535)
    allowed_hosts: list[str] = Field(default_factory=list, description="Extra Host values to accept (host:port).")
    allowed_origins: list[str] = Field(default_factory=list, description="Extra Origin values to accept.")
    token: Token | None = Field(default=None, description="Bearer token; generated and stored on first run when unset.")
    users: dict[str, Token] = Field(
        default_factory=dict, description="More users, each with their own token: {name = token}; data is per user."
    )


def _upper(value: object) -> object:
    """Level names in any case (`log_level = "debug"`), as Python's logging spells them once read."""
    return value.upper() if isinstance(value, str) else value


def _xdg(variable: str, fallback: str) -> Path:
    value = os.environ.get(variable)
    return Path(value) if value else Path.home() / fallback


def default_config_file() -> Path:
    explicit = os.environ.get("AIDE_CONFIG")
    return Path(explicit) if explicit else _xdg("XDG_CONFIG_HOME", ".config") / "aide" / "config.toml"


def default_home() -> Path:
    explicit = os.environ.get("AIDE_HOME")
    return Path(explicit) if explicit else _xdg("XDG_DATA_HOME", ".local/share") / "aide"


class AideSettings(BaseModel):
    """Core's settings. Read them with `load_settings`, which merges the environment over the file: the environment
    is read by `_environment_core` rather than by pydantic-settings, whose import (about 11 ms: every settings
    source it ships, argparse and dotenv among them) every server paid at every start for four keys."""

    model_config = ConfigDict(extra="forbid")

    _config_file: Path | None = PrivateAttr(None)
    # The servers' tables, raw: each is validated by its server's own settings model (`server_settings`).
    _tables: dict[str, dict[str, Any]] = PrivateAttr(default_factory=dict[str, dict[str, Any]])

    home: Path = Field(
        default_factory=default_home,
        description="Where aide keeps its data: AIDE_HOME, else $XDG_DATA_HOME/aide (~/.local/share/aide); an empty "
        "AIDE_HOME counts as unset.",
    )
    log_level: Annotated[LogLevel, BeforeValidator(_upper)] = "INFO"
    credential_backend: Literal["auto", "keyring", "file"] = "auto"
    http: HttpSettings = Field(default_factory=HttpSettings)

    def table(self, name: str) -> dict[str, Any]:
        """The `[name]` table as written (file and environment merged), not validated."""
        return dict(self._tables.get(name, {}))

    @property
    def table_names(self) -> list[str]:
        return list(self._tables)

    def with_tables(self, **tables: dict[str, Any]) -> AideSettings:
        """A copy with these servers' tables replaced (settings made in code, as the sandbox makes them: unlike the
        file's, these are validated only when their server is built)."""
        copy = self.model_copy()
        copy._tables = self._tables | tables
        return copy

    def server(self, name: str) -> ServerSettings:
        """The `[name]` table validated by the installed server's own model (the shared keys alone when no server
        of that name loads)."""
        from aide_core.registry import settings_model  # the registry imports servers, which import this module

        return server_settings(self, name, settings_model(name) or ServerSettings)

    @property
    def config_file(self) -> Path:
        """The file these settings were read from (it need not exist)."""
        return self._config_file or default_config_file()


def read_config_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"the file is not valid TOML ({exc})", source=str(path)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"the file is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start}); save it as UTF-8",
            source=str(path),
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read the file ({exc.strerror})", source=str(path)) from None


def load_settings(config_file: Path | None = None, *, check_tables: bool = True) -> AideSettings:
    """Read the environment and the config file; raise `ConfigError` naming the first bad key and its source.

    Every server table must belong to an installed server. With `check_tables` (the default) each is also validated
    by its server's model now, which imports those servers' declarations; a process that serves one server passes
    False, so others' tables cost it nothing, and its own is validated when it builds."""
    path = config_file or default_config_file()
    values = read_config_file(path)
    tables: dict[str, dict[str, Any]] = {
        name: cast(dict[str, Any], value)
        for name, value in values.items()
        if name not in _CORE_KEYS and isinstance(value, dict)
    }
    core = {key: value for key, value in values.items() if key not in tables}
    try:
        settings = AideSettings.model_validate(_merged(core, _environment_core()))
    except ValidationError as exc:
        raise _config_error(exc, values, path) from None
    for name, table in _environment_tables().items():
        tables[name] = _merged(tables.get(name, {}), table)
    settings._config_file = path  # pyright: ignore[reportPrivateUsage]  # set once, by the only constructor
    settings._tables = tables  # pyright: ignore[reportPrivateUsage]
    _check_owners(settings, values, path, validate=check_tables)
    check_home(settings.home)
    return settings


def check_home(home: Path) -> None:
    """Raise `AideError` (one line and exit code 1 at the command line) when aide could not keep its data in `home`:
    it is a file, or a folder aide may not write, or it is missing and cannot be created there. Checked once, as the
    settings are read, so that every command says so in one line rather than failing wherever it first writes.
    Nothing is created: a command that never writes (a listing) leaves no folder behind."""
    reason: str | None = None
    if home.exists():
        if not home.is_dir():
            reason = "it is a file, not a folder"
        elif not os.access(home, os.R_OK | os.W_OK | os.X_OK):
            reason = "you may not read and write it"
    else:
        parent = next((above for above in home.parents if above.exists()), None)
        if parent is not None and not parent.is_dir():
            reason = f"{parent} is a file, not a folder"
        elif parent is not None and not os.access(parent, os.W_OK | os.X_OK):
            reason = f"it cannot be created: you may not write {parent}"
    if reason is not None:
        raise home_error(home, reason)


def home_error(home: Path, reason: str) -> AideError:
    return AideError(f"cannot use {home} as aide's home ({reason})", hint="Set AIDE_HOME to a folder you can write.")


_CORE_KEYS = frozenset(AideSettings.model_fields)


def _environment_core() -> dict[str, Any]:
    """Core's keys from `AIDE_<KEY>` and `AIDE_<TABLE>__<KEY>` variables (names in any case), as pydantic-settings
    read them: a table (`AIDE_HTTP`) or a list or mapping is JSON, a list may also be comma-separated, anything else
    is the string pydantic then validates; `AIDE_HTTP__PORT` is merged over `AIDE_HTTP`."""
    found: dict[str, Any] = {}
    for variable, value in sorted(os.environ.items(), key=lambda item: item[0].count("__")):
        upper = variable.upper()
        if not upper.startswith("AIDE_"):
            continue
        name, *keys = upper.removeprefix("AIDE_").lower().split("__")
        field = AideSettings.model_fields.get(name)
        if field is None and not keys:
            _check_not_misplaced(variable, name)
        if field is None or not all(keys):
            continue
        if name == "home" and not keys and not value:
            continue  # an empty AIDE_HOME is unset (the default home), not the current folder
        model = field.annotation if isinstance(field.annotation, type) else None
        if model is not None and issubclass(model, BaseModel):
            if not keys:
                found[name] = _merged(_json_table(variable, value), cast(dict[str, Any], found.get(name) or {}))
                continue
            node = found.setdefault(name, {})
            if not isinstance(node, dict):
                continue
            for key in keys[:-1]:
                node = cast(dict[str, Any], node).setdefault(key, {})
            cast(dict[str, Any], node)[keys[-1]] = _from_env(model, keys[0], value) if len(keys) == 1 else value
        elif not keys:
            found[name] = _from_env(AideSettings, name, value)
    return found


def _check_not_misplaced(variable: str, name: str) -> None:
    """`AIDE_PORT` or `AIDE_CONFIRM` names a key of a table, not a global setting: said, rather than ignored (other
    `AIDE_` variables, such as `AIDE_CONFIG` or those other packages read, are not settings and are left alone)."""
    if name in HttpSettings.model_fields:
        raise ConfigError(
            f"unknown setting; the HTTP server's {name} is AIDE_HTTP__{name.upper()}",
            key=name,
            source=f"environment variable {variable}",
        )
    if name in ServerSettings.model_fields:
        raise ConfigError(
            f"unknown setting; a server's {name} is AIDE_<SERVER>__{name.upper()} (AIDE_<SERVER> takes a JSON table)",
            key=name,
            source=f"environment variable {variable}",
        )


def _json_table(variable: str, value: str) -> dict[str, Any]:
    try:
        table = json.loads(value)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"not a JSON object ({exc.msg})", source=f"environment variable {variable}") from None
    if not isinstance(table, dict):
        raise ConfigError("not a JSON object", source=f"environment variable {variable}")
    return cast(dict[str, Any], table)


def _environment_tables() -> dict[str, dict[str, Any]]:
    """Servers' tables from `AIDE_<NAME>` (a JSON table, as `AIDE_HTTP`) and `AIDE_<NAME>__<KEY>[__<KEY>...]`
    variables (merged over it), whose NAME is not one of core's keys; names lower-case, as pydantic-settings reads
    core's own variables. `AIDE_<NAME>` is a table only when NAME is an installed server (`AIDE_CONFIG` and the
    variables other packages read are not settings), and then it must be a JSON object."""
    tables: dict[str, dict[str, Any]] = {}
    whole: dict[str, tuple[str, str]] = {}
    for variable, value in os.environ.items():
        upper = variable.upper()
        if not upper.startswith("AIDE_"):
            continue
        name, *keys = upper.removeprefix("AIDE_").lower().split("__")
        if not name or name in _CORE_KEYS or not all(keys):
            continue
        if not keys:
            if name not in _NOT_TABLES:
                whole[name] = (variable, value)
            continue
        node = tables.setdefault(name, {})
        for key in keys[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                child = node[key] = {}
            node = cast(dict[str, Any], child)
        node[keys[-1]] = value
    if whole:
        from aide_core.registry import installed  # the registry imports servers, which import this module

        servers = set(installed())
        for name, (variable, value) in whole.items():
            if name in servers:
                tables[name] = _merged(_json_table(variable, value), tables.get(name, {}))
    return tables


# `AIDE_` variables that are not settings: read before the settings are (the config file's path).
_NOT_TABLES = frozenset({"config"})


def _merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        below = merged.get(key)
        if isinstance(value, dict) and isinstance(below, dict):
            merged[key] = _merged(cast(dict[str, Any], below), cast(dict[str, Any], value))
        else:
            merged[key] = value
    return merged


def _check_owners(settings: AideSettings, file_values: dict[str, Any], path: Path, *, validate: bool) -> None:
    from aide_core.registry import installed, settings_model  # the registry imports servers, which import this

    if not settings.table_names:
        return
    names = installed()
    for name in settings.table_names:
        if name not in names:
            source = str(path) if name in file_values else f"environment variables AIDE_{name.upper()}__*"
            raise ConfigError(
                f"no installed server has this name (installed: {', '.join(names) or 'none'})", key=name, source=source
            )
        model = settings_model(name) if validate else None
        if model is not None:
            server_settings(settings, name, model)


SettingsT = TypeVar("SettingsT", bound=ServerSettings)


def server_settings(
    settings: AideSettings, name: str, model: type[SettingsT], table: dict[str, Any] | None = None
) -> SettingsT:
    """A server's table validated by its own model, so its own keys get the same clear errors as the global ones.

    Values from environment variables arrive as strings: a list or table setting may be given as JSON
    (`'["a@x.org", "b@x.org"]'`) or, for a list, comma-separated (`a@x.org,b@x.org`)."""
    raw = {
        key: _from_env(model, key, value) for key, value in (settings.table(name) if table is None else table).items()
    }
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        path = settings.config_file
        raise _config_error(exc, read_config_file(path), path, prefix=(name,)) from None


def _from_env(model: type[BaseModel], key: str, value: Any) -> Any:
    field = model.model_fields.get(key)
    if field is None or not isinstance(value, str):
        return value
    origin = get_origin(field.annotation)
    if origin not in (list, dict):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return [part.strip() for part in value.split(",") if part.strip()] if origin is list else value


def _config_error(
    exc: ValidationError, file_values: dict[str, Any], path: Path, prefix: tuple[str, ...] = ()
) -> ConfigError:
    error = exc.errors()[0]
    location = prefix + tuple(str(part) for part in error["loc"])
    key = ".".join(location)
    env_name = "AIDE_" + "__".join(part.upper() for part in location)
    # The variable that set it: AIDE_HTTP__PORT, or the JSON table AIDE_HTTP that holds it.
    given = ["AIDE_" + "__".join(part.upper() for part in location[:end]) for end in range(len(location), 0, -1)]
    setting = next((name for name in given if name in os.environ), None)
    if setting is not None:
        source = f"environment variable {setting}"
    elif _lookup(file_values, location):
        source = str(path)
    else:
        source = f"{path} (or environment variable {env_name})"
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = "unknown setting"
    elif error["type"] == "value_error":
        message = message.removeprefix("Value error, ")  # our own validators' text, without pydantic's prefix
    return ConfigError(message, key=key, source=source)


def _lookup(values: dict[str, Any], location: tuple[str, ...]) -> bool:
    node: Any = values
    for part in location:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]  # pyright: ignore[reportUnknownVariableType]
    return True
