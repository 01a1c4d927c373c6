"""`aide memory import` and `aide memory export`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from aide_core.logs import configure_logging
from aide_core.settings import load_settings, server_settings

if TYPE_CHECKING:
    from aide_memory.server import MemoryState

app = typer.Typer(help="Move memories in and out of aide-memory.", no_args_is_help=True)


def _state(user: str | None, namespace: str | None) -> MemoryState:
    from aide_memory.server import MemorySettings, MemoryState, spec

    settings = load_settings()
    configure_logging(settings.log_level)  # a command: an entry point, which may configure logging
    config = server_settings(settings, "memory", MemorySettings)
    updates = {k: v for k, v in (("user", user), ("namespace", namespace)) if v is not None}
    runtime = spec.make_runtime(settings, config.model_copy(update=updates))
    return MemoryState(runtime)


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The file to import.")],
    from_: Annotated[Literal["reference"], typer.Option("--from", help="Its format.")] = "reference",
    user: Annotated[str | None, typer.Option(help="Whose memories (default: the configured user).")] = None,
    namespace: Annotated[str | None, typer.Option(help="Namespace to import into.")] = None,
) -> None:
    """Import the reference MCP memory server's memory.jsonl (entities, observations, relations)."""
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    from aide_memory.transfer import batches, read_reference_graph

    state = _state(user, namespace)
    stored = merged = 0
    console = Console(stderr=True)
    # A bar on a terminal only (a pipe or a log gets the final line alone), by the file's bytes: embedding a large
    # import with the local model takes minutes.
    with (
        path.open("rb") as sizes,
        Progress(
            TextColumn("importing"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
            console=console, transient=True, disable=not console.is_terminal,
        ) as progress,
    ):  # fmt: skip
        task = progress.add_task("import", total=path.stat().st_size)
        for batch in batches(read_reference_graph(path, position=sizes)):
            vectors, model = state.vectors_for([item.content for item in batch])
            _, flags = state.store.remember(state.scope(), batch, vectors, model)
            stored += flags.count(False)
            merged += flags.count(True)
            progress.update(task, completed=sizes.tell())
    noun = "memory" if stored == 1 else "memories"
    typer.echo(f"imported {stored} {noun} ({merged} merged into existing ones) from {path}", err=True)


@app.command("export")
def export(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")] = None,
    history: Annotated[bool, typer.Option("--history", help="Include superseded and forgotten versions.")] = False,
    user: Annotated[str | None, typer.Option(help="Whose memories (default: the configured user).")] = None,
    namespace: Annotated[str | None, typer.Option(help="Namespace to export.")] = None,
) -> None:
    """Export memories as JSON Lines."""
    from aide_memory.transfer import export_lines

    state = _state(user, namespace)
    target = output.open("w", encoding="utf-8") if output else sys.stdout
    count = 0
    try:
        for line in export_lines(state.store, state.scope(), history=history):
            target.write(line + "\n")
            count += 1
    finally:
        if output:
            target.close()
    typer.echo(f"exported {count} {'memory' if count == 1 else 'memories'}", err=True)
