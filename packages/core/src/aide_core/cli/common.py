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


def settings_or_exit() -> AideSettings:
    """Settings, with logging set up from them. `ConfigError` propagates to `main`, which exits 2."""
    settings = load_settings()
    configure_logging(settings.log_level)
    return settings


def report_unavailable(entries: list[ServerEntry]) -> None:
    for entry in entries:
        reason = f" ({entry.error})" if entry.error else ""
        console_err.print(f"[yellow]{entry.name}: {entry.status}{reason}", highlight=False)


def build_servers(names: list[str] | None, settings: AideSettings) -> dict[str, MCPServer]:
    """Build the chosen servers (default: all available and enabled); say which are not available."""
    available, unavailable = select(names)
    if names:
        report_unavailable(unavailable)
    built: dict[str, MCPServer] = {}
    for entry in available:
        assert entry.spec is not None
        if not names and not settings.server(entry.name).enabled:
            continue
        built[entry.name] = entry.spec.build(settings)
    return built


def one_server(name: str, settings: AideSettings) -> tuple[Any, MCPServer]:
    available, unavailable = select([name])
    if not available:
        report_unavailable(unavailable)
        raise typer.Exit(2)
    spec = available[0].spec
    assert spec is not None
    return spec, spec.build(settings)
