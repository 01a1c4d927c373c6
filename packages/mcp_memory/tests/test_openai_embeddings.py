"""The OpenAI-compatible embedder through the real `openai` SDK against the sandbox's embeddings endpoint, alone and
inside the memory server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from aide_memory.embeddings import OpenAIEmbedder, make_embedder
from aide_sandbox.app import SandboxHandle
from aide_sandbox.llm.embeddings import vector

MODEL = "text-embedding-3-small"
DIM = 1536


@pytest.fixture
def embedder(sandbox: SandboxHandle) -> Iterator[Callable[..., OpenAIEmbedder]]:
    made: list[OpenAIEmbedder] = []

    def build(**options: Any) -> OpenAIEmbedder:
        options = {"model": MODEL, "base_url": sandbox.urls["openai"], "api_key": "sk-test"} | options
        built = make_embedder("openai", **options)
        assert isinstance(built, OpenAIEmbedder)
        made.append(built)
        return built

    yield build
    for built in made:
        built.close()


def test_rows_are_the_endpoints_vectors_in_input_order_as_float32(
    sandbox: SandboxHandle, embedder: Callable[..., OpenAIEmbedder]
) -> None:
    texts = ["first memory", "a second, longer memory text", "third"]
    rows = embedder().embed(texts)
    [request] = sandbox.llm.requests("openai.embeddings")
    assert request.body["model"] == MODEL and request.body["input"] == texts
    assert request.body["encoding_format"] == "base64"  # the SDK's default: it decodes the answer itself
    assert request.headers["authorization"] == "Bearer sk-test"
    assert rows.dtype == np.float32 and rows.shape == (3, DIM)
    np.testing.assert_allclose(rows, [vector(text, DIM) for text in texts], atol=1e-6)


def test_a_long_list_goes_in_requests_of_at_most_256_inputs(
    sandbox: SandboxHandle, embedder: Callable[..., OpenAIEmbedder]
) -> None:
    texts = [f"memory number {i}" for i in range(600)]
    rows = embedder().embed(texts)
    sent = [request.body["input"] for request in sandbox.llm.requests("openai.embeddings")]
    assert [len(batch) for batch in sent] == [256, 256, 88]
    assert [text for batch in sent for text in batch] == texts
    np.testing.assert_allclose(rows[599], vector(texts[599], DIM), atol=1e-6)


def test_the_dimension_costs_one_probe_request_and_is_then_known(
    sandbox: SandboxHandle, embedder: Callable[..., OpenAIEmbedder]
) -> None:
    built = embedder()
    assert built.dim == DIM and built.dim == DIM
    assert built.embed([]).shape == (0, DIM)
    assert len(sandbox.llm.requests("openai.embeddings")) == 1


def test_a_local_endpoint_needs_no_api_key(
    sandbox: SandboxHandle, embedder: Callable[..., OpenAIEmbedder], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    embedder(api_key=None).embed(["hello"])
    assert sandbox.llm.requests("openai.embeddings")[0].headers["authorization"] == "Bearer unused"


def test_a_rate_limit_is_retried_by_the_sdk_and_a_lasting_failure_reaches_the_caller(
    sandbox: SandboxHandle, embedder: Callable[..., OpenAIEmbedder]
) -> None:
    import openai

    sandbox.faults.inject("openai.embeddings", status=429, retry_after=0, times=1)
    assert embedder().embed(["hello"]).shape == (1, DIM)
    [answered] = sandbox.llm.requests("openai.embeddings")  # the faulted attempt is answered before recording
    assert answered.headers["x-stainless-retry-count"] == "1"
    sandbox.faults.inject("openai.embeddings", status=500, times=None)
    with pytest.raises(openai.InternalServerError):
        embedder().embed(["hello again"])


@pytest.mark.anyio
async def test_the_memory_server_ranks_by_the_endpoints_vectors(sandbox: SandboxHandle, memory_server) -> None:
    settings = {"embeddings": "openai", "embedding_model": MODEL, "embedding_base_url": sandbox.urls["openai"]}
    async with memory_server(**settings) as memory:
        await memory.remember("The spare key is under the blue flowerpot", "Anna likes oolong tea")
        results = await memory.recall("flowerpot key", limit=2)
    assert results[0]["content"] == "The spare key is under the blue flowerpot"
    assert "meaning" in results[0]["why"]
    embedded = [text for r in sandbox.llm.requests("openai.embeddings") for text in r.body["input"]]
    assert "Anna likes oolong tea" in embedded and "flowerpot key" in embedded


@pytest.mark.anyio
async def test_a_failing_endpoint_reaches_the_model_through_the_upstream_error_mapping(
    sandbox: SandboxHandle, memory_server
) -> None:
    settings = {"embeddings": "openai", "embedding_model": MODEL, "embedding_base_url": sandbox.urls["openai"]}
    sandbox.faults.inject("openai.embeddings", status=401, times=None)
    async with memory_server(**settings) as memory:
        refused = await memory.error("remember", items=[{"content": "Anna likes oolong tea"}])
    assert refused.startswith("Error executing tool remember: The embeddings endpoint refused the API key: ")
    assert "OPENAI_API_KEY" in refused  # a key to set, not a sign-in to repeat
    assert "internal error" not in refused and "trace id" not in refused, refused


def test_an_endpoint_that_does_not_answer_reads_as_unreachable_and_its_error_bodies_as_its_own() -> None:
    import httpx2 as httpx  # the HTTP library this openai SDK is built on
    import openai

    from aide_core.errors import RateLimited, UpstreamError, UpstreamUnreachable
    from aide_core.upstream import from_exception
    from aide_memory.endpoint_errors import ENDPOINT_ERRORS
    from aide_memory.server import spec

    def mapped(exc: Exception) -> object:  # as the server maps what a tool lets escape
        assert spec.upstream is not None
        return from_exception(spec.upstream, exc, ENDPOINT_ERRORS)

    request = httpx.Request("POST", "http://127.0.0.1:9/v1/embeddings")
    for exc in (openai.APIConnectionError(request=request), openai.APITimeoutError(request)):
        error = mapped(exc)
        assert isinstance(error, UpstreamUnreachable) and "The embeddings endpoint" in str(error)

    def answer(status: int, code: str, message: str) -> openai.APIStatusError:
        body = {"error": {"message": message, "type": "x", "param": None, "code": code}}
        response = httpx.Response(status, json=body, request=request)
        return openai.APIStatusError(message, response=response, body=body)

    quota = mapped(answer(429, "insufficient_quota", "You exceeded your current quota"))
    limited = mapped(answer(429, "rate_limit_exceeded", "Slow down"))
    assert isinstance(quota, UpstreamError) and not isinstance(quota, RateLimited)
    assert "You exceeded your current quota" in str(quota) and "quota" in (quota.hint or "")
    assert isinstance(limited, RateLimited)


@pytest.mark.anyio
async def test_a_missing_key_leaves_keyword_recall_working_and_says_why(
    memory_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    async with memory_server(embeddings="openai", embedding_model=MODEL) as memory:
        (memory_id,) = await memory.remember("The spare key is under the blue flowerpot")
        found = await memory.recall("spare key")
        stats = await memory.call("memory_stats")
    assert [hit["id"] for hit in found] == [memory_id]
    assert stats["embeddings"].startswith("none (the openai embedder has no API key: set OPENAI_API_KEY")


def test_a_local_model_it_cannot_run_is_refused_when_the_configuration_is_read() -> None:
    from pydantic import ValidationError

    from aide_memory.server import MemorySettings

    with pytest.raises(ValidationError, match="the local embedder runs all-MiniLM-L6-v2"):
        MemorySettings.model_validate({"embeddings": "local", "embedding_model": "bert-base"})


class SlowEndpoint:
    """An endpoint that answers only when the test lets it (the local model computes the vectors, behind a gate)."""

    remote = True

    def __init__(self) -> None:
        import threading

        model = make_embedder("local")
        assert model is not None
        self.model, self.name, self.dim = model, model.name, model.dim
        self.asked, self.answer = threading.Event(), threading.Event()

    def embed(self, texts: list[str]) -> Any:
        self.asked.set()
        assert self.answer.wait(60)
        return self.model.embed(texts)


@pytest.mark.anyio
async def test_a_slow_endpoint_never_holds_the_stores_write_lock(settings) -> None:
    import sqlite3

    import anyio
    from mcp import Client

    from aide_memory.server import MemorySettings, spec

    runtime = spec.make_runtime(settings, MemorySettings.model_validate({"confirm": "never", "embeddings": "local"}))
    state = runtime.state()
    state._embedder = endpoint = SlowEndpoint()  # pyright: ignore[reportPrivateUsage, reportAttributeAccessIssue]
    state.store.db  # noqa: B018 - the file exists and is migrated before the race below
    other: list[str] = []
    async with Client(spec.build(settings, runtime=runtime)) as client, anyio.create_task_group() as group:
        group.start_soon(client.call_tool, "remember", {"items": [{"content": "Anna likes oolong tea"}]})
        assert await anyio.to_thread.run_sync(endpoint.asked.wait, 60)
        # Another person's write, while the endpoint has not answered: it must not have to wait for it.
        with sqlite3.connect(state.store.path, timeout=0, isolation_level=None) as connection:
            connection.execute("BEGIN IMMEDIATE")
            other.append("written")
            connection.execute("ROLLBACK")
        endpoint.answer.set()
    assert other == ["written"]
    (row,) = state.store.rows(state.scope())
    assert row["content"] == "Anna likes oolong tea"
    assert state.store.missing_vectors(endpoint.name, 10) == []  # stored with its vector once the endpoint answered
    runtime.close()
