"""HTTP routes a server declares (`ServerSpec.route`): a webhook, an OAuth redirect. Each is behind its own `auth`
(a signature check, say), never the bearer token, which whoever calls a webhook does not hold; `aide serve` lets
exactly these paths past the bearer check (`aide_core.http.build_app`)."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from aide_core.server import Runtime

logger = logging.getLogger("aide.server")

RouteHandler = Callable[["Request", "Runtime[Any]"], Awaitable["Response"]]
#: True lets the request in; False refuses it with 401; a status code (403, say: Twilio's convention for a bad
#: signature) refuses it with that status.
RouteAuth = Callable[["Request", "Runtime[Any]"], "bool | int | Awaitable[bool | int]"]


@dataclass(frozen=True)
class RouteDecl:
    path: str
    fn: RouteHandler
    methods: tuple[str, ...]
    auth: RouteAuth


def route_endpoint(
    route: RouteDecl, runtime: Runtime[Any], bind: Callable[[], None]
) -> Callable[[Request], Awaitable[Response]]:
    """The Starlette endpoint for a declared route: its own `auth` first (failing closed), then the handler."""
    from starlette.responses import Response

    async def endpoint(request: Request) -> Response:
        try:
            allowed = route.auth(request, runtime)
            if inspect.isawaitable(allowed):
                allowed = await allowed
        except Exception:
            logger.warning("%s: the auth check of %s failed; refusing", runtime.name, route.path, exc_info=True)
            allowed = False
        if allowed is not True:
            refusal = allowed if type(allowed) is int and 400 <= allowed < 500 else 401
            return Response(status_code=refusal)
        bind()
        return await route.fn(request, runtime)

    return endpoint
