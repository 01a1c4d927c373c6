"""aide-memory at scale: insert rate, recall latency, database size and memory use with N synthetic memories.

The memories come from a seeded generator (templates filled from word lists: people, places, things, habits,
tasks; seven categories, 0-3 tags, about_time spread over the three years before today), so every run stores the
same texts. They go in through the real MCP client, `remember` in batches of 100, to an in-process server on a
fresh SQLite file, exactly as a host would send them. Then 200 seeded queries go through `recall` (limit 10): words
that occur in the memories, words that occur nowhere, some with a time phrase ("last week", "in May 2024") and
some long, sentence-like ones. Latency is measured around `call_tool`, after three unmeasured warm-up queries (the
first one is reported on its own: in hybrid mode it loads the vector matrix).

    uv run python bench/memory_scale.py [--n 100000] [--mode default|lexical|hybrid] [--queries 200] [--json]

The default mode is the server's default configuration (embeddings = "local": every memory is embedded with
all-MiniLM-L6-v2 int8 inside `remember`, which is what bounds its insert rate); lexical is embeddings = "none";
hybrid is "local" named explicitly.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SEED = 20240501
BATCH = 100
SPAN_DAYS = 3 * 365


def _words(text: str) -> list[str]:
    return text.split()


NAMES = _words("""
    Alice Bob Carmen Dmitri Elena Farid Grace Hiro Ines Jamal Kenji Lena Marco Nadia Omar Priya Quentin Rosa Sven Tara
    Umar Vera Wes Xena Yusuf Zoe Anika Bruno Chloe Diego Emeka Fatima Gustav Hana Ivan Julia Kofi Leila Mateo Nora
""")
RELATIONS = _words("sister brother mother father cousin colleague neighbour manager dentist landlord friend coach")
JOBS = _words("nurse architect teacher plumber lawyer chef pilot designer accountant journalist engineer baker")
CITIES = _words("""
    Lisbon Oslo Kyoto Denver Nairobi Lima Montreal Prague Seoul Austin Dublin Hanoi Porto Zurich Cairo Perth Tucson
    Bergen Malmo Leeds
""")
PLACES = _words("""
    gym library cafe office park market bakery station clinic museum pool garden theatre harbour school pharmacy
    bookshop cinema
""")
THINGS = _words("""
    coffee tea bicycle laptop passport umbrella guitar camera novel sandwich jacket printer headphones keys tickets
    invoice contract recipe notebook charger plant lamp sofa kettle blender backpack helmet
""")
ADJECTIVES = _words("quiet spicy cheap early late strong sweet vegan warm cold small large blue green old new")
FOODS = _words("sushi pasta curry tacos ramen falafel pizza salad dumplings paella risotto oatmeal")
ACTIVITIES = _words("running swimming climbing yoga chess painting cycling hiking pottery rowing dancing baking")
WEEKDAYS = _words("Monday Tuesday Wednesday Thursday Friday Saturday Sunday")
VERBS = _words("renew book return buy call email pay fix cancel collect send review print order")
TAGS = _words("""
    work family health travel money home food hobby urgent school car pets friends garden music sport admin kids
    shopping reading
""")
ABSENT = _words("""
    zeppelin quasar marmalade obsidian trombone glacier nebula walrus origami saxophone tundra kaleidoscope harpsichord
    meteorite archipelago
