"""Start one server over stdio with as little as possible imported: what a host such as Claude Desktop spawns.

`python -m aide_core.launch NAME` or a server's own script (`aide-gmail`, which calls `run_spec`). The full `aide`
command line (typer, rich, uvicorn) is not imported on this path, so a stdio server starts as fast as the SDK allows.

`run_spec` is an entry point, so it configures logging (`aide_core.logs.configure_logging`: stderr only, since stdout
is the protocol stream, and secrets masked) before it builds the server; building one never does.
"""

from __future__ import annotations

import sys
from typing import Any

from aide_core.errors import AideError, ConfigError
from aide_core.server import ServerSpec


def run_spec(spec: ServerSpec[Any], *, sandbox: bool = False) -> int:
    """Serve `spec` over stdio until the host closes the stream. A bad setting is one line on stderr and exit 2.
    With `sandbox`, the API emulators start in this process first (what `aide config claude-desktop --sandbox`
    writes, so a host can try every server with no account)."""
    from aide_core.logs import configure_logging
    from aide_core.settings import load_settings

    try:
        settings = load_settings(check_tables=False)  # its own table is checked as it builds; others' cost nothing
        configure_logging(settings.log_level)
        if sandbox:
            from aide_core.sandbox import start_sandbox

            started = start_sandbox(settings)
            if started is None:  # one line on stderr, which hosts keep as the server's log
                print(f"aide-{spec.name}: the sandbox is not installed; running without it", file=sys.stderr)  # noqa: T201
            settings = started or settings
        server = spec.build(settings)
    except ConfigError as exc:
        print(f"aide-{spec.name}: {exc}", file=sys.stderr)  # noqa: T201 - the user reads this, stdout stays clean
        return 2
    except AideError as exc:  # a home aide cannot write, say
        print(f"aide-{spec.name}: {exc}", file=sys.stderr)  # noqa: T201
        return 1
    serve_stdio(server, f"aide-{spec.name}")
    return 0


def serve_stdio(server: Any, name: str) -> None:
    """Run `server` over stdio until the host closes the stream, or until Ctrl-C or SIGTERM stops it at once.

    Why the signals are handled here: the SDK reads stdin in a worker thread that no signal interrupts, so on
    Ctrl-C the event loop waits for the next line of input before it can finish, and then ends in a
    `KeyboardInterrupt` traceback. Stopping at once loses nothing: every store write is one SQLite transaction,
    an action in flight is left pending in the guard's records (never repeated blindly), and the OS closes the
    connections. The exit code is the shell's convention, 128 + the signal's number."""
    import os
    import signal

    def stop(signum: int, frame: Any) -> None:
        sys.stderr.write(f"{name}: stopped ({signal.Signals(signum).name})\n")
        sys.stderr.flush()
        os._exit(128 + signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    server.run("stdio")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    sandbox = "--sandbox" in args
    args = [arg for arg in args if arg != "--sandbox"]
    if len(args) != 1 or args[0].startswith("-"):
        print("usage: python -m aide_core.launch SERVER [--sandbox]", file=sys.stderr)  # noqa: T201
        return 2
    from aide_core.registry import load_one

    entry = load_one(args[0])  # loads only this server's entry point: the others' imports are not our start-up's
    if entry.spec is None:
        print(f"aide: server {args[0]!r} is {entry.status}", file=sys.stderr)  # noqa: T201
        return 2
    return run_spec(entry.spec, sandbox=sandbox)


if __name__ == "__main__":
    sys.exit(main())
