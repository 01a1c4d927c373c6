"""Pluggable text embeddings for hybrid (lexical + vector) recall.

Three kinds, chosen by `make_embedder(kind)`:

* ``"none"``: no embedder; recall is lexical only.
* ``"local"`` (the default): all-MiniLM-L6-v2 (384 dimensions) on the CPU, by default with int8 weights in ONNX
  Runtime (`onnx_embedder.py`, model "minilm-l6-v2-int8"); model "minilm-l6-v2" is the float32 model in numpy
  (`minilm_numpy.LocalMiniLM`), kept as the reference the int8 one is checked against.
* ``"openai"``: `openai_embedder.OpenAIEmbedder`, any OpenAI-compatible ``/v1/embeddings`` endpoint (OpenAI,
  Ollama, vLLM, LM Studio).

Every embedder returns float32 rows of unit length, so cosine similarity is a dot product, and carries a `name`
that is stored next to the vectors: when the configured model changes, stored vectors are recognisably stale.

Importing this module is cheap: numpy, tokenizers, safetensors and openai are imported only when an embedder is
built or first used, and the local model's weights are loaded on the first `embed` and cached per process.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from aide_memory.minilm_numpy import LocalMiniLM
    from aide_memory.openai_embedder import OpenAIEmbedder

    FloatArray = npt.NDArray[np.float32]

__all__ = [
    "EMBEDDER_KINDS",
    "Embedder",
    "EmbedderUnavailable",
    "LocalMiniLM",
    "MissingDependencyError",
    "OpenAIEmbedder",
    "make_embedder",
]

EMBEDDER_KINDS = ("none", "local", "openai")

LOCAL_MODEL_NAME = "minilm-l6-v2"
DEFAULT_LOCAL_MODEL = "minilm-l6-v2-int8"
# Names under which people know the float32 local model; `make_embedder("local", model=...)` accepts any of them.
_LOCAL_MODEL_ALIASES = frozenset(
    {LOCAL_MODEL_NAME, "all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2", "all-minilm", "minilm"}
)
_INT8_ALIASES = frozenset({DEFAULT_LOCAL_MODEL, "all-minilm-l6-v2-int8", "minilm-int8"})
DEFAULT_OPENAI_MODEL = "text-embedding-3-small"
# Inputs per embeddings request: OpenAI accepts up to 2048, local servers are happier with less.
OPENAI_MAX_BATCH = 256


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit-length float32 vectors."""

    @property
    def name(self) -> str:
        """Identifies the model, e.g. "minilm-l6-v2" or "openai:text-embedding-3-small"; stored with the vectors."""
        ...

    @property
    def dim(self) -> int:
        """Length of each vector."""
        ...

    def embed(self, texts: Sequence[str]) -> FloatArray:
        """Return a float32 array of shape (len(texts), dim) whose rows are L2-normalised, in input order."""
        ...


class EmbedderUnavailable(Exception):
    """The configured embedder cannot be built here: its packages or its key are missing. The server then recalls by
    keywords and says why (memory_stats, the log) rather than failing every tool."""


class MissingDependencyError(ImportError, EmbedderUnavailable):
    """An embedder kind was asked for whose optional dependencies are not installed."""


def check_model(kind: str, model: str | None) -> None:
    """Refuse a model the kind cannot run (ValueError naming the ones it can), so a configuration names a wrong
    model once, when it is loaded, instead of every tool failing later."""
    chosen = (model or DEFAULT_LOCAL_MODEL).strip().lower()
    if kind.strip().lower() == "local" and chosen not in _INT8_ALIASES | _LOCAL_MODEL_ALIASES:
        raise ValueError(
            f"the local embedder runs all-MiniLM-L6-v2 (int8: {DEFAULT_LOCAL_MODEL}, or float32: "
            f"{LOCAL_MODEL_NAME}), not {model!r}; use embeddings = 'openai' for other models"
        )


def make_embedder(
    kind: str, *, model: str | None = None, base_url: str | None = None, api_key: str | None = None
) -> Embedder | None:
    """Build the embedder for a configured kind: "none" (returns None: lexical recall only), "local" or "openai".

    `model` selects the OpenAI-compatible model (default text-embedding-3-small); for "local" it may be left out (the
    int8 all-MiniLM-L6-v2 in ONNX Runtime) or name the float32 one, "minilm-l6-v2". `base_url` and `api_key` only
    concern "openai" and are passed to the `openai` client.
    Raises ValueError for an unknown kind or model, MissingDependencyError when the kind's extra is not installed.
    """
    normalised = kind.strip().lower()
    if normalised == "none":
        return None
    if normalised == "local":
        chosen = (model or DEFAULT_LOCAL_MODEL).strip().lower()
        if chosen in _INT8_ALIASES:
            from aide_memory.onnx_embedder import MissingModelError, local_minilm_int8

            try:
                return local_minilm_int8()
            except MissingModelError as exc:
                raise MissingDependencyError(str(exc)) from None
        check_model(kind, model)
        from aide_memory.minilm_numpy import LocalMiniLM

        return LocalMiniLM()
    if normalised == "openai":
        from aide_memory.openai_embedder import OpenAIEmbedder

        return OpenAIEmbedder(model or DEFAULT_OPENAI_MODEL, base_url=base_url, api_key=api_key)
    raise ValueError(f"unknown embedder kind {kind!r}; valid kinds: {', '.join(EMBEDDER_KINDS)}")


def l2_normalise(vectors: FloatArray) -> FloatArray:
    import numpy as np

    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, np.float32(1e-12))).astype(np.float32, copy=False)


def __getattr__(name: str) -> Any:
    """The embedders' classes, from their own modules on first use (importing this module stays cheap)."""
    if name == "LocalMiniLM":
        from aide_memory.minilm_numpy import LocalMiniLM

        return LocalMiniLM
    if name == "OpenAIEmbedder":
        from aide_memory.openai_embedder import OpenAIEmbedder

        return OpenAIEmbedder
    raise AttributeError(f"module 'aide_memory.embeddings' has no attribute {name!r}")


def length_batches(token_ids: list[list[int]], batch_size: int, max_tokens: int) -> list[list[int]]:
    """Text indexes grouped shortest first (each batch pads to its longest text, so sorting keeps padding small), at
    most `batch_size` texts and `max_tokens` padded tokens a batch. Shared by the local embedders."""
    batches: list[list[int]] = []
    current: list[int] = []
    for i in sorted(range(len(token_ids)), key=lambda i: len(token_ids[i])):
        # Sorted ascending, so text i sets the batch's padded length.
        if current and (len(current) >= batch_size or (len(current) + 1) * len(token_ids[i]) > max_tokens):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches
