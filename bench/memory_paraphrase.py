"""Paraphrase recall of aide-memory: facts an assistant was told, asked later in other words, among hundreds of
unrelated memories, measured through the real MCP client as a host would.

Each set (bench/data/paraphrase_dev.json, paraphrase_test.json) holds ~45 facts with a question each, 100 hand-written
distractors and templates for 350 generated ones (meetings, calls and tasks with people and topics; seeded, so every
run stores the same memories). Everything is stored with `remember` in one seeded order, the facts without a
category (as a host that does not classify would store them), then each question is asked with `recall` (limit 10).
Reported: R@1, R@5, R@10 (the fact in the top k), MRR, ingest rate and recall latency.

The dev set is for tuning; the test set was written separately (other people, facts and distractors) and is only
reported.

    uv run python bench/memory_paraphrase.py                         # dev set, default configuration
    uv run python bench/memory_paraphrase.py --set test --json
    uv run python bench/memory_paraphrase.py --embeddings none       # keyword recall only
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DATA = Path(__file__).with_name("data")
BATCH = 100
LIMIT = 10


def memories(spec: dict[str, Any], seed: int = 0) -> list[dict[str, Any]]:
    """Every memory of a set, in one seeded order: facts, distractors and generated ones."""
    rng = random.Random(seed)
    templates = spec["templates"]
    generated: list[dict[str, Any]] = []
    seen: set[str] = set()
    while len(generated) < spec["generated"]:
        kind = rng.choice(["event", "event", "task"])
        text = rng.choice(templates[kind]).format(
            person=rng.choice(templates["person"]),
            topic=rng.choice(templates["topic"]),
            day=rng.choice(templates["day"]),
        )
        if text not in seen:
            seen.add(text)
            generated.append({"content": text, "category": kind})
    items = [{"content": fact["memory"]} for fact in spec["facts"]]
    items += [{"content": text} for text in spec["distractors"]] + generated
    rng.shuffle(items)
    return items


async def run(spec: dict[str, Any], config: dict[str, Any], workdir: Path) -> dict[str, Any]:
    from mcp import Client

    from aide_core.settings import load_settings
    from aide_memory.server import MemorySettings
    from aide_memory.server import spec as server_spec

    settings = MemorySettings.model_validate(
        {"database": str(workdir / "paraphrase.db"), "confirm": "never", "max_output_chars": 200_000} | config
    )
    server = server_spec.build(load_settings(), config=settings)
    items = memories(spec)
    id_of: dict[str, str] = {}
    async with Client(server) as client:
        began = time.perf_counter()
        for start in range(0, len(items), BATCH):
            batch = items[start : start + BATCH]
            result = await client.call_tool("remember", {"items": batch})
            if result.is_error or result.structured_content is None:
                raise RuntimeError(f"remember failed: {result.content}")
            for item, memory_id in zip(batch, result.structured_content["ids"], strict=True):
                id_of[item["content"]] = memory_id
        ingest = time.perf_counter() - began
        stats = (await client.call_tool("memory_stats", {})).structured_content or {}
        ranks: list[int | None] = []
        latencies: list[float] = []
        misses: list[dict[str, Any]] = []
        for fact in spec["facts"]:
            began = time.perf_counter()
            result = await client.call_tool("recall", {"query": fact["question"], "limit": LIMIT})
            latencies.append((time.perf_counter() - began) * 1000)
            hits = (result.structured_content or {}).get("results", [])
            wanted = id_of[fact["memory"]]
            rank = next((n for n, hit in enumerate(hits, 1) if hit["id"] == wanted), None)
            ranks.append(rank)
            if rank != 1:
                misses.append({"question": fact["question"], "wanted": fact["memory"], "rank": rank,
                               "first": hits[0]["content"] if hits else None})  # fmt: skip
    n = len(ranks)
    return {
        "embeddings": stats.get("embeddings"),
        "facts": n,
        "memories": len(items),
        **{f"recall_at_{k}": round(sum(1 for r in ranks if r is not None and r <= k) / n, 3) for k in (1, 5, 10)},
        "mrr": round(sum(1 / r for r in ranks if r) / n, 3),
        "ingest_per_s": round(len(items) / ingest, 1),
        "recall_ms_p50": round(statistics.median(latencies), 2),
        "misses": misses,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", choices=["dev", "test"], default="dev")
    parser.add_argument("--embeddings", choices=["none", "local", "openai"], help="default: the server's default")
    parser.add_argument("--model", help="embedding_model (e.g. minilm-l6-v2 for the float32 numpy model)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--misses", action="store_true", help="list the questions whose fact was not first")
    args = parser.parse_args()
    spec = json.loads((DATA / f"paraphrase_{args.set}.json").read_text(encoding="utf-8"))
    config: dict[str, Any] = {}
    if args.embeddings:
        config["embeddings"] = args.embeddings
    if args.model:
        config["embedding_model"] = args.model
    with tempfile.TemporaryDirectory() as workdir:
        os.environ.setdefault("AIDE_HOME", workdir)
        os.environ.setdefault("AIDE_CONFIG", str(Path(workdir) / "config.toml"))
        result = asyncio.run(run(spec, config, Path(workdir)))
    result["set"] = args.set
    if args.json:
        json.dump({k: v for k, v in result.items() if k != "misses" or args.misses}, sys.stdout, indent=1)
        print()
        return 0
    print(f"paraphrase {args.set}: {result['facts']} facts among {result['memories']} memories, "
          f"embeddings {result['embeddings']}")  # fmt: skip
    print(f"R@1 {result['recall_at_1']:.3f}  R@5 {result['recall_at_5']:.3f}  R@10 {result['recall_at_10']:.3f}  "
          f"MRR {result['mrr']:.3f}  ingest {result['ingest_per_s']}/s  "
          f"recall p50 {result['recall_ms_p50']} ms")  # fmt: skip
    if args.misses:
        for miss in result["misses"]:
            print(f"- rank {miss['rank']}: {miss['question']!r} wants {miss['wanted']!r}, first {miss['first']!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
