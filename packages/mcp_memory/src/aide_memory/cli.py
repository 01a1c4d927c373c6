"""`aide memory import` and `aide memory export`."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from aide_core.logs import configure_logging
from aide_core.settings import load_settings, server_settings

if TYPE_CHECKING:
    from rich.progress import Progress

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
    from_: Annotated[
        Literal["reference", "aide"],
        typer.Option("--from", help="Its format: the reference memory server's memory.jsonl, or `aide memory export`."),
    ] = "reference",
    user: Annotated[str | None, typer.Option(help="Whose memories (default: the configured user).")] = None,
    namespace: Annotated[str | None, typer.Option(help="Namespace to import into.")] = None,
) -> None:
    """Import the reference MCP memory server's memory.jsonl, or restore a backup made by `aide memory export`."""
    with _one_line_on_failure(path):
        if from_ == "aide":
            _restore(path, user, namespace)
        else:
            _import_reference(path, user, namespace)


@contextmanager
def _one_line_on_failure(path: Path, doing: str = "read") -> Iterator[None]:
    """A bad file, one that can't be read or written, or a store that cannot be opened: one line saying so, exit 1.
    `doing` is what the command does with `path` ("read" for an import, "write" for an export)."""
    from aide_core.errors import AideError

    try:
        yield
    except AideError as exc:
        typer.echo(f"aide memory: {exc}", err=True)
        raise typer.Exit(1) from None
    except BrokenPipeError:  # `aide memory export | head -1`: the reader has what it wanted, so nothing to say
        # Python's flush of stdout at exit would fail again and print a warning: point stdout at nothing (the way
        # the Python docs suggest for SIGPIPE).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(1) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        where = "standard output" if str(path) == "-" else str(path)
        typer.echo(f"aide memory: cannot {doing} {where} ({reason}).", err=True)
        raise typer.Exit(1) from None


def _progress(path: Path) -> Progress:
    """A bar on a terminal only (a pipe or a log gets the final line alone), by the file's bytes: embedding a large
    import takes a while."""
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    return Progress(
        TextColumn("importing"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
        console=console, transient=True, disable=not console.is_terminal,
    )  # fmt: skip


def _import_reference(path: Path, user: str | None, namespace: str | None) -> None:
    from aide_memory.transfer import batches, read_reference_graph

    state = _state(user, namespace)
    stored = merged = 0
    with path.open("rb") as sizes, _progress(path) as progress:
        task = progress.add_task("import", total=path.stat().st_size)
        for batch in batches(read_reference_graph(path, position=sizes)):
            vectors, model = state.vectors_for([item.content for item in batch])
            _, flags = state.store.remember(state.scope(), batch, vectors, model)
            stored += flags.count(False)
            merged += flags.count(True)
            progress.update(task, completed=sizes.tell())
    noun = "memory" if stored == 1 else "memories"
    typer.echo(f"imported {stored} {noun} ({merged} merged into existing ones) from {path}", err=True)


def _restore(path: Path, user: str | None, namespace: str | None) -> None:
    from aide_memory.transfer import check_backup, read_export

    state = _state(user, namespace)
    records = list(read_export(path))  # all checked before anything is written: a bad line restores nothing
    check_backup(records, lambda memory_id: not state.store.get(state.scope(), [memory_id])[1])
    restored = present = merged = 0
    renamed: dict[str, str] = {}  # ids another user of this database holds, and the new ones given here
    with _progress(path) as progress:
        task = progress.add_task("import", total=len(records))
        for start in range(0, len(records), 100):
            batch = records[start : start + 100]
            vectors, model = state.vectors_for([record.content for record in batch])
            done = state.store.restore(state.scope(), batch, vectors, model, renamed)
            restored, present, merged = restored + done[0], present + done[1], merged + done[2]
            progress.update(task, completed=start + len(batch))
    noun = "memory" if restored == 1 else "memories"
    typer.echo(
        f"restored {restored} {noun} from {path} ({present} already there, {merged} merged into existing ones)",
        err=True,
    )


@app.command("export")
def export(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")] = None,
    history: Annotated[
        bool,
        typer.Option(
            "--history/--current-only",
            help="Include superseded and forgotten versions (the default: a whole backup), or only current ones.",
        ),
    ] = True,
    user: Annotated[str | None, typer.Option(help="Whose memories (default: the configured user).")] = None,
    namespace: Annotated[str | None, typer.Option(help="Namespace to export.")] = None,
) -> None:
    """Export memories as JSON Lines: a backup that `aide memory import --from aide` restores."""
    with _one_line_on_failure(output or Path("-"), "write"):
        count = _export(output, history, user, namespace)
    typer.echo(f"exported {count} {'memory' if count == 1 else 'memories'}", err=True)


def _export(output: Path | None, history: bool, user: str | None, namespace: str | None) -> int:
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
    return count
