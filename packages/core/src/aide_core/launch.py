"""Start one server over stdio with as little as possible imported: what a host such as Claude Desktop spawns.

`python -m aide_core.launch NAME` or a server's own script (`aide-gmail`, which calls `run_spec`). The full `aide`
command line (typer, rich, uvicorn) is not imported on this path, so a stdio server starts as fast as the SDK allows.

`run_spec` is an entry point, so it configures logging (`aide_core.logs.configure_logging`: stderr only, since stdout
is the protocol stream, and secrets masked) before it builds the server; building one never does.
"""

from __future__ import annotations

import sys
from typing import Any

from aide_core.errors import ConfigError
from aide_core.server import ServerSpec


def run_spec(spec: ServerSpec[Any]) -> int:
    """Serve `spec` over stdio until the host closes the stream. A bad setting is one line on stderr and exit 2."""
    from aide_core.logs import configure_logging
    from aide_core.settings import load_settings

    try:
        settings = load_settings(check_tables=False)  # its own table is checked as it builds; others' cost nothing
        configure_logging(settings.log_level)
        server = spec.build(settings)
    except ConfigError as exc:
        print(f"aide-{spec.name}: {exc}", file=sys.stderr)  # noqa: T201 - the user reads this, stdout stays clean
        return 2
    server.run("stdio")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m aide_core.launch SERVER", file=sys.stderr)  # noqa: T201
        return 2
    from aide_core.registry import load_one

    entry = load_one(args[0])  # loads only this server's entry point: the others' imports are not our start-up's
    if entry.spec is None:
        print(f"aide: server {args[0]!r} is {entry.status}", file=sys.stderr)  # noqa: T201
        return 2
    return run_spec(entry.spec)


if __name__ == "__main__":
    sys.exit(main())
