"""The OpenAI fake's embeddings endpoint through the `openai` SDK: deterministic, normalised, and meaningful
enough that texts sharing words are closer than unrelated ones."""

from __future__ import annotations

import math
from typing import Any

import openai
import pytest

from aide_sandbox.app import SandboxHandle


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_vectors_are_normalised_deterministic_and_closer_for_related_texts(openai_client: Any) -> None:
    texts = ["the cat sat on the mat", "a cat on a mat", "quarterly revenue report"]
    first = openai_client.embeddings.create(model="text-embedding-3-small", input=texts)
    again = openai_client.embeddings.create(model="text-embedding-3-small", input=texts)
    vectors = [item.embedding for item in first.data]
    assert [item.index for item in first.data] == [0, 1, 2]
    assert len(vectors[0]) == 1536
    assert all(math.isclose(math.sqrt(cosine(v, v)), 1.0, rel_tol=1e-5) for v in vectors)
    assert vectors == [item.embedding for item in again.data]
    assert cosine(vectors[0], vectors[1]) > abs(cosine(vectors[0], vectors[2])) + 0.3
    assert first.usage.prompt_tokens > 0 and first.model == "text-embedding-3-small"


def test_dimensions_and_both_encodings_give_the_same_vector(openai_client: Any) -> None:
    as_base64 = openai_client.embeddings.create(model="text-embedding-3-large", input="hello world", dimensions=64)
    as_floats = openai_client.embeddings.create(
        model="text-embedding-3-large", input="hello world", dimensions=64, encoding_format="float"
    )
    assert len(as_base64.data[0].embedding) == 64
    assert as_base64.data[0].embedding == pytest.approx(as_floats.data[0].embedding, rel=1e-6)


def test_a_request_openai_would_refuse_is_a_400(sandbox: SandboxHandle, openai_client: Any) -> None:
    with pytest.raises(openai.BadRequestError):
        openai_client.embeddings.create(model="text-embedding-ada-002", input="x", dimensions=8)
    with pytest.raises(openai.BadRequestError):
        openai_client.embeddings.create(model="text-embedding-3-small", input=[])
    assert len(sandbox.llm.requests("openai.embeddings")) == 2


def test_the_sdk_pointed_at_the_sandbox_by_base_url_embeds(sandbox: SandboxHandle) -> None:
    client = openai.OpenAI(base_url=sandbox.urls["openai"], api_key="sk-anything", max_retries=0)
    try:
        result = client.embeddings.create(model="text-embedding-3-small", input=["one", "two"], dimensions=8)
    finally:
        client.close()
    assert [len(item.embedding) for item in result.data] == [8, 8]
