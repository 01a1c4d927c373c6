"""Splitting the two multipart bodies Google clients send: `multipart/related` media uploads and `multipart/mixed`
batches.

The stdlib `email` parser is not used for the outer split on purpose: it would re-parse the `message/rfc822` part of
an upload into a `Message` and lose its exact bytes (a message must come back from `format=raw` byte for byte), and
google-api-python-client writes these bodies with bare LF line endings, which the parser handles only loosely.
"""

from __future__ import annotations

import itertools
import re
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32


def boundary_of(content_type: str) -> str | None:
    match = re.search(r'boundary="?([^";]+)"?', content_type, re.I)
    return match.group(1) if match else None


def split_parts(body: bytes, boundary: str) -> list[tuple[Message, bytes]]:
    """The parts of a multipart body as (headers, exact content bytes).

    The line break before each delimiter belongs to the delimiter (RFC 2046 5.1.1), so it is not part of the content;
    both CRLF and LF bodies are accepted."""
    delimiter = re.compile(rb"(?:\r?\n|^)--" + re.escape(boundary.encode()) + rb"(--)?[ \t]*(?:\r?\n|$)")
    parts: list[tuple[Message, bytes]] = []
    matches = list(delimiter.finditer(body))
    for current, following in itertools.pairwise(matches):
        if current.group(1):  # the closing delimiter
            break
        chunk = body[current.end() : following.start()]
        head, content = split_head(chunk)
        parts.append((BytesHeaderParser(policy=compat32).parsebytes(head), content))
    return parts


def split_head(chunk: bytes) -> tuple[bytes, bytes]:
    """(header block, body) of an entity, split at the first empty line (CRLF or LF)."""
    match = re.search(rb"\r?\n\r?\n", chunk)
    if chunk.startswith((b"\r\n", b"\n")):
        return b"", chunk[2:] if chunk.startswith(b"\r\n") else chunk[1:]
    if match is None:
        return chunk, b""
    return chunk[: match.start()] + b"\n", chunk[match.end() :]
