"""Embeddings from any OpenAI-compatible `/v1/embeddings` endpoint (OpenAI, Ollama, vLLM, LM Studio)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from aide_memory.embeddings import (
    DEFAULT_OPENAI_MODEL,
    OPENAI_MAX_BATCH,
    EmbedderUnavailable,
    MissingDependencyError,
    l2_normalise,
)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float32]


# --------------------------------------------------------------------------------------------------------------------
# OpenAI-compatible endpoints
# --------------------------------------------------------------------------------------------------------------------

_OPENAI_INSTALL_HINT = "the openai embedder needs the openai package: pip install 'aide-memory[openai]'"


class OpenAIEmbedder:
    """Embeddings from an OpenAI-compatible endpoint via the official `openai` client.

    `base_url` (e.g. "http://localhost:11434/v1" for Ollama) and `api_key` go to the client, which otherwise reads
    OPENAI_BASE_URL and OPENAI_API_KEY. With a `base_url` and no key anywhere, a placeholder key is sent, as local
    servers ignore it. Requests carry at most 256 inputs; the client's own retries and timeouts apply. `dim` is
    learned from the first answer (reading it before any `embed` costs one short request; embedding no texts before
    then returns a (0, 0) array).
    """

    # Over the network: `remember` waits for the vectors before it takes the store's write lock (see server.py).
    remote = True

    def __init__(
        self,
        model: str = DEFAULT_OPENAI_MODEL,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        batch_size: int = OPENAI_MAX_BATCH,
    ) -> None:
        try:
            import openai
        except ImportError as exc:
            raise MissingDependencyError(_OPENAI_INSTALL_HINT) from exc
        if not model:
            raise ValueError("the openai embedder needs a model name")
        if api_key is None and base_url is not None and not os.environ.get("OPENAI_API_KEY"):
            api_key = "unused"
        self.model = model
        self.name = f"openai:{model}"
        try:
            self._client = openai.OpenAI(base_url=base_url, api_key=api_key)
        except openai.OpenAIError as exc:  # no key given and none in OPENAI_API_KEY
            raise EmbedderUnavailable(
                "the openai embedder has no API key: set OPENAI_API_KEY in the memory server's environment (or "
                "embedding_base_url for a local endpoint that needs none)"
            ) from exc
        self._batch_size = max(1, min(batch_size, OPENAI_MAX_BATCH))
        self._dim: int | None = None

    @property
    def dim(self) -> int:
        if self._dim is None:
            self.embed(["dimension probe"])
        assert self._dim is not None
        return self._dim

    def embed(self, texts: Sequence[str]) -> FloatArray:
        import numpy as np

        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of texts, not a single string")
        items = [str(t) for t in texts]
        if not items:
            return np.zeros((0, self._dim or 0), dtype=np.float32)
        rows: list[Any] = []
        for start in range(0, len(items), self._batch_size):
            batch = items[start : start + self._batch_size]
            # encoding_format is left to the SDK: it asks for base64 and decodes it, and also accepts servers that
            # answer with plain float lists regardless.
            response = self._client.embeddings.create(model=self.model, input=batch)
            data = sorted(response.data, key=lambda d: d.index)
            if [d.index for d in data] != list(range(len(batch))):
                raise ValueError(
                    f"embeddings endpoint answered {len(data)} vectors with indexes "
                    f"{[d.index for d in data][:10]} for {len(batch)} inputs"
                )
            rows.extend(d.embedding for d in data)
        lengths = {len(row) for row in rows}
        if len(lengths) != 1 or 0 in lengths:
            raise ValueError(f"{self.name} answered vectors of inconsistent or zero length: {sorted(lengths)[:5]}")
        vectors = np.asarray(rows, dtype=np.float32)
        if self._dim is None:
            self._dim = int(vectors.shape[1])
        elif vectors.shape[1] != self._dim:
            raise ValueError(f"{self.name} answered {vectors.shape[1]}-dimensional vectors, earlier {self._dim}")
        return l2_normalise(vectors)

    def close(self) -> None:
        """Close the HTTP client's connections."""
        self._client.close()
