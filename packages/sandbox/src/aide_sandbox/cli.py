"""`aide sandbox serve | seed | reset`: run the emulators, and manage their state."""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Local emulators of the cloud APIs aide talks to (no account needed).", no_args_is_help=True)

StateOption = Annotated[
    Path | None, typer.Option("--state", help="Directory of the sandbox's SQLite state (default: <aide home>/sandbox).")
]


def _state(state: Path | None) -> Path:
    if state is not None:
        return state
    from aide_core.settings import load_settings

    return load_settings().home / "sandbox"


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind (loopback only makes sense).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0 picks a free one).")] = 8766,
    state: StateOption = None,
    seed: Annotated[
        bool, typer.Option("--seed/--no-seed", help="Seed an empty state, or one seeded for an earlier day.")
    ] = True,
    keep_alive: Annotated[int, typer.Option(help="Seconds an idle keep-alive connection stays open.", min=1)] = 5,
) -> None:
    """Serve every emulator; print one JSON line with their base URLs and credentials, then serve until stopped."""
    from aide_sandbox.app import start

    # Installed before the emulators start (seeding takes a moment): a SIGTERM then still stops everything cleanly
    # once they are up, rather than the default action killing the process halfway through writing the state.
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    handle = start(
        _state(state), host=host, port=port, seed=seed, refresh_stale=True, log_level="warning", keep_alive=keep_alive
    )
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
    from aide_sandbox.app import Sandbox

    directory = _state(state)
    sandbox = Sandbox(directory)
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
    """Wipe the state and seed it again."""
    from aide_sandbox.app import Sandbox

    directory = _state(state)
    sandbox = Sandbox(directory)
    try:
        sandbox.seed()
    finally:
        sandbox.close()
    typer.echo(f"reset {directory} to the seed data", err=True)
