"""Anthropic's messages API, rendered from a scripted `Reply`: the message JSON, the SSE event sequence (with the
`event:` lines the SDK requires) and `{"type": "error", "error": {"type", "message"}, "request_id"}` errors, in the
shapes wire-formats.md section 4 checked against the `anthropic` SDK (tool_use `input` is an object)."""

from __future__ import annotations

import json
from typing import Any

from aide_sandbox.llm.script import Reply
from aide_sandbox.llm.sse import event, pieces

JsonObject = dict[str, Any]
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    503: "overloaded_error",
    529: "overloaded_error",
}


def error_body(status: int, message: str | None, serial: int) -> JsonObject:
    kind = _ERROR_TYPES.get(status, "api_error")
    text = message or {
        "rate_limit_error": "Number of requests has exceeded your rate limit.",
        "overloaded_error": "Overloaded",
    }.get(kind, "Internal server error")
    return {"type": "error", "error": {"type": kind, "message": text}, "request_id": f"req_{serial:06d}"}


def _blocks(reply: Reply, serial: int) -> list[JsonObject]:
    blocks: list[JsonObject] = [{"type": "text", "text": reply.text}] if reply.text is not None else []
    blocks += [
        {"type": "tool_use", "id": call.id or f"toolu_{serial:04d}{i}", "name": call.name, "input": call.arguments}
        for i, call in enumerate(reply.tool_calls)
    ]
    return blocks


def _stop(reply: Reply) -> str:
    return reply.stop_reason or ("tool_use" if reply.tool_calls else "end_turn")


def message(reply: Reply, model: str, serial: int) -> JsonObject:
    return {
        "id": f"msg_{serial:06d}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": _blocks(reply, serial),
        "stop_reason": _stop(reply),
        "stop_sequence": None,
        "usage": {"input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens},
    }


def stream(reply: Reply, model: str, serial: int) -> list[bytes]:
    start = message(reply, model, serial) | {"content": [], "stop_reason": None}
    start["usage"] = {"input_tokens": reply.input_tokens, "output_tokens": 1}
    out = [event({"type": "message_start", "message": start}, "message_start")]
    for index, block in enumerate(_blocks(reply, serial)):
        if block["type"] == "text":
            opening: JsonObject = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": piece} for piece in pieces(block["text"])]
        else:
            opening = block | {"input": {}}
            deltas = [{"type": "input_json_delta", "partial_json": p} for p in pieces(json.dumps(block["input"]))]
        out.append(
            event({"type": "content_block_start", "index": index, "content_block": opening}, "content_block_start")
        )
        if index == 0:
            out.append(event({"type": "ping"}, "ping"))
        out += [
            event({"type": "content_block_delta", "index": index, "delta": d}, "content_block_delta") for d in deltas
        ]
        out.append(event({"type": "content_block_stop", "index": index}, "content_block_stop"))
    out.append(
        event(
            {
                "type": "message_delta",
                "delta": {"stop_reason": _stop(reply), "stop_sequence": None},
                "usage": {"output_tokens": reply.output_tokens},
            },
            "message_delta",
        )
    )
    out.append(event({"type": "message_stop"}, "message_stop"))
    return out
