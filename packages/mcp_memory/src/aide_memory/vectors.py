"""Dense vectors: stored as float32 blobs in SQLite, searched exactly with numpy.

Why not sqlite-vec: it is a loadable extension, and the Python that many users run cannot load extensions (this
machine's default build, python.org's macOS builds). An exact matrix product over 100,000 x 384 float32 takes
about 5 ms here, which is all the speed recall needs, and it behaves the same on every platform. The matrix of a
scope is cached in memory and reloaded when the store's generation counter says another write (from any process)
changed it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aide_memory.store import MemoryStore, Scope

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


@dataclass
class _Cached:
    generation: int
    rowids: npt.NDArray[np.int64]
    matrix: npt.NDArray[np.float32]


class VectorIndex:
    def __init__(self, store: MemoryStore, model: str) -> None:
        self.store = store
        self.model = model
        self._cache: dict[Scope, _Cached] = {}
        self._lock = threading.Lock()

    def _load(self, scope: Scope) -> _Cached:
        import numpy as np

        generation = self.store.generation()
        with self._lock:
            cached = self._cache.get(scope)
            if cached is not None and cached.generation == generation:
                return cached
        rowids, blobs = self.store.vectors(scope, self.model)
        if blobs:
            matrix = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), -1)
        else:
            matrix = np.zeros((0, 0), dtype=np.float32)
        cached = _Cached(generation, np.asarray(rowids, dtype=np.int64), matrix)
        with self._lock:
            self._cache[scope] = cached
        return cached

    def search(self, scope: Scope, query: npt.NDArray[np.float32], k: int) -> list[tuple[int, float]]:
        """(rowid, cosine) of the `k` nearest vectors (rows and query are unit length, so a dot product)."""
        import numpy as np

        cached = self._load(scope)
        if cached.matrix.shape[0] == 0:
            return []
        scores = cached.matrix @ query
        k = min(k, scores.shape[0])
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(cached.rowids[i]), float(scores[i])) for i in top]
