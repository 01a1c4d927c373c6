"""Vectors for memories stored without one: those from before an embedding model was configured (a store made with
embeddings = "none", or by an older aide-memory), restored from a backup, or embedded by another model.

One daemon thread per store and model works through them newest first, in batches, while recall goes on with the
keyword side and whatever vectors exist: nothing waits for it. `done` is set when no memory lacks a vector.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aide_memory.embeddings import Embedder
    from aide_memory.store import MemoryStore

logger = logging.getLogger(__name__)

BATCH = 256


class Backfill:
    def __init__(self, store: MemoryStore, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder
        self.done = threading.Event()
        self.filled = 0
        self._thread = threading.Thread(target=self._run, name="aide-memory-backfill", daemon=True)

    def start(self) -> Backfill:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            while True:
                missing = self.store.missing_vectors(self.embedder.name, BATCH)
                if not missing:
                    break
                texts = [f"{context}\n{content}" if context else content for _, content, context in missing]
                matrix = self.embedder.embed(texts)
                self.store.put_vectors(
                    self.embedder.name,
                    [
                        (rowid, row.astype("float32").tobytes())
                        for (rowid, _, _), row in zip(missing, matrix, strict=True)
                    ],
                )
                self.filled += len(missing)
            if self.filled:
                logger.info("computed vectors for %d memories stored without one", self.filled)
        except Exception:  # a damaged store or a failing model: recall goes on with keywords, as before
            logger.warning("computing vectors for stored memories stopped", exc_info=True)
        finally:
            self.done.set()
