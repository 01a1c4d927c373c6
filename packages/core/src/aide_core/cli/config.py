"""`aide config` (where things are, the HTTP token, host configurations) and `aide doctor`."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.table import Table

from aide_core.cli.common import console, report_unavailable, settings_or_exit
from aide_core.registry import discover, select
from aide_core.settings import AideSettings

config_app = typer.Typer(help="Show aide's configuration and host configurations.", invoke_without_command=True)


@config_app.callback()
def show(ctx: typer.Context) -> None:
    """Where aide reads its settings and keeps its data, the HTTP token, and each server's settings."""
    if ctx.invoked_subcommand is not None:
        return
    from aide_core.credentials import http_token, open_credentials

    settings = settings_or_exit()
    exists = "" if settings.config_file.exists() else " (not created yet; defaults apply)"
    console.print(f"config file:   {settings.config_file}{exists}", highlight=False)
    console.print(f"data:          {settings.home}", highlight=False)
    console.print(f"credentials:   {open_credentials(settings).backend_name}", highlight=False)
    console.print(f"http:          {settings.http.host}:{settings.http.port}", highlight=False)
    console.print(f"http token:    {http_token(settings)}", highlight=False)
    for name, entry in discover().items():
        if entry.status != "available":
            console.print(f"[{name}]  {entry.status}", highlight=False, markup=False)
            continue
        values = settings.server(name).model_dump(exclude_defaults=True)
        shown = ", ".join(f"{k}={v!r}" for k, v in values.items()) or "defaults"
        console.print(f"[{name}]  {shown}", highlight=False, markup=False)


def claude_desktop_config(
    names: list[str] | None = None, settings: AideSettings | None = None, *, sandbox: bool = False
) -> dict[str, Any]:
    """`mcpServers` entries that spawn each available server over stdio with this Python: no uv in the loop, so
    start-up is as fast as the server itself. Each carries `env` naming this data folder and config file: a host
    spawns servers with its own environment, where `AIDE_HOME` is unset, and would otherwise read another folder
    (memory would look empty). With `sandbox`, each server starts the API emulators in its own process, on the
    one sandbox state of that data folder (`<home>/sandbox`): no account needed."""
    env = {} if settings is None else {"AIDE_HOME": str(settings.home), "AIDE_CONFIG": str(settings.config_file)}
    servers: dict[str, Any] = {}
    for name, entry in discover().items():
        if entry.status != "available" or (names and name not in names):
            continue
        args = ["-m", "aide_core.launch", name, *(["--sandbox"] if sandbox else [])]
        server: dict[str, Any] = {"command": sys.executable, "args": args}
        servers[f"aide-{name}"] = server | ({"env": env} if env else {})
    return {"mcpServers": servers}


@config_app.command("claude-desktop")
def claude_desktop(
    servers: Annotated[list[str] | None, typer.Argument(help="Servers to include (default: all available).")] = None,
    sandbox: Annotated[
        bool, typer.Option("--sandbox", help="Servers that run against local emulators: no account needed.")
    ] = False,
) -> None:
    """Print the mcpServers JSON for Claude Desktop's claude_desktop_config.json."""
    settings = settings_or_exit()
    if servers:  # a name that is no server (a typo) ends it with exit code 2, as `serve`, `tools` and `call` do
        _, unavailable = select(servers)
        report_unavailable(unavailable)
        if any(entry.status == "unknown" for entry in unavailable):
            raise typer.Exit(2)
    sys.stdout.write(json.dumps(claude_desktop_config(servers, settings, sandbox=sandbox), indent=2) + "\n")


def doctor(
    sandbox: Annotated[bool, typer.Option("--sandbox", help="Against local emulators: no account needed.")] = False,
) -> None:
    """One line per server: configuration, credentials, reachability."""
    settings = settings_or_exit(sandbox=sandbox)
    table = Table()
    for column in ("server", "status", "configuration", "credentials", "reachability"):
        table.add_column(column, no_wrap=column in ("server", "status"))  # one line per server, whatever the width
    for name, entry in discover().items():
        if entry.spec is None:
            table.add_row(name, entry.status, "-", "-", "-", style="dim")
            continue
        try:
            runtime = entry.spec.make_runtime(settings)
        except Exception as exc:
            table.add_row(name, "available", f"[red]{exc}", "-", "-")
            continue
        configuration = "enabled" if runtime.config.enabled else "disabled"
        if runtime.config.read_only:
            configuration += ", read-only"
        problem = entry.spec.configuration_problem(runtime)
        credentials = f"[red]{problem}" if problem else ("ok" if entry.spec.configure_command else "none needed")
        reach = entry.spec.reachability(runtime)
        table.add_row(name, "available", configuration, credentials, reach)
    console.print(table)
