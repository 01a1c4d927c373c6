"""Shared pieces of the command line: consoles, settings loading, server selection."""

from __future__ import annotations

from typing import Any

import typer
from mcp.server.mcpserver import MCPServer
from rich.console import Console

from aide_core.logs import configure_logging
from aide_core.registry import ServerEntry, select
from aide_core.settings import AideSettings, load_settings

console = Console(soft_wrap=True)
console_err = Console(stderr=True, soft_wrap=True)


def settings_or_exit(*, quiet: bool = True, sandbox: bool = False) -> AideSettings:
    """Settings, with logging set up from them (pointed at the API emulators, started in this process, with
    `sandbox`). `ConfigError` propagates to `main`, which exits 2.

    A one-shot command (`call`, `tools`, `config`, `doctor`) is `quiet`: at the default level it logs warnings and
    errors only, so a person reads its answer, not the SDK's INFO lines; `aide serve` logs at the configured level."""
    settings = load_settings()
    level = settings.log_level
    configure_logging("WARNING" if quiet and level.upper() == "INFO" else level)
    return start_sandbox(settings) if sandbox else settings


def report_unavailable(entries: list[ServerEntry]) -> None:
    """One line per named server that cannot run; a name that is no server at all lists the ones there are."""
    from aide_core.registry import installed

    for entry in entries:
        if entry.status == "unknown":
            names = ", ".join(installed()) or "none"
            console_err.print(f"aide: no server is named {entry.name!r} (servers: {names})", highlight=False)
            continue
        reason = f" ({entry.error})" if entry.error else ""
        console_err.print(f"[yellow]{entry.name}: {entry.status}{reason}", highlight=False)


def build_servers(names: list[str] | None, settings: AideSettings) -> dict[str, MCPServer]:
    """Build the chosen servers (default: all available and enabled); say which are not available. A name that is no
    server at all (a typo) ends the command with exit code 2, rather than going on with the others."""
    available, unavailable = select(names)
    if names:
        report_unavailable(unavailable)
        if any(entry.status == "unknown" for entry in unavailable):
            raise typer.Exit(2)
    built: dict[str, MCPServer] = {}
    for entry in available:
        assert entry.spec is not None
        if not names and not settings.server(entry.name).enabled:
            continue
        built[entry.name] = entry.spec.build(settings)
    return built


def one_server(name: str, settings: AideSettings) -> tuple[Any, MCPServer]:
    """The named server and its runtime (close the runtime when the command is done: it holds the server's upstream
    connections)."""
    available, unavailable = select([name])
    if not available:
        [entry] = unavailable
        if entry.status == "unknown":
            report_unavailable(unavailable)
        else:  # the command cannot go on: a failure, in the `aide: ` form
            reason = f" ({entry.error})" if entry.error else ""
            console_err.print(f"aide: {name} is {entry.status}{reason}", markup=False, highlight=False)
        raise typer.Exit(2)
    spec = available[0].spec
    assert spec is not None
    runtime = spec.make_runtime(settings)
    return runtime, spec.build(runtime=runtime)


def start_sandbox(settings: AideSettings) -> AideSettings:
    """Start the API emulators in this process and point every server at them (`aide_core.sandbox`); without
    aide-sandbox, a warning and the settings as they were (servers that need no account still run)."""
    from aide_core import sandbox

    started = sandbox.start_sandbox(settings)
    if started is None:
        console_err.print(
            "[yellow]sandbox: the API emulators are not available yet; servers that need no account still run.",
            highlight=False,
        )
    return started or settings
