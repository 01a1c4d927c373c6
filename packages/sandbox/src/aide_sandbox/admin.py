"""The admin API (`/admin/...`): faults, token expiry and reset over HTTP, for tests in other processes and for
poking a running `aide sandbox serve` by hand. It is unauthenticated on purpose: the sandbox only ever listens on
loopback and holds no real data.

    GET    /admin/faults             the faults in force
    POST   /admin/faults             {"match", "status"?, "retry_after"?, "delay"?, "drop"?, "times"?}
    DELETE /admin/faults             clear them
    POST   /admin/oauth/expire       {"account"?}: access tokens expire now
    POST   /admin/reset              wipe the state and seed it again
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

if TYPE_CHECKING:
    from aide_sandbox.app import Sandbox


def routes(sandbox: Sandbox) -> list[Route]:
    async def list_faults(_: Request) -> JSONResponse:
        return JSONResponse({"faults": [f.describe() for f in sandbox.faults.list()]})

    async def add_fault(request: Request) -> JSONResponse:
        body: dict[str, Any] = await request.json()
        try:
            fault = sandbox.faults.inject(
                str(body["match"]),
                status=body.get("status"),
                retry_after=body.get("retry_after"),
                delay=float(body.get("delay") or 0),
                drop=bool(body.get("drop")),
                times=body.get("times", 1),
            )
        except (KeyError, TypeError, ValueError) as exc:
            return JSONResponse({"error": f"bad fault: {exc}"}, status_code=400)
        return JSONResponse(fault.describe(), status_code=201)

    async def clear_faults(_: Request) -> JSONResponse:
        sandbox.faults.clear()
        return JSONResponse({"faults": []})

    async def expire(request: Request) -> JSONResponse:
        body: dict[str, Any] = await request.json() if await request.body() else {}
        return JSONResponse({"expired": sandbox.tokens.expire(body.get("account"))})

    async def reset(_: Request) -> JSONResponse:
        sandbox.reset()
        return JSONResponse({"reset": True})

    return [
        Route("/faults", list_faults, methods=["GET"]),
        Route("/faults", add_fault, methods=["POST"]),
        Route("/faults", clear_faults, methods=["DELETE"]),
        Route("/oauth/expire", expire, methods=["POST"]),
        Route("/reset", reset, methods=["POST"]),
    ]
