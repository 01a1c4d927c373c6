"""OpenAI's chat completions and responses, rendered from a scripted `Reply`: JSON bodies, SSE streams and
`{"error": {"message", "type", "param", "code"}}` errors, in the shapes wire-formats.md section 4 checked against
the `openai` SDK (tool-call `arguments` are JSON strings; chat streams end with `data: [DONE]`)."""

from __future__ import annotations

import json
from typing import Any

from aide_sandbox.llm.script import Reply
from aide_sandbox.llm.sse import event, pieces

JsonObject = dict[str, Any]
_ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", None),
    503: ("server_error", None),
}
_MESSAGES = {
    429: "Rate limit reached for requests. Please try again later.",
    500: "The server had an error while processing your request. Sorry about that!",
    503: "The server is overloaded or not ready yet.",
}


def error_body(status: int, message: str | None = None) -> JsonObject:
    kind, code = _ERROR_TYPES.get(status, ("server_error" if status >= 500 else "invalid_request_error", None))
    text = message or _MESSAGES.get(status, f"Request failed with status {status}.")
    return {"error": {"message": text, "type": kind, "param": None, "code": code}}


def _call_id(reply: Reply, index: int, serial: int, prefix: str) -> str:
    call = reply.tool_calls[index]
    return call.id or f"{prefix}_{serial:04d}{index}"


def _usage(reply: Reply) -> JsonObject:
    return {
        "prompt_tokens": reply.input_tokens,
        "completion_tokens": reply.output_tokens,
        "total_tokens": reply.input_tokens + reply.output_tokens,
    }


# -- chat completions ---------------------------------------------------------------------------------------------
def chat(reply: Reply, model: str, serial: int, created: int) -> JsonObject:
    message: JsonObject = {"role": "assistant", "content": reply.text, "refusal": None}
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": _call_id(reply, i, serial, "call"),
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
            }
            for i, call in enumerate(reply.tool_calls)
        ]
    finish = reply.stop_reason or ("tool_calls" if reply.tool_calls else "stop")
    return {
        "id": f"chatcmpl-{serial:06d}",
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": _usage(reply),
    }


def chat_stream(reply: Reply, model: str, serial: int, created: int, include_usage: bool) -> list[bytes]:
    def chunk(delta: JsonObject, finish: str | None = None, usage: JsonObject | None = None) -> bytes:
        body: JsonObject = {
            "id": f"chatcmpl-{serial:06d}",
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
            if usage is None
            else [],
        }
        if usage is not None:
            body["usage"] = usage
        return event(body)

    out = [chunk({"role": "assistant", "content": "" if reply.text is not None else None, "refusal": None})]
    out += [chunk({"content": piece}) for piece in pieces(reply.text or "")]
    for i, call in enumerate(reply.tool_calls):
        head = {"index": i, "id": _call_id(reply, i, serial, "call"), "type": "function"}
        out.append(chunk({"tool_calls": [head | {"function": {"name": call.name, "arguments": ""}}]}))
        for piece in pieces(json.dumps(call.arguments)):
            out.append(chunk({"tool_calls": [{"index": i, "function": {"arguments": piece}}]}))
    out.append(chunk({}, reply.stop_reason or ("tool_calls" if reply.tool_calls else "stop")))
    if include_usage:
        out.append(chunk({}, usage=_usage(reply)))
    out.append(event("[DONE]"))
    return out


# -- responses ----------------------------------------------------------------------------------------------------
def _output(reply: Reply, serial: int) -> list[JsonObject]:
    items: list[JsonObject] = []
    if reply.text is not None:
        items.append(
            {
                "type": "message",
                "id": f"msg_{serial:06d}",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": reply.text, "annotations": []}],
            }
        )
    items += [
        {
            "type": "function_call",
            "id": f"fc_{serial:04d}{i}",
            "call_id": _call_id(reply, i, serial, "call"),
            "name": call.name,
            "arguments": json.dumps(call.arguments),
            "status": "completed",
        }
        for i, call in enumerate(reply.tool_calls)
    ]
    return items


def response(reply: Reply, request: JsonObject, serial: int, created: int, status: str = "completed") -> JsonObject:
    return {
        "id": f"resp_{serial:06d}",
        "object": "response",
        "created_at": created,
        "status": status,
        "error": None,
        "incomplete_details": None,
        "instructions": request.get("instructions"),
        "model": request.get("model", ""),
        "output": _output(reply, serial) if status == "completed" else [],
        "parallel_tool_calls": True,
        "tool_choice": request.get("tool_choice", "auto"),
        "tools": request.get("tools", []),
        "usage": {
            "input_tokens": reply.input_tokens,
            "output_tokens": reply.output_tokens,
            "total_tokens": reply.input_tokens + reply.output_tokens,
        }
        if status == "completed"
        else None,
    }


def response_stream(reply: Reply, request: JsonObject, serial: int, created: int) -> list[bytes]:
    sequence = iter(range(10_000))
    out: list[bytes] = []

    def emit(kind: str, **data: Any) -> None:
        out.append(event({"type": kind, "sequence_number": next(sequence)} | data, kind))

    emit("response.created", response=response(reply, request, serial, created, "in_progress"))
    for index, item in enumerate(_output(reply, serial)):
        if item["type"] == "message":
            text = item["content"][0]["text"]
            emit("response.output_item.added", output_index=index, item=item | {"status": "in_progress", "content": []})
            part = {"type": "output_text", "text": "", "annotations": []}
            emit("response.content_part.added", item_id=item["id"], output_index=index, content_index=0, part=part)
            for piece in pieces(text):
                emit("response.output_text.delta", item_id=item["id"], output_index=index, content_index=0, delta=piece)
            emit("response.output_text.done", item_id=item["id"], output_index=index, content_index=0, text=text)
            emit(
                "response.content_part.done",
                item_id=item["id"],
                output_index=index,
                content_index=0,
                part=part | {"text": text},
            )
        else:
            emit(
                "response.output_item.added", output_index=index, item=item | {"arguments": "", "status": "in_progress"}
            )
            for piece in pieces(item["arguments"]):
                emit("response.function_call_arguments.delta", item_id=item["id"], output_index=index, delta=piece)
            emit(
                "response.function_call_arguments.done",
                item_id=item["id"],
                output_index=index,
                arguments=item["arguments"],
            )
        emit("response.output_item.done", output_index=index, item=item)
    emit("response.completed", response=response(reply, request, serial, created))
    return out
