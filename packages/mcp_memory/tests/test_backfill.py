"""A store written without vectors (embeddings = "none", or an older aide-memory) gets them in the background once a
model is configured, and recall answers meanwhile."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from aide_memory.backfill import Backfill
from aide_memory.store import SCHEMA_VERSION, MemoryStore, Scope

pytestmark = pytest.mark.anyio


class GatedEmbedder:
    """A real model behind a gate: it embeds only once the test opens the gate, so the test can look at the store
    while the backfill is provably still waiting."""

    def __init__(self) -> None:
        from aide_memory.embeddings import make_embedder

        self.model = make_embedder("local")
        assert self.model is not None
        self.name = self.model.name
        self.dim = self.model.dim
        self.gate = threading.Event()
        self.waiting = threading.Event()

    def embed(self, texts):  # type: ignore[no-untyped-def]
        if threading.current_thread().name == "aide-memory-backfill":
            self.waiting.set()
            assert self.gate.wait(60)
        return self.model.embed(texts)  # type: ignore[union-attr]


async def test_memories_stored_without_vectors_get_them_in_the_background(memory_server, tmp_path: Path) -> None:
    database = str(tmp_path / "old.db")
    async with memory_server(embeddings="none", database=database) as lexical:
        await lexical.remember("I get carsick on long bus rides", category="fact")
        await lexical.remember("My favourite food is pasta with pesto", category="fact")
    store = MemoryStore(Path(database))
    assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store.db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0] == 0

    embedder = GatedEmbedder()
    backfill = Backfill(store, embedder).start()  # type: ignore[arg-type]
    assert embedder.waiting.wait(60)
    # While it waits, the store answers (a keyword search here; the server's recall does the same).
    assert store.fts(Scope("default"), '"carsick"', 10)
    assert not backfill.done.is_set()
    assert store.without_vector(Scope("default"), embedder.name) == 2  # what memory_stats reports meanwhile
    embedder.gate.set()
    assert backfill.done.wait(60)
    assert backfill.filled == 2
    assert store.without_vector(Scope("default"), embedder.name) == 0
    assert tuple(store.db.execute("SELECT COUNT(*), MIN(model) FROM vectors").fetchone()) == (2, "minilm-l6-v2-int8")


async def test_a_server_with_the_default_model_finds_old_memories_by_meaning_once_filled(
    memory_server, settings, tmp_path: Path
) -> None:
    from mcp import Client

    from aide_core.testing import ToolClient
    from aide_memory.server import MemorySettings, spec

    database = str(tmp_path / "old.db")
    question = "does travelling by coach make me feel sick?"
    async with memory_server(embeddings="none", database=database) as lexical:
        await lexical.remember("I get carsick on long bus rides", "The dentist appointment is on Tuesday")
        missed = (await lexical.call("recall", query=question))["results"]
    runtime = spec.make_runtime(settings, MemorySettings(database=database, confirm="never"))
    async with Client(spec.build(runtime=runtime)) as client:
        hybrid = ToolClient(client)
        stats = await hybrid.call("memory_stats")  # builds the embedder, which starts the backfill
        backfill = runtime.state().backfill
        assert backfill is not None and backfill.done.wait(60)
        found = (await hybrid.call("recall", query=question))["results"]
        after = await hybrid.call("memory_stats")
    assert stats["embeddings"] == "minilm-l6-v2-int8" and after["without_vectors"] == 0
    assert "I get carsick on long bus rides" not in [hit["content"] for hit in missed]
    assert found[0]["content"] == "I get carsick on long bus rides" and "meaning" in found[0]["why"]
