"""`aide serve`: the chosen servers over HTTP (several in one process) or one server over stdio."""

from __future__ import annotations

import contextlib
import json
from enum import StrEnum
from typing import Annotated

import anyio
import typer

from aide_core.cli.common import build_servers, console, console_err, settings_or_exit, start_sandbox
from aide_core.errors import ConfigError
from aide_core.http import bind_socket, build_app, check_bind, endpoints
from aide_core.http import serve as serve_app


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
        console_err.print("aide: no server to serve.")
        raise typer.Exit(1)
    token = None
    if not no_auth:
        from aide_core.credentials import http_token

        token = http_token(settings.model_copy(update={"http": http}))
    actual_port = sock.getsockname()[1]
    _announce(list(built), http.host, actual_port, token, transport)
    app = build_app(built, http.model_copy(update={"port": actual_port}), token)
    with contextlib.suppress(KeyboardInterrupt):
        anyio.run(lambda: serve_app(app, sock, log_level=settings.log_level))


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
