"""The batch endpoint (`POST /batch`, wire-formats 1.4): a `multipart/mixed` body of `application/http` requests,
answered with a `multipart/mixed` body of responses in the same order, each under `Content-ID: <response-ID>`.

Inner responses use CRLF and always carry at least one header (`Content-Length`): google-api-python-client crashes on
a bare status line.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from http import HTTPStatus
from urllib.parse import parse_qsl, unquote, urlsplit

from aide_sandbox.google.errors import invalid_argument
from aide_sandbox.google.multipart import boundary_of, split_head, split_parts

#: The most requests one batch may hold (the client enforces the same).
MAX_PARTS = 1000


@dataclass
class InnerRequest:
    content_id: str
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class InnerResponse:
    status: int
    headers: dict[str, str]
    body: bytes


def parse_batch(content_type: str, body: bytes, root_path: str) -> list[InnerRequest]:
    """The requests of a batch body; their paths made relative to the API root (`root_path` is where it is mounted)."""
    boundary = boundary_of(content_type)
    if not content_type.lower().startswith("multipart/mixed") or boundary is None:
        raise invalid_argument("Batch requests must be multipart/mixed.", reason="badContent")
    requests: list[InnerRequest] = []
    for headers, content in split_parts(body, boundary):
        if headers.get_content_type() != "application/http":
            raise invalid_argument("Each part of a batch request must be application/http.", reason="badContent")
        head, inner_body = split_head(content)
        request_line, _, header_text = head.partition(b"\n")
        try:
            method, target, _version = request_line.decode("latin-1").strip().split(" ", 2)
        except ValueError:
            raise invalid_argument("A batch part does not start with an HTTP request line.") from None
        inner_headers = BytesHeaderParser(policy=compat32).parsebytes(header_text)
        url = urlsplit(target)
        path = unquote(url.path)  # decoded, as the ASGI server decodes the path of a request sent alone (%40 is @)
        if root_path and path.startswith(root_path + "/"):
            path = path[len(root_path) :]
        requests.append(
            InnerRequest(
                content_id=str(headers.get("Content-ID", "")),
                method=method.upper(),
                path=path.lstrip("/"),
                query=parse_qsl(url.query, keep_blank_values=True),
                headers={key.lower(): str(value) for key, value in inner_headers.items()},
                body=inner_body,
            )
        )
    if len(requests) > MAX_PARTS:
        raise invalid_argument(f"A batch may contain at most {MAX_PARTS} requests.")
    return requests


def render_batch(parts: list[tuple[InnerRequest, InnerResponse]]) -> tuple[str, bytes]:
    """(content type, body) of the batch response."""
    boundary = "batch_" + secrets.token_hex(12)
    chunks: list[bytes] = []
    for request, response in parts:
        content_id = request.content_id.strip()
        if content_id.startswith("<") and content_id.endswith(">"):
            content_id = content_id[1:-1]
        status_line = f"HTTP/1.1 {response.status} {HTTPStatus(response.status).phrase}"
        headers = response.headers | {"Content-Length": str(len(response.body))}
        head = "\r\n".join([status_line, *(f"{name}: {value}" for name, value in headers.items())])
        chunks.append(
            f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: <response-{content_id}>\r\n\r\n".encode()
            + head.encode("latin-1")
            + b"\r\n\r\n"
            + response.body
            + b"\r\n"
        )
    chunks.append(f"--{boundary}--\r\n".encode())
    return f"multipart/mixed; boundary={boundary}", b"".join(chunks)