""")
TIME_PHRASES = ["last week", "yesterday", "last month", "2 days ago", "this year", "before 2024", "last year"]
MONTHS = _words("January February March April May June July August September October November December")

TEMPLATES: dict[str, list[str]] = {
    "preference": [
        "{name} prefers {adj} {food} over {food2}",
        "I like my {thing} {adj} and never {adj2}",
        "{name} would rather meet at the {place} than at the {place2}",
        "Prefers {activity} on {day} mornings before work",
    ],
    "fact": [
        "{name}'s {relation} works as a {job} in {city}",
        "My {relation} {name} moved to {city} and now works as a {job}",
        "The spare {thing} is kept in the {adj} box by the {place} door",
        "{name} is allergic to {food} and to {thing} dust",
    ],
    "habit": [
        "Every {day} {name} goes {activity} at the {place}",
        "Usually orders {food} from the {adj} place near the {place} on {day}",
        "Does {activity} with {name} twice a week in {city}",
    ],
    "person": [
        "{name} is my {relation}; loves {activity} and {food}",
        "{name}, a {job} from {city}, helped with the {thing} last time",
        "Met {name} through my {relation}; they talk a lot about {activity}",
    ],
    "event": [
        "Met {name} at the {place} in {city} to talk about the {thing}",
        "Went {activity} with {name} near {city}; lost the {thing} on the way",
        "Dinner with {name} and my {relation}: {food} at a {adj} restaurant in {city}",
        "{name}'s birthday party at the {place}, brought a {adj} {thing}",
    ],
    "task": [
        "Remember to {verb} the {thing} for {name} before {day}",
        "{verb} the {adj} {thing} at the {place} this week",
        "Ask {name} whether the {thing} from {city} has arrived",
    ],
    "note": [
        "The {adj} {thing} from {city} cost {number} euros",
        "Wi-Fi code at the {place} in {city} is {number}",
        "{name} recommended the {food} at the {place} in {city}, table {number}",
    ],
}


def fill(template: str, rng: random.Random) -> str:
    food, food2 = rng.sample(FOODS, 2)
    place, place2 = rng.sample(PLACES, 2)
    adj, adj2 = rng.sample(ADJECTIVES, 2)
    text = template.format(
        name=rng.choice(NAMES),
        relation=rng.choice(RELATIONS),
        job=rng.choice(JOBS),
        city=rng.choice(CITIES),
        place=place,
        place2=place2,
        thing=rng.choice(THINGS),
        adj=adj,
        adj2=adj2,
        food=food,
        food2=food2,
        activity=rng.choice(ACTIVITIES),
        day=rng.choice(WEEKDAYS),
        verb=rng.choice(VERBS),
        number=rng.randint(10, 99_999),
    )
    return text[0].upper() + text[1:]


def memories(n: int, today: datetime) -> Iterator[dict[str, Any]]:
    """The same `n` memories on every run; about_time is an offset from `today` (so "last week" finds some)."""
    rng = random.Random(SEED)
    categories = list(TEMPLATES)
    for _ in range(n):
        category = rng.choice(categories)
        about = today - timedelta(seconds=rng.randint(0, SPAN_DAYS * 86400))
        yield {
            "content": fill(rng.choice(TEMPLATES[category]), rng),
            "category": category,
            "tags": rng.sample(TAGS, rng.randint(0, 3)),
            "about_time": about.isoformat(),
            "confidence": round(rng.uniform(0.5, 1.0), 2),
            "source": "conversation",
        }


def queries(count: int, today: datetime) -> list[tuple[str, str]]:
    """(kind, query): 40% words that occur, 20% words that occur nowhere, 30% with a time phrase, 10% long."""
    rng = random.Random(SEED + 1)
    vocabulary = [*NAMES, *THINGS, *FOODS, *ACTIVITIES, *CITIES, *PLACES, *JOBS, *RELATIONS]
    out: list[tuple[str, str]] = []
    for i in range(count):
        slot = i % 10
        words = " ".join(rng.sample(vocabulary, rng.randint(1, 3)))
        if slot < 4:
            out.append(("present", rng.choice(["{}", "what about {}?", "anything on {}"]).format(words)))
        elif slot < 6:
            absent = " ".join(rng.sample(ABSENT, rng.randint(1, 3)))
            out.append(("absent", rng.choice(["{}", "what about {}?"]).format(absent)))
        elif slot < 9:
            if rng.random() < 0.4:
                moment = today - timedelta(days=rng.randint(30, SPAN_DAYS))
                phrase = f"in {MONTHS[moment.month - 1]} {moment.year}"
            else:
                phrase = rng.choice(TIME_PHRASES)
            out.append(("time", f"{words} {phrase}"))
        else:
            out.append(("long", fill(rng.choice(rng.choice(list(TEMPLATES.values()))), rng) + "?"))
    return out


def percentile(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def file_mb(path: Path) -> float:
    return path.stat().st_size / 1e6 if path.exists() else 0.0


def stored(database: Path) -> int:
    if not database.exists():
        return 0
    import sqlite3

    with sqlite3.connect(database) as db:
        return db.execute("SELECT COUNT(*) FROM memories").fetchone()[0]


async def run(
    n: int, mode: str, query_count: int, workdir: Path, progress: bool, database: Path | None = None
) -> dict[str, Any]:
    from mcp import Client

    from aide_core.settings import load_settings
    from aide_memory.server import MemorySettings, spec

    database = database or workdir / "memory.db"
    # A kept database that already holds the memories is only queried: hybrid ingest of 100,000 takes half an hour.
    reused = stored(database) >= n
    chosen = {"hybrid": {"embeddings": "local"}, "lexical": {"embeddings": "none"}}.get(mode, {})
    config = MemorySettings.model_validate(
        {"database": str(database), "confirm": "never", "max_output_chars": 12_000} | chosen
    )
    server = spec.build(load_settings(), config=config)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    stream = memories(n, today)
    inserted = merged = 0
    insert_seconds = 0.0
    tenth_rates: list[float] = []  # memories/s over each tenth of the run: does inserting slow down as n grows?
    tenth_start, tenth_seconds = 0, 0.0
    async with Client(server) as client:
        while inserted < n and not reused:
            batch = [item for _, item in zip(range(BATCH), stream, strict=False)]
            began = time.perf_counter()
            result = await client.call_tool("remember", {"items": batch})
            elapsed = time.perf_counter() - began
            if result.is_error or result.structured_content is None:
                raise RuntimeError(f"remember failed: {result.content}")
            insert_seconds += elapsed
            tenth_seconds += elapsed
            inserted += len(batch)
            merged += sum(result.structured_content["merged"])
            if inserted - tenth_start >= max(BATCH, n // 10) or inserted >= n:
                tenth_rates.append(round((inserted - tenth_start) / tenth_seconds, 1))
                tenth_start, tenth_seconds = inserted, 0.0
                if progress:
                    print(f"  {inserted} inserted, {tenth_rates[-1]}/s", file=sys.stderr, flush=True)

        asked = queries(query_count, today)
        first_ms = 0.0
        for index, (_, query) in enumerate(asked[:3]):
            began = time.perf_counter()
            await client.call_tool("recall", {"query": query, "limit": 10})
            if index == 0:
                first_ms = (time.perf_counter() - began) * 1000
        latencies: dict[str, list[float]] = {}
        hits = 0
        for kind, query in asked:
            began = time.perf_counter()
            result = await client.call_tool("recall", {"query": query, "limit": 10})
            latencies.setdefault(kind, []).append((time.perf_counter() - began) * 1000)
            if result.is_error or result.structured_content is None:
                raise RuntimeError(f"recall failed for {query!r}: {result.content}")
            hits += len(result.structured_content["results"])
        # An assistant stores something, then recalls on the next turn: the recall that follows a write.
        after_write: list[float] = []
        for index, (_, query) in enumerate(asked[:20]):
            note = {"content": f"benchmark note {index}: {query}", "category": "note"}
            await client.call_tool("remember", {"items": [note]})
            began = time.perf_counter()
            await client.call_tool("recall", {"query": query, "limit": 10})
            after_write.append((time.perf_counter() - began) * 1000)
        db_mb, wal_mb = file_mb(database), file_mb(database.with_name(database.name + "-wal"))
    every = [ms for values in latencies.values() for ms in values]
    return {
        "mode": mode,
        "n": n,
        "merged": merged,
        "insert_per_s": round(inserted / insert_seconds, 1) if inserted else None,
        "insert_per_s_by_tenth": tenth_rates,
        "queries": len(every),
        "recall_ms_p50": round(statistics.median(every), 2),
        "recall_ms_p99": round(percentile(every, 99), 2),
        "recall_ms_p50_by_kind": {kind: round(statistics.median(values), 2) for kind, values in latencies.items()},
        "first_recall_ms": round(first_ms, 2),
        "recall_after_write_ms_p50": round(statistics.median(after_write), 2),
        "mean_results": round(hits / len(every), 2),
        "db_mb": round(db_mb + wal_mb, 1),
        "db_main_mb": round(db_mb, 1),
        "db_wal_mb": round(wal_mb, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def print_report(result: dict[str, Any]) -> None:
    print(f"aide-memory scale, mode {result['mode']}, {result['n']} memories ({result['merged']} merged)")
    if result["insert_per_s"] is not None:
        print(f"  insert          {result['insert_per_s']} memories/s (by tenth: {result['insert_per_s_by_tenth']})")
    print(
        f"  recall          p50 {result['recall_ms_p50']} ms, p99 {result['recall_ms_p99']} ms over "
        f"{result['queries']} queries; first {result['first_recall_ms']} ms; right after a remember "
        f"{result['recall_after_write_ms_p50']} ms (p50 of 20)"
    )
    by_kind = ", ".join(f"{kind} {ms}" for kind, ms in result["recall_ms_p50_by_kind"].items())
    print(f"  p50 by kind     {by_kind} (ms); {result['mean_results']} results per query on average")
    print(f"  database        {result['db_mb']} MB ({result['db_main_mb']} + {result['db_wal_mb']} WAL)")
    print(f"  peak RSS        {result['peak_rss_mb']} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="memories to insert (default 100000)")
    parser.add_argument("--mode", choices=("default", "lexical", "hybrid"), default="default")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a report")
    parser.add_argument(
        "--database", type=Path, help="keep the store in this file; when it already holds --n memories, only query"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aide-scale-") as tmp:
        root = Path(tmp)
        os.environ["AIDE_HOME"] = str(root / "home")
        os.environ["AIDE_CONFIG"] = str(root / "config.toml")
        started = time.perf_counter()
        result = asyncio.run(run(args.n, args.mode, args.queries, root, progress=not args.json, database=args.database))
        result["seconds"] = round(time.perf_counter() - started, 1)
    if args.json:
        print(json.dumps(result))
    else:
        print_report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
