"""Serving servers over HTTP: streamable HTTP at `/<name>/mcp` and the deprecated SSE at `/<name>/sse`, several
servers in one process, behind a bearer token.

The rules, in the order a request meets them:
1. every request needs `Authorization: Bearer <token>` (compared in constant time); a missing or wrong token gets
   401 before anything reaches a server; the token's subject is the person the request acts for
   (see `aide_core.identity`); the exception is a server's declared routes (`ServerSpec.route`, a webhook), which
   check their own credentials instead;
2. the SDK's transport security checks Host and Origin against DNS rebinding (loopback names by default, plus the
   configured `allowed_hosts` / `allowed_origins`);
3. binding a non-loopback address without a token is refused at start, not discovered later.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import os
import signal
import socket
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from types import FrameType

from mcp.server.auth.middleware.auth_context import AuthContextMiddleware
from mcp.server.auth.middleware.bearer_auth import BearerAuthBackend, RequireAuthMiddleware
from mcp.server.auth.provider import TokenVerifier
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from aide_core.errors import AideError, ConfigError
from aide_core.identity import DEFAULT_IDENTITY, BearerTokens
from aide_core.server import AideServer
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
    """The SDK's own authentication, in front of every mounted server at once (pure ASGI: it must not buffer, since
    streamable HTTP and SSE stream their responses).

    The pieces are the SDK's public ones, in the order its `MCPServer(token_verifier=...)` would stack them:
    Starlette's `AuthenticationMiddleware` with the SDK's `BearerAuthBackend` over a `TokenVerifier` (aide's
    `BearerTokens`, later an OAuth 2.1 verifier) puts an `AuthenticatedUser` holding the `AccessToken` in the scope;
    `RequireAuthMiddleware` answers 401 to a request without one; `AuthContextMiddleware` makes the token current,
    so a tool reads its `subject` through `aide_core.identity.current_user`.

    Why one stack for the whole app rather than `MCPServer(token_verifier=...)` per server: the SDK attaches the
    authentication middleware to each server's own Starlette app, and `build_app` mounts only those apps' routes
    (streamable HTTP and SSE of several servers under one app, one lifespan), so per-server authentication would be
    dropped and every request refused; the SDK also demands `AuthSettings` (an issuer and resource server URL) that
    static tokens do not have; and servers are built once for stdio and HTTP alike, before any token is known. One
    stack also answers 401 for a path that names no server, so nobody learns which servers exist. `public_paths`
    (exact paths) pass unauthenticated.

    OAuth discovery (`/.well-known/oauth-protected-resource…`, `/.well-known/oauth-authorization-server`, RFC 9728
    and RFC 8414) is answered 404 without a token: aide issues its own bearer tokens and offers no OAuth flow yet,
    and a 401 there sends hosts into one that cannot succeed.
    """

    def __init__(self, app: ASGIApp, verifier: TokenVerifier, public_paths: tuple[str, ...] = ()) -> None:
        self.public = app
        required = RequireAuthMiddleware(AuthContextMiddleware(app), required_scopes=[])
        self.authenticated = AuthenticationMiddleware(required, backend=BearerAuthBackend(verifier))
        self.public_paths = public_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.public_paths:
            await self.public(scope, receive, send)
            return
        if scope["path"].startswith("/.well-known/"):
            await JSONResponse({"error": "not_found"}, status_code=404)(scope, receive, send)
            return
        await self.authenticated(scope, receive, send)


@dataclass(frozen=True)
class Endpoint:
    name: str
    http: str
    sse: str


def build_app(servers: Mapping[str, MCPServer], http: HttpSettings, token: str | None) -> ASGIApp:
    """One ASGI app serving every server at `/<name>/mcp` and `/<name>/sse`; `token=None` means no auth.

    A server's declared routes (`ServerSpec.route`) are served at `/<name><path>` and check their own credentials:
    the bearer token lets exactly those paths through.

    `token` stands for the subject `default`; `http.users` adds one token per named user."""
    security = transport_security(http)
    routes: list[BaseRoute] = []
    public: list[str] = []
    for name, server in servers.items():
        streamable = server.streamable_http_app(streamable_http_path="/mcp", transport_security=security)
        sse = server.sse_app(sse_path="/sse", message_path="/messages/", transport_security=security)
        # Both apps carry the server's custom routes (the same objects): mount them once.
        extra = [route for route in sse.routes if route not in streamable.routes]
        routes.append(Mount(f"/{name}", routes=[*streamable.routes, *extra]))
        if isinstance(server, AideServer):
            public.extend(f"/{name}{path}" for path in server.public_paths)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncGenerator[None]:
        # Mounted apps' own lifespans do not run; each streamable-HTTP session manager needs its task group, and its
        # run() enters its server's lifespan (a spec's `lifespan=`: shared clients), once for the whole app.
        async with contextlib.AsyncExitStack() as stack:
            for server in servers.values():
                await stack.enter_async_context(server.session_manager.run())
            yield

    app: ASGIApp = Starlette(routes=routes, lifespan=lifespan)
    if token is not None:
        app = BearerAuth(app, BearerTokens(bearer_tokens(token, http.users)), public_paths=tuple(public))
    return app


def bearer_tokens(token: str, users: Mapping[str, str]) -> dict[str, str]:
    """Each accepted token and the subject it stands for. Settings already refuse an empty or blank token; this
    checks again (a token may come from elsewhere than settings), and refuses one token for two identities, which
    would let one user in as the other."""
    tokens: dict[str, str] = {}
    for key, subject, value in [("http.token", DEFAULT_IDENTITY, token)] + [
        (f"http.users.{user}", user, value) for user, value in users.items()
    ]:
        if not value.strip():
            raise ConfigError("a token must not be empty or blank (any request would get in)", key=key)
        if value in tokens:
            raise ConfigError(
                f"the same token is already given to '{tokens[value]}'; give each user their own", key=key
            )
        tokens[value] = subject
    return tokens


def endpoints(names: list[str], host: str, port: int) -> list[Endpoint]:
    shown = f"[{host}]" if ":" in host else host
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else shown
    base = f"http://{shown}:{port}"
    return [Endpoint(name, f"{base}/{name}/mcp", f"{base}/{name}/sse") for name in names]


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind and listen before serving, so the real port is known at once (port 0 picks a free one) and clients
    that connect early wait in the backlog instead of being refused. What went wrong says what to change: a port
    in use, or a host that is not an address of this machine."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise AideError(f"cannot listen on {host}:{port} ({exc.strerror})", hint=_bind_hint(host, exc)) from None
    sock.listen(128)
    return sock


def _bind_hint(host: str, exc: OSError) -> str:
    """Not a bad setting but the machine's state: the port is taken (another aide serve?), the host names no
    address of this machine, or the port is privileged."""
    if isinstance(exc, socket.gaierror) or exc.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this machine: choose one of its addresses with --host (127.0.0.1 is)."
    if exc.errno == errno.EACCES:
        return "Ports below 1024 need privileges: choose another port with --port (0 picks a free one)."
    return "Stop what uses it, or choose another port with --port (0 picks a free one)."


async def serve(app: ASGIApp, sock: socket.socket, *, log_level: str = "info") -> None:
    """Run uvicorn on a bound socket until cancelled. uvicorn's own logging config is disabled: it would write
    access lines to stdout.

    A first Ctrl-C stops gracefully (uvicorn waits for open connections, such as an SSE stream, to close); a second
    one ends the process at once, with one line and the shell's code for SIGINT (130), rather than uvicorn's forced
    exit, which cancels the lifespan mid-way and prints its tracebacks. Ending at once loses nothing: every store
    write is one SQLite transaction, and an action in flight stays pending in the guard's records."""
    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            if self.should_exit and sig == signal.SIGINT:
                os.write(2, b"aide: stopped at once (second Ctrl-C): open connections were not waited for\n")
                os._exit(128 + signal.SIGINT)
            super().handle_exit(sig, frame)

    config = uvicorn.Config(app, log_config=None, log_level=log_level.lower(), lifespan="on")
    server = Server(config)
    try:
        await server.serve(sockets=[sock])
    finally:
        sock.close()
