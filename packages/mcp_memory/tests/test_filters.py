"""Filters narrow the searches themselves: a memory that passes them is found however many others match better."""

from __future__ import annotations

from pathlib import Path

import pytest

from aide_memory.filters import Filters
from aide_memory.models import NewMemory
from aide_memory.store import MemoryStore, Scope

pytestmark = pytest.mark.anyio

# Short texts that say "coffee" twice outrank the long preference that says it once, so that all 300 come first.
EVENTS = [f"coffee and coffee, entry {i}" for i in range(300)]
PREFERENCE = "When it comes to my morning coffee I take it black, with no sugar and no milk, wherever we are"


async def remember_events(memory, **fields) -> None:
    """The 300 events, each on its own day (same-day identical wording would be merged into one memory)."""
    for start in range(0, 300, 100):
        items = [{"content": text, "category": "event", **fields} for text in EVENTS[start : start + 100]]
        for offset, item in enumerate(items):
            item["about_time"] = f"2024-{1 + (start + offset) // 28 % 12:02d}-{1 + (start + offset) % 28:02d}T09:00:00Z"
        await memory.call("remember", items=items)


async def test_a_category_filter_finds_the_one_preference_among_300_matching_events(memory_server) -> None:
    async with memory_server(embeddings="none") as memory:
        await remember_events(memory)
        await memory.remember(PREFERENCE, category="preference")
        found = await memory.recall("coffee", categories=["preference"])
        unfiltered = await memory.recall("coffee", limit=50)
    assert [hit["content"] for hit in found] == [PREFERENCE]
    assert PREFERENCE not in [hit["content"] for hit in unfiltered]  # the events alone fill the ranking


async def test_a_source_filter_and_a_time_range_also_apply_inside_the_search(memory_server) -> None:
    async with memory_server(embeddings="none") as memory:
        await remember_events(memory, source="calendar")
        await memory.remember("coffee beans are in the top drawer", source="manual", about_time="2021-06-01T00:00:00Z")
        by_source = await memory.recall("coffee", sources=["manual"])
        by_time = await memory.recall("coffee", until="2022-01-01T00:00:00Z")
    assert [hit["content"] for hit in by_source] == ["coffee beans are in the top drawer"]
    assert [hit["content"] for hit in by_time] == ["coffee beans are in the top drawer"]


def test_the_dense_search_scores_only_the_memories_that_pass(tmp_path: Path) -> None:
    import numpy as np

    from aide_memory.vectors import VectorIndex

    store = MemoryStore(tmp_path / "dense.db")
    scope = Scope("u")
    query = np.ones(8, dtype=np.float32) / np.sqrt(8)
    close = [(query + 0.01 * i).astype(np.float32) for i in range(300)]
    store.remember(scope, [NewMemory(content=t, category="event") for t in EVENTS], [v.tobytes() for v in close], "m")
    far = np.eye(8, dtype=np.float32)[0]
    store.remember(scope, [NewMemory(content=PREFERENCE, category="preference")], [far.tobytes()], "m")
    filters = Filters(categories=("preference",))
    index = VectorIndex(store, "m")
    found = index.search(scope, query, 200, allowed=store.rowids_passing(scope, filters))
    assert [store.rows_by_rowid([r])[r]["content"] for r, _ in found] == [PREFERENCE]
    assert PREFERENCE not in [store.rows_by_rowid([r])[r]["content"] for r, _ in index.search(scope, query, 200)]
