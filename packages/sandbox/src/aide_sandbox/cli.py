"""`aide sandbox serve | seed | reset`: run the emulators, and manage their state.

Run without a terminal they never prompt; whatever a person can get wrong (a port in use or out of range, an
address not this machine's, a state folder that cannot be written, a state file that is not a database) is one line
on stderr saying what to do, exit code 2 for an option that cannot be right and 1 for the rest, never a traceback.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from aide_core.errors import AideError

if TYPE_CHECKING:
    from aide_sandbox.app import Sandbox

app = typer.Typer(help="Local emulators of the cloud APIs aide talks to (no account needed).", no_args_is_help=True)

StateOption = Annotated[
    Path | None, typer.Option("--state", help="Directory of the sandbox's SQLite state (default: <aide home>/sandbox).")
]


def _state(state: Path | None) -> Path:
    if state is not None:
        return state
    from aide_core.settings import load_settings

    return load_settings().home / "sandbox"


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"aide sandbox: {message}", err=True)
    return typer.Exit(code)


@contextmanager
def _said() -> Iterator[None]:
    """An `AideError` (a socket or a state that cannot be used) as one line and exit code 1."""
    try:
        yield
    except AideError as exc:
        raise _fail(str(exc), 1) from None


def _open(directory: Path, *, fresh: bool = False) -> Sandbox:
    """The sandbox on `directory`; with `fresh`, a state file that is not a database is deleted first (what `reset`
    is for: its data is lost either way)."""
    from aide_sandbox.app import DB_NAME, Sandbox
    from aide_sandbox.db import DamagedState

    try:
        return Sandbox(directory)
    except DamagedState:
        if not fresh:
            raise
    for name in (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm"):
        (directory / name).unlink(missing_ok=True)
    return Sandbox(directory)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind (loopback only makes sense).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0 picks a free one).")] = 8766,
    state: StateOption = None,
    seed: Annotated[
        bool, typer.Option("--seed/--no-seed", help="Seed an empty state, or one seeded for an earlier day.")
    ] = True,
    keep_alive: Annotated[int, typer.Option(help="Seconds an idle keep-alive connection stays open.")] = 5,
) -> None:
    """Serve every emulator; print one JSON line with their base URLs and credentials, then serve until stopped."""
    from aide_sandbox.app import start

    if not 0 <= port <= 65535:  # checked here: typer's own range error is a box of several lines
        raise _fail(f"--port {port} is not a port: choose one from 0 to 65535 (0 picks a free one).", 2)
    if keep_alive < 1:
        raise _fail(f"--keep-alive {keep_alive}: give the seconds an idle connection stays open, 1 or more.", 2)
    # Installed before the emulators start (seeding takes a moment): a SIGTERM then still stops everything cleanly
    # once they are up, rather than the default action killing the process halfway through writing the state.
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        with _said():
            handle = start(
                _state(state),
                host=host,
                port=port,
                seed=seed,
                refresh_stale=True,
                log_level="warning",
                keep_alive=keep_alive,
            )
    except BaseException:
        signal.signal(signal.SIGTERM, previous)  # nothing to stop: the default action again
        raise
    sys.stdout.write(json.dumps(handle.announcement(), ensure_ascii=False) + "\n")
    sys.stdout.flush()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        handle.stop()


@app.command()
def seed(state: StateOption = None) -> None:
    """Write the seed data into an empty state (a state that has data is left alone: see reset)."""
    directory = _state(state)
    with _said():
        sandbox = _open(directory)
    try:
        if sandbox.db.is_empty():
            sandbox.seed()
            typer.echo(f"seeded {directory}", err=True)
        else:
            typer.echo(f"{directory} already has data; `aide sandbox reset` starts it over", err=True)
    finally:
        sandbox.close()


@app.command()
def reset(state: StateOption = None) -> None:
    """Wipe the state and seed it again (a state file that is not a database is deleted and made anew)."""
    directory = _state(state)
    with _said():
        sandbox = _open(directory, fresh=True)
    try:
        sandbox.seed()
    finally:
        sandbox.close()
    typer.echo(f"reset {directory} to the seed data", err=True)
