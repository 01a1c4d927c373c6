"""Dense vectors: stored as float32 blobs in SQLite, searched exactly with numpy.

Why not sqlite-vec: it is a loadable extension, and the Python that many users run cannot load extensions (this
machine's default build, python.org's macOS builds). An exact matrix product over 100,000 x 384 float32 takes
about 5 ms here, which is all the speed recall needs, and it behaves the same on every platform. The matrix of a
scope is cached in memory and reloaded when the store's generation counter says another write (from any process)
changed it.

Past PREFILTER_FROM vectors, the exact product is the slow part of a hybrid recall (about 12 ms on one core at
100,000: it reads 150 MB). So a search first ranks every row in a 96-dimensional projection (the principal axes of
a sample of the rows: a quarter of the bytes), then scores the best PREFILTER_POOL of those exactly. On 100,000
MiniLM vectors this kept 99.9% of the exact top 200 at 3.5 ms.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aide_memory.store import MemoryStore, Scope

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


PREFILTER_FROM = 20_000
PREFILTER_DIMS = 96
PREFILTER_POOL = 1_000
_SAMPLE_ROWS = 4_096


@dataclass
class _Cached:
    generation: int
    epoch: int
    rowids: npt.NDArray[np.int64]
    matrix: npt.NDArray[np.float32]  # a view of the first rows of a buffer with room to grow
    basis: npt.NDArray[np.float32] | None = None  # (dim, PREFILTER_DIMS)
    reduced: npt.NDArray[np.float32] | None = None  # matrix @ basis, also a view of a larger buffer
    basis_rows: int = 0  # rows when the basis was drawn


def _times(matrix: npt.NDArray[np.float32], vector: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """matrix @ vector on the calling thread. BLAS's matrix-vector product splits the rows over its threads, and on
    the project's 2-core machine that took 1.8 or 8 ms for 100,000 x 96 from one run to the next (waking a thread
    on a core that SQLite's keyword search, beside it, is using); numpy's own loop takes 1.5 ms every time."""
    import numpy as np

    return np.einsum("ij,j->i", matrix, vector)


def _reserve(view: npt.NDArray[Any], rows: int) -> npt.NDArray[Any]:
    """`view` as the first rows of a writable buffer with room for `rows` more after it: the same buffer when it
    has them, else a new one a quarter larger than needed (so the memories stored after a load are appended without
    a copy, and the memory held stays within 1.25 times the matrix; doubling held up to twice)."""
    import numpy as np

    count = view.shape[0]
    base = view.base
    buffer = base if isinstance(base, np.ndarray) and base.ndim == view.ndim and base.flags.writeable else None
    if buffer is not None and buffer.shape[0] >= count + rows and buffer.shape[1:] == view.shape[1:]:
        return view
    need = count + rows
    buffer = np.empty((max(need + need // 4, 1024), *view.shape[1:]), dtype=view.dtype)
    buffer[:count] = view
    return buffer[:count]


def _grown(view: npt.NDArray[Any], added: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """`view` followed by `added`, written into the spare rows of view's buffer (see `_reserve`; readers of the old
    view never look past its end, so nothing they read changes)."""
    if added.shape[0] == 0:
        return view
    count, extra = view.shape[0], added.shape[0]
    buffer = _reserve(view, extra).base
    assert buffer is not None  # _reserve returns the first rows of a buffer
    buffer[count : count + extra] = added
    return buffer[: count + extra]


def _read(
    count: int,
    chunks: Iterator[list[tuple[int, bytes]]],
    matrix: npt.NDArray[np.float32] | None,
    rowids: npt.NDArray[np.int64] | None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """(rowids, matrix) followed by the `count` stored vectors of `chunks`, copied chunk by chunk into buffers sized
    once for all of them."""
    import numpy as np

    for chunk in chunks:
        block = np.frombuffer(b"".join(row[1] for row in chunk), dtype=np.float32).reshape(len(chunk), -1)
        ids = np.fromiter((row[0] for row in chunk), dtype=np.int64, count=len(chunk))
        if matrix is None or rowids is None:  # a first load: its width is the stored vectors'
            matrix = np.empty((0, block.shape[1]), dtype=np.float32)
            rowids = np.empty(0, dtype=np.int64)
        matrix, rowids = _grown(_reserve(matrix, count), block), _grown(_reserve(rowids, count), ids)
        count -= len(chunk)
    if matrix is None or rowids is None:
        return np.empty(0, dtype=np.int64), np.zeros((0, 0), dtype=np.float32)
    return rowids, matrix


class VectorIndex:
    def __init__(self, store: MemoryStore, model: str, *, prefilter_from: int = PREFILTER_FROM) -> None:
        self.store = store
        self.model = model
        self.prefilter_from = prefilter_from
        self._cache: dict[Scope, _Cached] = {}
        self._lock = threading.Lock()
        self._loading = threading.Lock()  # one load at a time writes into the shared buffers

    def _basis(self, matrix: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """The principal axes of an evenly spread sample of the rows."""
        import numpy as np

        picks = np.linspace(0, matrix.shape[0] - 1, min(_SAMPLE_ROWS, matrix.shape[0])).astype(np.int64)
        sample = matrix[picks]
        _, _, axes = np.linalg.svd(sample - sample.mean(axis=0), full_matrices=False)
        return np.ascontiguousarray(axes[:PREFILTER_DIMS].T, dtype=np.float32)

    def _load(self, scope: Scope) -> _Cached:
        """The scope's matrix, current as of the store's generation.

        New memories are appended to the cached matrix rather than reloading it (a reload reads every vector: about
        a second at 100,000), so a recall right after a remember stays fast; only a forget, which takes rows away,
        makes it load everything again."""

        generation, epoch = self.store.generation(), self.store.vector_epoch()
        with self._lock:
            cached = self._cache.get(scope)
        if cached is not None and cached.generation == generation:
            return cached
        with self._loading:
            return self._reload(scope, generation, epoch)

    def _reload(self, scope: Scope, generation: int, epoch: int) -> _Cached:

        with self._lock:
            cached = self._cache.get(scope)
        if cached is not None and cached.generation == generation:  # another thread loaded it meanwhile
            return cached
        grow = cached is not None and cached.epoch == epoch and cached.rowids.size > 0
        after = int(cached.rowids[-1]) if grow and cached is not None else 0
        with self.store.vectors(scope, self.model, after=after) as (count, chunks):
            if grow and cached is not None:
                start = cached.matrix.shape[0]
                ids, matrix = _read(count, chunks, cached.matrix, cached.rowids)
            else:
                start = 0
                ids, matrix = _read(count, chunks, None, None)
        if grow and cached is not None:
            added = matrix[start:]
            basis, reduced = cached.basis, cached.reduced
            # Keep the projection while the store has not doubled since its axes were drawn.
            if basis is not None and reduced is not None and matrix.shape[0] <= 2 * cached.basis_rows:
                reduced = _grown(reduced, added @ basis) if added.size else reduced
                fresh = _Cached(generation, epoch, ids, matrix, basis, reduced, cached.basis_rows)
            else:
                fresh = self._projected(_Cached(generation, epoch, ids, matrix))
        else:
            fresh = self._projected(_Cached(generation, epoch, ids, matrix))
        with self._lock:
            self._cache[scope] = fresh
        return fresh

    def _projected(self, cached: _Cached) -> _Cached:
        import numpy as np

        matrix = cached.matrix
        if matrix.shape[0] >= self.prefilter_from and matrix.shape[1] > PREFILTER_DIMS:
            cached.basis = self._basis(matrix)
            # Into a buffer with spare rows, as the matrix's: the projections of later memories are appended.
            reduced = _reserve(np.empty((0, PREFILTER_DIMS), dtype=np.float32), matrix.shape[0]).base
            assert reduced is not None
            cached.reduced = np.matmul(matrix, cached.basis, out=reduced[: matrix.shape[0]])
            cached.basis_rows = matrix.shape[0]
        return cached

    def search(
        self, scope: Scope, query: npt.NDArray[np.float32], k: int, *, allowed: Sequence[int] | None = None
    ) -> list[tuple[int, float]]:
        """(rowid, cosine) of the `k` nearest vectors (rows and query are unit length, so a dot product); with
        `allowed`, only among those rowids (the memories that pass a recall's filters)."""
        import numpy as np

        cached = self._load(scope)
        if cached.matrix.shape[0] == 0:
            return []
        if allowed is not None:
            # Filters narrow the rows scored, before ranking: the few that pass are all scored exactly.
            positions = np.flatnonzero(np.isin(cached.rowids, np.asarray(allowed, dtype=np.int64)))
            if positions.size == 0:
                return []
            scores = _times(cached.matrix[positions], query)
            k = min(k, scores.shape[0])
            top = np.argpartition(-scores, k - 1)[:k]
            top = top[np.argsort(-scores[top])]
            return [(int(cached.rowids[positions[p]]), float(scores[p])) for p in top]
        if cached.reduced is not None and cached.basis is not None and k < PREFILTER_POOL < cached.matrix.shape[0]:
            approximate = _times(cached.reduced, _times(cached.basis.T, query))
            rows = np.argpartition(-approximate, PREFILTER_POOL - 1)[:PREFILTER_POOL]
            scores = _times(cached.matrix[rows], query)
        else:
            rows = None
            scores = _times(cached.matrix, query)
        k = min(k, scores.shape[0])
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        positions = top if rows is None else rows[top]
        return [(int(cached.rowids[p]), float(s)) for p, s in zip(positions, scores[top], strict=True)]
