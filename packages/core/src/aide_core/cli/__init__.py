"""The `aide` command: serve, tools, call, config, doctor; other packages add their own sub-commands
(`aide sandbox`, `aide memory`, `aide chat`, `aide auth`) through the `aide.commands` entry-point group.

Every command turns `ConfigError` into one line on stderr and exit code 2, never a traceback.

`main` is an entry point, so it configures logging (stderr only, secrets masked: `aide_core.logs`) before any
command runs; commands that read the settings set the configured level (`cli.common.settings_or_exit`). Importing
this package configures nothing.
"""

from __future__ import annotations

import sys
from importlib.metadata import entry_points

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


def _add_plugins() -> None:
    for point in entry_points(group="aide.commands"):
        try:
            sub = point.load()
        except Exception as exc:  # a broken plug-in must not take the command line down
            console_err.print(f"[yellow]aide: command '{point.name}' is unavailable ({type(exc).__name__}: {exc})")
            continue
        if isinstance(sub, typer.Typer):
            app.add_typer(sub, name=point.name)
        else:
            app.command(point.name)(sub)


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
