"""Settings: `AIDE_*` environment variables over a TOML file over defaults.

The file is `$XDG_CONFIG_HOME/aide/config.toml` (or `AIDE_CONFIG`). Top-level keys are global; a table per server
(`[gmail]`, `[memory]`, ...) holds that server's settings, and `[http]` the HTTP transport's. Nested environment
variables use a double underscore: `AIDE_GMAIL__CONFIRM=token`, `AIDE_HTTP__PORT=9000`.

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

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, SettingsError

from aide_core.errors import ConfigError

ConfirmMode = Literal["elicit", "token", "never"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

#: The servers aide ships (or will ship). Each has a table in the config file and `AIDE_<NAME>__*` variables.
SERVER_NAMES: tuple[str, ...] = ("gmail", "calendar", "notion", "twilio", "memory", "activity")


class ServerSettings(BaseModel):
    """What every server understands. A server subclasses this for its own keys; any other key is an error (a
    misspelt `allow_recipents` must not silently switch an allowlist off)."""

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


def _xdg(variable: str, fallback: str) -> Path:
    value = os.environ.get(variable)
    return Path(value) if value else Path.home() / fallback


def default_config_file() -> Path:
    explicit = os.environ.get("AIDE_CONFIG")
    return Path(explicit) if explicit else _xdg("XDG_CONFIG_HOME", ".config") / "aide" / "config.toml"


def default_home() -> Path:
    explicit = os.environ.get("AIDE_HOME")
    return Path(explicit) if explicit else _xdg("XDG_DATA_HOME", ".local/share") / "aide"


class AideSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AIDE_", env_nested_delimiter="__", extra="forbid")

    _config_file: Path | None = PrivateAttr(None)

    home: Path = Field(default_factory=default_home)
    log_level: LogLevel = "INFO"
    credential_backend: Literal["auto", "keyring", "file"] = "auto"
    http: HttpSettings = Field(default_factory=HttpSettings)
    # A server's table is kept raw here and validated by that server's own settings model (`server_settings`),
    # which knows its extra keys; the common keys can be read without it (`server`).
    gmail: dict[str, Any] = Field(default_factory=dict)
    calendar: dict[str, Any] = Field(default_factory=dict)
    notion: dict[str, Any] = Field(default_factory=dict)
    twilio: dict[str, Any] = Field(default_factory=dict)
    memory: dict[str, Any] = Field(default_factory=dict)
    activity: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # load_settings passes the file's values as init kwargs: listing them last lets the environment win.
        return (env_settings, init_settings)

    def table(self, name: str) -> dict[str, Any]:
        value = getattr(self, name, None)
        return cast(dict[str, Any], value) if isinstance(value, dict) else {}

    def server(self, name: str) -> ServerSettings:
        """The keys every server shares (a server's own keys are validated by `server_settings`)."""
        common = {k: v for k, v in self.table(name).items() if k in ServerSettings.model_fields}
        return server_settings(self, name, ServerSettings, common)

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
    except OSError as exc:
        raise ConfigError(f"cannot read the file ({exc.strerror})", source=str(path)) from None


def load_settings(config_file: Path | None = None) -> AideSettings:
    """Read the environment and the config file; raise `ConfigError` naming the first bad key and its source."""
    path = config_file or default_config_file()
    values = read_config_file(path)
    try:
        settings = AideSettings(**values)
    except ValidationError as exc:
        raise _config_error(exc, values, path) from None
    except SettingsError as exc:  # an environment value pydantic-settings could not even parse
        raise ConfigError(str(exc), source="the environment") from None
    settings._config_file = path  # pyright: ignore[reportPrivateUsage]  # set once, by the only constructor
    for name in SERVER_NAMES:
        settings.server(name)  # the shared keys of every table are checked now; a server checks its own at build
    return settings


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
    if env_name in os.environ:
        source = f"environment variable {env_name}"
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
