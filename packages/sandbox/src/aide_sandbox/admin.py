"""The admin API (`/admin/...`): faults, token expiry and reset over HTTP, for tests in other processes and for
poking a running `aide sandbox serve` by hand. It is unauthenticated on purpose: the sandbox only ever listens on
loopback and holds no real data.

    GET    /admin/faults             the faults in force
    POST   /admin/faults             {"match", "status"?, "retry_after"?, "delay"?, "drop"?, "drop_after"?, "times"?,
                                     "reason"?}
    DELETE /admin/faults             clear them
    POST   /admin/connections/close-idle   close the idle keep-alive connections now (not the one asking)
    POST   /admin/oauth/expire       {"account"?}: access tokens expire now
    POST   /admin/reset              wipe the state and seed it again
    POST   /admin/twilio/advance     {"steps"?}: move outbound SMS on, POSTing their status callbacks
    POST   /admin/twilio/inbound     {"from", "to", "body", "media_urls"?}: an SMS arrives at a sandbox number
    POST   /admin/twilio/webhook     {"number", "url"}: where a number's inbound SMS are POSTed
    POST   /admin/twilio/fate        {"number", "status": "failed"|"undelivered"|null, "error_code"?}
    POST   /admin/llm/{endpoint}     {"replies": [{"text"?, "tool_calls"?, "status"?, "message"?, "retry_after"?}]}
    GET    /admin/llm/{endpoint}     the requests the endpoint received, and how many replies are left
    DELETE /admin/llm                empty every script and recording
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from aide_sandbox.faults import CLOSE_IDLE_KEY
from aide_sandbox.llm.script import Reply

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
                reason=body.get("reason"),
                drop_after=bool(body.get("drop_after")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            return JSONResponse({"error": f"bad fault: {exc}"}, status_code=400)
        return JSONResponse(fault.describe(), status_code=201)

    async def clear_faults(_: Request) -> JSONResponse:
        sandbox.faults.clear()
        return JSONResponse({"faults": []})

    async def close_idle(request: Request) -> JSONResponse:
        close: Callable[[], Awaitable[int]] | None = request.scope.get(CLOSE_IDLE_KEY)
        if close is None:
            return JSONResponse({"error": "this server cannot close connections"}, status_code=501)
        return JSONResponse({"closed": await close()})

    async def expire(request: Request) -> JSONResponse:
        body: dict[str, Any] = await request.json() if await request.body() else {}
        return JSONResponse({"expired": sandbox.tokens.expire(body.get("account"))})

    async def reset(_: Request) -> JSONResponse:
        sandbox.reset()
        return JSONResponse({"reset": True})

    async def sms_advance(request: Request) -> JSONResponse:
        body: dict[str, Any] = await request.json() if await request.body() else {}
        steps = int(body.get("steps", 1))
        # Callbacks are POSTed synchronously and may point back at this very server: off the event loop.
        deliveries = await anyio.to_thread.run_sync(lambda: sandbox.sms.advance(steps))
        return JSONResponse({"deliveries": [asdict(d) for d in deliveries]})

    async def sms_inbound(request: Request) -> JSONResponse:
        body: dict[str, Any] = await request.json()
        try:
            arrived = await anyio.to_thread.run_sync(
                lambda: sandbox.sms.inbound(body["from"], body["to"], body.get("body", ""), body.get("media_urls"))
            )
        except KeyError as exc:
            return JSONResponse({"error": f"bad inbound SMS: {exc}"}, status_code=400)
        delivery = asdict(arrived.delivery) if arrived.delivery else None
        return JSONResponse({"message": arrived.message, "delivery": delivery, "replies": arrived.replies})

    async def sms_webhook(request: Request) -> JSONResponse:
        body: dict[str, Any] = await request.json()
        try:
            sandbox.sms.set_webhook(str(body["number"]), body.get("url"))
        except KeyError as exc:
            return JSONResponse({"error": f"bad webhook: {exc}"}, status_code=400)
        return JSONResponse({"number": body["number"], "url": body.get("url")})

    async def sms_fate(request: Request) -> JSONResponse:
        body: dict[str, Any] = await request.json()
        try:
            sandbox.sms.set_fate(str(body["number"]), body.get("status"), int(body.get("error_code", 30003)))
        except (KeyError, ValueError) as exc:
            return JSONResponse({"error": f"bad fate: {exc}"}, status_code=400)
        return JSONResponse(body)

    async def llm_queue(request: Request) -> JSONResponse:
        endpoint = request.path_params["endpoint"]
        body: dict[str, Any] = await request.json()
        try:
            sandbox.llm.queue(endpoint, *(Reply.from_json(item) for item in body.get("replies", [])))
        except (KeyError, TypeError, ValueError) as exc:
            return JSONResponse({"error": f"bad script: {exc}"}, status_code=400)
        return JSONResponse({"endpoint": endpoint, "pending": sandbox.llm.pending(endpoint)}, status_code=201)

    async def llm_requests(request: Request) -> JSONResponse:
        endpoint = request.path_params["endpoint"]
        try:
            received = [asdict(r) for r in sandbox.llm.requests(endpoint)]
        except KeyError as exc:
            return JSONResponse({"error": str(exc)}, status_code=404)
        return JSONResponse({"requests": received, "pending": sandbox.llm.pending(endpoint)})

    async def llm_clear(_: Request) -> JSONResponse:
        sandbox.llm.clear()
        return JSONResponse({"cleared": True})

    return [
        Route("/llm/{endpoint}", llm_queue, methods=["POST"]),
        Route("/llm/{endpoint}", llm_requests, methods=["GET"]),
        Route("/llm", llm_clear, methods=["DELETE"]),
        Route("/twilio/advance", sms_advance, methods=["POST"]),
        Route("/twilio/inbound", sms_inbound, methods=["POST"]),
        Route("/twilio/webhook", sms_webhook, methods=["POST"]),
        Route("/twilio/fate", sms_fate, methods=["POST"]),
        Route("/faults", list_faults, methods=["GET"]),
        Route("/faults", add_fault, methods=["POST"]),
        Route("/faults", clear_faults, methods=["DELETE"]),
        Route("/connections/close-idle", close_idle, methods=["POST"]),
        Route("/oauth/expire", expire, methods=["POST"]),
        Route("/reset", reset, methods=["POST"]),
    ]
