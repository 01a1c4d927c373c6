"""Serving servers over HTTP: streamable HTTP at `/<name>/mcp` and the deprecated SSE at `/<name>/sse`, several
servers in one process, behind a bearer token.

The rules, in the order a request meets them:
1. every request needs `Authorization: Bearer <token>` (compared in constant time); a missing or wrong token gets
   401 before anything reaches a server;
2. the SDK's transport security checks Host and Origin against DNS rebinding (loopback names by default, plus the
   configured `allowed_hosts` / `allowed_origins`);
3. binding a non-loopback address without a token is refused at start, not discovered later.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import json
import socket
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass

from mcp.server.auth.middleware.auth_context import auth_context_var
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from aide_core.errors import ConfigError
from aide_core.identity import DEFAULT_IDENTITY
from aide_core.settings import HttpSettings

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, *, auth: bool) -> None:
    """Refuse to expose servers that act on the user's mail and phone to a network without authentication."""
    if not auth and not is_loopback(host):
        raise ConfigError(
            f"refusing to serve on {host} without authentication: anyone who can reach it could read and send "
            "mail as you. Drop --no-auth (a bearer token is then required) or bind 127.0.0.1.",
            key="http.host",
        )


def transport_security(http: HttpSettings) -> TransportSecuritySettings:
    hosts = ["127.0.0.1:*", "localhost:*", "[::1]:*"]
    origins = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]
    if not is_loopback(http.host) and http.host not in ("0.0.0.0", "::"):
        hosts.append(f"{http.host}:*")
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=hosts + http.allowed_hosts,
        allowed_origins=origins + http.allowed_origins,
    )


class BearerAuth:
    """Pure ASGI middleware (it must not buffer: streamable HTTP and SSE stream their responses).

    `tokens` maps each accepted token to the identity it stands for. The identity is handed to tools the way the
    SDK hands over an OAuth identity (its auth context: `get_access_token().client_id`), so a server scopes its data
    by user without knowing which kind of authentication ran (see `aide_core.identity`).
    """

    def __init__(self, app: ASGIApp, tokens: Mapping[str, str], public_paths: tuple[str, ...] = ()) -> None:
        self.app = app
        self.expected = [(token.encode(), token, identity) for token, identity in tokens.items()]
        self.public_paths = public_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.public_paths:
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        header = next((value for name, value in headers if name == b"authorization"), b"")
        scheme, _, given = header.partition(b" ")
        if scheme.lower() != b"bearer":  # the scheme is case-insensitive (RFC 9110); the token is not
            given = b""
        # Every candidate is compared (no early exit), each in constant time.
        matches = [
            (token, identity) for expected, token, identity in self.expected if hmac.compare_digest(given, expected)
        ]
        if matches:
            token, identity = matches[0]
            user = AuthenticatedUser(AccessToken(token=token, client_id=identity, scopes=[]))
            scope["user"] = user
            reset = auth_context_var.set(user)
            try:
                await self.app(scope, receive, send)
            finally:
                auth_context_var.reset(reset)
            return
        body = json.dumps(
            {"error": "unauthorized", "error_description": "missing or wrong bearer token (see: aide config)"}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"www-authenticate", b'Bearer realm="aide"'),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


@dataclass(frozen=True)
class Endpoint:
    name: str
    http: str
    sse: str


def build_app(servers: Mapping[str, MCPServer], http: HttpSettings, token: str | None) -> ASGIApp:
    """One ASGI app serving every server at `/<name>/mcp` and `/<name>/sse`; `token=None` means no auth.

    `token` stands for the identity `default`; `http.users` adds one token per named user."""
    security = transport_security(http)
    routes: list[BaseRoute] = []
    for name, server in servers.items():
        streamable = server.streamable_http_app(streamable_http_path="/mcp", transport_security=security)
        sse = server.sse_app(sse_path="/sse", message_path="/messages/", transport_security=security)
        routes.append(Mount(f"/{name}", routes=[*streamable.routes, *sse.routes]))

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncGenerator[None]:
        # Mounted apps' own lifespans do not run; each streamable-HTTP session manager needs its task group.
        async with contextlib.AsyncExitStack() as stack:
            for server in servers.values():
                await stack.enter_async_context(server.session_manager.run())
            yield

    app: ASGIApp = Starlette(routes=routes, lifespan=lifespan)
    if token is not None:
        app = BearerAuth(app, bearer_tokens(token, http.users))
    return app


def bearer_tokens(token: str, users: Mapping[str, str]) -> dict[str, str]:
    """Each accepted token and the identity it stands for. Settings already refuse an empty or blank token; this
    checks again (a token may come from elsewhere than settings), and refuses one token for two identities, which
    would let one user in as the other."""
    tokens: dict[str, str] = {}
    for key, identity, value in [("http.token", DEFAULT_IDENTITY, token)] + [
        (f"http.users.{user}", user, value) for user, value in users.items()
    ]:
        if not value.strip():
            raise ConfigError("a token must not be empty or blank (any request would get in)", key=key)
        if value in tokens:
            raise ConfigError(
                f"the same token is already given to '{tokens[value]}'; give each user their own", key=key
            )
        tokens[value] = identity
    return tokens


def endpoints(names: list[str], host: str, port: int) -> list[Endpoint]:
    shown = f"[{host}]" if ":" in host else host
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else shown
    base = f"http://{shown}:{port}"
    return [Endpoint(name, f"{base}/{name}/mcp", f"{base}/{name}/sse") for name in names]


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind and listen before serving, so the real port is known at once (port 0 picks a free one) and clients
    that connect early wait in the backlog instead of being refused."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port} ({exc.strerror})", key="http.port") from None
    sock.listen(128)
    return sock


async def serve(app: ASGIApp, sock: socket.socket, *, log_level: str = "info") -> None:
    """Run uvicorn on a bound socket until cancelled. uvicorn's own logging config is disabled: it would write
    access lines to stdout."""
    import uvicorn

    config = uvicorn.Config(app, log_config=None, log_level=log_level.lower(), lifespan="on")
    server = uvicorn.Server(config)
    try:
        await server.serve(sockets=[sock])
    finally:
        sock.close()
