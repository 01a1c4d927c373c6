"""`aide serve`: the chosen servers over HTTP (several in one process) or one server over stdio."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import anyio
import typer

from aide_core.cli.common import build_servers, console, console_err, settings_or_exit, start_sandbox
from aide_core.errors import ConfigError
from aide_core.http import bind_socket, build_app, check_bind, endpoints
from aide_core.http import serve as serve_app

if TYPE_CHECKING:
    from aide_core.settings import AideSettings

logger = logging.getLogger("aide.serve")
Task = Callable[[], Awaitable[None]]


class Transport(StrEnum):
    http = "http"
    sse = "sse"
    stdio = "stdio"


def serve(
    servers: Annotated[list[str] | None, typer.Argument(help="Servers to serve (default: all available).")] = None,
    transport: Annotated[Transport, typer.Option("--transport", "-t", help="http, sse or stdio.")] = Transport.http,
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8765; 0 picks a free one).")] = None,
    sandbox: Annotated[bool, typer.Option("--sandbox", help="Run against local emulators: no account needed.")] = False,
    no_auth: Annotated[bool, typer.Option("--no-auth", help="No bearer token (loopback only).")] = False,
) -> None:
    """Serve aide's MCP servers."""
    if port is not None and not 0 <= port <= 65535:  # the file's port is checked with the settings
        raise ConfigError(f"--port must be between 0 and 65535 (0 picks a free one), not {port}")
    settings = settings_or_exit(quiet=False)
    if transport is Transport.stdio:
        if sandbox:
            settings = start_sandbox(settings)
        if not servers or len(servers) != 1:
            raise ConfigError("stdio serves exactly one server: aide serve NAME --transport stdio")
        built = build_servers(servers, settings)
        if not built:
            raise typer.Exit(2)
        from aide_core.launch import serve_stdio

        name = next(iter(built))
        serve_stdio(built[name], f"aide-{name}")
        return

    http = settings.http.model_copy(update={k: v for k, v in (("host", host), ("port", port)) if v is not None})
    check_bind(http.host, auth=not no_auth)
    sock = bind_socket(http.host, http.port)  # before anything starts: a port in use is said at once, in one line
    try:
        if sandbox:
            settings = start_sandbox(settings)
        built = build_servers(servers, settings)
    except BaseException:
        sock.close()
        raise
    if not built:
        sock.close()
        console_err.print("aide: no server to serve: each is disabled or not available (aide doctor says why).")
        raise typer.Exit(1)
    token = None
    if not no_auth:
        from aide_core.credentials import http_token

        token = http_token(settings.model_copy(update={"http": http}))
    actual_port = sock.getsockname()[1]
    _announce(list(built), http.host, actual_port, token, transport)
    app = build_app(built, http.model_copy(update={"port": actual_port}), token)
    tasks = background(settings)
    with contextlib.suppress(KeyboardInterrupt):
        anyio.run(lambda: run_beside(lambda: serve_app(app, sock, log_level=settings.log_level), tasks))


def background(settings: AideSettings) -> list[tuple[str, Task]]:
    """What installed packages run beside the servers while `aide serve` serves HTTP: each `aide.background` entry
    point is `factory(settings)`, returning an async function to run, or None when its configuration does not ask
    for it (the agent's scheduler runner, with `[schedule] run_in_serve = true`). A factory that fails is reported
    in one line and skipped: it must not keep the servers from serving."""
    from importlib.metadata import entry_points

    tasks: list[tuple[str, Task]] = []
    for point in entry_points(group="aide.background"):
        try:
            task = point.load()(settings)
        except Exception as exc:
            console_err.print(f"aide: {point.name} does not run beside the servers ({exc})", markup=False)
            continue
        if task is not None:
            console_err.print(f"aide: running {point.name} beside the servers", markup=False)
            tasks.append((point.name, task))
    return tasks


async def run_beside(main: Task, tasks: Sequence[tuple[str, Task]]) -> None:
    """Run `main` with `tasks` beside it: they stop when it ends, and one that fails is logged, not fatal."""

    async def guarded(name: str, task: Task) -> None:
        try:
            await task()
        except Exception:
            logger.exception("%s stopped", name)

    async with anyio.create_task_group() as group:
        for name, task in tasks:
            group.start_soon(guarded, name, task)
        try:
            await main()
        finally:
            group.cancel_scope.cancel()


def _announce(names: list[str], host: str, port: int, token: str | None, transport: Transport) -> None:
    console.print(f"[bold]aide[/] serving {len(names)} server(s) on http://{host}:{port}", highlight=False)
    hosts: dict[str, dict[str, object]] = {}
    for endpoint in endpoints(names, host, port):
        url = endpoint.sse if transport is Transport.sse else endpoint.http
        console.print(f"  {endpoint.name:<10} {endpoint.http}   (SSE: {endpoint.sse})", highlight=False)
        entry: dict[str, object] = {"type": "sse" if transport is Transport.sse else "http", "url": url}
        if token:
            entry["headers"] = {"Authorization": f"Bearer {token}"}
        hosts[f"aide-{endpoint.name}"] = entry
    if token:
        console.print(f"bearer token: {token}", highlight=False)
    else:
        console_err.print(
            "[bold red]WARNING: --no-auth: any program on this machine can call these servers without a token.",
            highlight=False,
        )
    console.print("host configuration (mcpServers):", highlight=False)
    console.print_json(json.dumps({"mcpServers": hosts}))
