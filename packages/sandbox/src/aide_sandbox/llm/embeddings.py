"""`POST /v1/embeddings` of the OpenAI fake: deterministic vectors computed from the text, not scripted.

Why computed: a memory store's tests need vectors whose geometry means something (texts sharing words are close,
unrelated ones are not) and that are the same on every run, which a script of canned replies cannot give. A
hashed bag of words does both: each lower-cased word adds ±1 at a position chosen by its BLAKE2b hash, and the sum
is L2-normalised. `dimensions` shortens the vector as the text-embedding-3 models allow; `encoding_format` is
`float` (a JSON list) or `base64` (little-endian float32, what the `openai` SDK asks for by default and decodes).
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import struct
from typing import Any, cast

#: Native sizes of OpenAI's embedding models; other model names get the small model's size.
MODEL_DIMENSIONS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}
_DEFAULT_DIMENSIONS = 1536


class EmbeddingError(ValueError):
    """A request OpenAI would refuse with 400; the message is OpenAI's wording."""


def vector(text: str, dimensions: int) -> list[float]:
    """The L2-normalised hashed bag of words of `text` (all zeros for a text without words)."""
    values = [0.0] * dimensions
    for word in re.findall(r"\w+", text.lower()):
        digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
        number = int.from_bytes(digest, "little")
        values[number % dimensions] += 1.0 if (number >> 63) & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in values))
    return [v / norm for v in values] if norm else values


_INVALID_INPUT = "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference."


def _tokens(value: object) -> list[int] | None:
    """`value` as a token array, or None when it is not one."""
    if not isinstance(value, list) or not value:
        return None
    items = cast(list[object], value)
    return [t for t in items if isinstance(t, int)] if all(isinstance(t, int) for t in items) else None


def _texts(raw: object) -> list[str]:
    """The inputs as texts: a string, a list of strings, or token arrays (each token becomes a word of its own)."""
    if isinstance(raw, str) or _tokens(raw) is not None:
        items: list[object] = [raw]
    elif isinstance(raw, list) and raw:
        items = cast(list[object], raw)
    else:
        raise EmbeddingError(_INVALID_INPUT)
    texts: list[str] = []
    for item in items:
        tokens = _tokens(item)
        if isinstance(item, str) and item:
            texts.append(item)
        elif tokens is not None:
            texts.append(" ".join(f"t{t}" for t in tokens))
        else:
            raise EmbeddingError(_INVALID_INPUT)
    return texts


def respond(body: dict[str, Any]) -> dict[str, Any]:
    """OpenAI's `CreateEmbeddingResponse` for a request body (already known to name a model)."""
    model = str(body["model"])
    native = MODEL_DIMENSIONS.get(model, _DEFAULT_DIMENSIONS)
    dimensions = body.get("dimensions")
    if dimensions is None:
        dimensions = native
    elif not isinstance(dimensions, int) or isinstance(dimensions, bool) or not 1 <= dimensions <= native:
        raise EmbeddingError(f"Invalid 'dimensions': must be an integer from 1 to {native}.")
    elif model == "text-embedding-ada-002":
        raise EmbeddingError("This model does not support specifying dimensions.")
    encoding = body.get("encoding_format") or "float"
    if encoding not in ("float", "base64"):
        raise EmbeddingError("Invalid 'encoding_format': expected 'float' or 'base64'.")
    texts = _texts(body.get("input"))
    data: list[dict[str, Any]] = []
    for index, text in enumerate(texts):
        values = vector(text, dimensions)
        encoded: object = values
        if encoding == "base64":
            encoded = base64.b64encode(struct.pack(f"<{dimensions}f", *values)).decode()
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    tokens = sum(len(re.findall(r"\w+|[^\w\s]", text)) for text in texts)
    return {"object": "list", "data": data, "model": model, "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}
