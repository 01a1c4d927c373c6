"""The `aide` command: serve, tools, call, config, doctor; other packages add their own sub-commands
(`aide sandbox`, `aide memory`, `aide chat`) through the `aide.commands` entry-point group, and their sign-in
commands under `aide auth` through the `aide.auth` group (`aide auth google` from aide_google, `aide auth <name>`
from any server's package): core owns the `auth` group so that two packages' sign-ins never replace each other.

Every command turns `ConfigError` into one line on stderr and exit code 2, never a traceback.

`main` is an entry point, so it configures logging (stderr only, secrets masked: `aide_core.logs`) before any
command runs; commands that read the settings set the configured level (`cli.common.settings_or_exit`). Importing
this package configures nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

import typer

from aide_core.cli import config as config_commands
from aide_core.cli import inspect as inspect_commands
from aide_core.cli import serve as serve_commands
from aide_core.cli.common import console_err
from aide_core.errors import AideError, ConfigError
from aide_core.logs import configure_logging

app = typer.Typer(
    name="aide",
    help="aide: a personal assistant assembled from MCP tool servers.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
app.command("serve")(serve_commands.serve)
app.command("tools")(inspect_commands.tools)
app.command("call", context_settings={"allow_extra_args": False})(inspect_commands.call)
app.add_typer(config_commands.config_app, name="config")
app.command("doctor")(config_commands.doctor)
auth_app = typer.Typer(name="auth", help="Sign in to the services aide talks to.", no_args_is_help=True)


def _add_plugins() -> None:
    for point in entry_points(group="aide.commands"):
        sub = _load(point.name, point.load)
        if isinstance(sub, typer.Typer):
            app.add_typer(sub, name=point.name)
        elif sub is not None:
            app.command(point.name)(sub)
    for point in entry_points(group="aide.auth"):
        sub = _load(f"auth {point.name}", point.load)
        if isinstance(sub, typer.Typer):
            # A package's sign-in group joins `aide auth` command by command (aide_google brings `google`, `list`
            # and `logout`), so `aide auth google` stays one word however many packages sign in.
            auth_app.registered_commands.extend(sub.registered_commands)
            auth_app.registered_groups.extend(sub.registered_groups)
        elif sub is not None:
            auth_app.command(point.name)(sub)
    if auth_app.registered_commands or auth_app.registered_groups:
        app.add_typer(auth_app, name="auth")


def _load(name: str, load: Callable[[], Any]) -> Any:
    try:
        return load()
    except Exception as exc:  # a broken plug-in must not take the command line down
        console_err.print(f"[yellow]aide: command '{name}' is unavailable ({type(exc).__name__}: {exc})")
        return None


def main() -> None:
    configure_logging()
    _add_plugins()
    try:
        app()
    except ConfigError as exc:
        console_err.print(f"aide: {exc}", markup=False, highlight=False)
        sys.exit(2)
    except AideError as exc:  # a store that cannot be opened, say: the message names the file and what to do
        console_err.print(f"aide: {exc}", markup=False, highlight=False)
        sys.exit(1)
