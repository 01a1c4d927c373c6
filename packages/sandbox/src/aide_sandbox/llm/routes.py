"""The LLM fakes as ASGI apps: OpenAI at `/openai` (base URL `.../openai/v1`) and Anthropic at `/anthropic` (base
URL `.../anthropic`; the SDK adds `/v1/messages`).

Each request: route, apply faults (keys `openai.chat.completions`, `openai.responses`, `openai.embeddings`,
`anthropic.messages`, the service name, the path), require an API key (`Authorization: Bearer` or `x-api-key`;
any value, the SDKs differ, wire-formats 4.1), parse the JSON body, record it, and answer the next scripted reply
as JSON or, when the body asks for `"stream": true`, as SSE. Embeddings are computed from the input instead
(`llm.embeddings`).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from aide_sandbox.faults import Dropped, Faults, strike
from aide_sandbox.llm import anthropic_api, embeddings, openai_api
from aide_sandbox.llm.script import Recorded, Reply, Script

logger = logging.getLogger("aide.sandbox")
JsonObject = dict[str, Any]
_RECORDED_HEADERS = ("authorization", "x-api-key", "anthropic-version", "x-stainless-retry-count", "user-agent")


class _Failure(Exception):
    def __init__(self, status: int, message: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


def _retry_headers(retry_after: float | None) -> dict[str, str]:
    if retry_after is None:
        return {}
    seconds = str(int(retry_after)) if float(retry_after).is_integer() else str(retry_after)
    return {"retry-after": seconds, "retry-after-ms": str(int(retry_after * 1000))}


class LlmApp:
    """What both fakes share; subclasses name their routes and render their shapes."""

    service = ""
    routes: ClassVar[dict[str, tuple[str, str]]] = {}  # path -> (endpoint, fault key)

    def __init__(self, script: Script, faults: Faults, clock: Callable[[], float] = time.time) -> None:
        self.script = script
        self.faults = faults
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        root = scope.get("root_path", "")
        path = (scope["path"][len(root) :] if scope["path"].startswith(root) else scope["path"]).strip("/")
        serial = 0
        try:
            response = await self._answer(request, path, scope, receive)
        except _Failure as failure:
            response = self.error(failure.status, failure.message, serial, failure.retry_after)
        except Dropped:
            return
        except Exception:
            logger.exception("sandbox: %s %s failed", self.service, path)
            response = self.error(500, "The sandbox failed on this request.", serial, None)
        await response(scope, receive, send)

    async def _answer(self, request: Request, path: str, scope: Scope, receive: Receive) -> Response:
        route = self.routes.get(path) if request.method == "POST" else None
        keys = [route[1] if route else f"{self.service}.unknown", self.service, f"/{self.service}/{path}"]
        fault = await strike(self.faults, keys, scope, receive)
        if fault is not None and fault.status is not None:
            raise _Failure(fault.status, None, fault.retry_after)
        if route is None:
            raise _Failure(404, f"Unknown request URL: {request.method} /{path}.")
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not (bearer or request.headers.get("x-api-key")):
            raise _Failure(401, "No API key provided.")
        try:
            body: object = json.loads(await request.body())
        except ValueError:
            raise _Failure(400, "The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise _Failure(400, "The request body must be a JSON object.")
        payload: JsonObject = body  # pyright: ignore[reportUnknownVariableType]
        headers = {k: v for k, v in request.headers.items() if k.lower() in _RECORDED_HEADERS}
        serial = self.script.record(Recorded(route[0], "/" + path, headers, payload))
        self.validate(route[0], payload)
        reply = self.script.next(route[0])
        computed = self.compute(route[0], payload)
        if computed is not None:  # answered from the request itself; a queued reply can only make it fail
            if reply is not None and reply.status != 200:
                raise _Failure(reply.status, reply.message, reply.retry_after)
            return JSONResponse(computed, headers=self.ids(serial))
        if reply is None:
            failure = self.error(500, f"The sandbox has no scripted reply left for {route[0]}.", serial, None)
            failure.headers["x-should-retry"] = "false"
            return failure
        if reply.status != 200:
            raise _Failure(reply.status, reply.message, reply.retry_after)
        created = int(self.clock())
        if payload.get("stream"):
            chunks = self.stream(route[0], reply, payload, serial, created)

            async def body_iterator() -> AsyncIterator[bytes]:
                for chunk in chunks:
                    yield chunk

            return StreamingResponse(body_iterator(), media_type="text/event-stream", headers=self.ids(serial))
        return JSONResponse(self.render(route[0], reply, payload, serial, created), headers=self.ids(serial))

    # -- per provider ---------------------------------------------------------------------------------------------
    def validate(self, endpoint: str, body: JsonObject) -> None:
        raise NotImplementedError

    def compute(self, endpoint: str, body: JsonObject) -> JsonObject | None:
        """The answer of an endpoint computed from the request rather than scripted (None: scripted)."""
        return None

    def render(self, endpoint: str, reply: Reply, body: JsonObject, serial: int, created: int) -> JsonObject:
        raise NotImplementedError

    def stream(self, endpoint: str, reply: Reply, body: JsonObject, serial: int, created: int) -> list[bytes]:
        raise NotImplementedError

    def error(self, status: int, message: str | None, serial: int, retry_after: float | None) -> Response:
        raise NotImplementedError

    def ids(self, serial: int) -> dict[str, str]:
        return {"x-request-id": f"req_{serial:06d}"}


class OpenAIApp(LlmApp):
    service = "openai"
    routes: ClassVar[dict[str, tuple[str, str]]] = {
        "v1/chat/completions": ("openai.chat", "openai.chat.completions"),
        "v1/responses": ("openai.responses", "openai.responses"),
        "v1/embeddings": ("openai.embeddings", "openai.embeddings"),
    }

    def compute(self, endpoint: str, body: JsonObject) -> JsonObject | None:
        if endpoint != "openai.embeddings":
            return None
        try:
            return embeddings.respond(body)
        except embeddings.EmbeddingError as exc:
            raise _Failure(400, str(exc)) from None

    def validate(self, endpoint: str, body: JsonObject) -> None:
        if not body.get("model"):
            raise _Failure(400, "you must provide a model parameter")
        if endpoint == "openai.chat" and not isinstance(body.get("messages"), list):
            raise _Failure(400, "Missing required parameter: 'messages'.")
        if endpoint in ("openai.responses", "openai.embeddings") and "input" not in body:
            raise _Failure(400, "Missing required parameter: 'input'.")

    def render(self, endpoint: str, reply: Reply, body: JsonObject, serial: int, created: int) -> JsonObject:
        if endpoint == "openai.chat":
            return openai_api.chat(reply, str(body["model"]), serial, created)
        return openai_api.response(reply, body, serial, created)

    def stream(self, endpoint: str, reply: Reply, body: JsonObject, serial: int, created: int) -> list[bytes]:
        if endpoint == "openai.chat":
            usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return openai_api.chat_stream(reply, str(body["model"]), serial, created, usage)
        return openai_api.response_stream(reply, body, serial, created)

    def error(self, status: int, message: str | None, serial: int, retry_after: float | None) -> Response:
        headers = self.ids(serial) | _retry_headers(retry_after)
        return JSONResponse(openai_api.error_body(status, message), status_code=status, headers=headers)


class AnthropicApp(LlmApp):
    service = "anthropic"
    routes: ClassVar[dict[str, tuple[str, str]]] = {"v1/messages": ("anthropic.messages", "anthropic.messages")}

    def validate(self, endpoint: str, body: JsonObject) -> None:
        for field in ("model", "max_tokens", "messages"):
            if field not in body:
                raise _Failure(400, f"{field}: Field required")

    def render(self, endpoint: str, reply: Reply, body: JsonObject, serial: int, created: int) -> JsonObject:
        return anthropic_api.message(reply, str(body["model"]), serial)

    def stream(self, endpoint: str, reply: Reply, body: JsonObject, serial: int, created: int) -> list[bytes]:
        return anthropic_api.stream(reply, str(body["model"]), serial)

    def error(self, status: int, message: str | None, serial: int, retry_after: float | None) -> Response:
        headers = {"request-id": f"req_{serial:06d}"} | _retry_headers(retry_after)
        return JSONResponse(anthropic_api.error_body(status, message, serial), status_code=status, headers=headers)

    def ids(self, serial: int) -> dict[str, str]:
        return {"request-id": f"req_{serial:06d}"}
