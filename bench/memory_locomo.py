"""Turn-level evidence recall of aide-memory on LoCoMo, driven through the real MCP client as a host would.

Every conversation gets its own in-process memory server and SQLite file. Each dialog turn is stored with
`remember`: content "Speaker: text", plus " [shares a photo: caption]" when the turn shares an image; category
"event" (every turn is something said at a known time); about_time = the session's date; source_ref = the session
(one chat, a thread); metadata {"dia_id", "session"}. Then every question that has evidence is asked with `recall`
(limit 50), and we measure the share of its evidence turns found in the top k results (k = 1, 5, 10, 25, 50) and
the reciprocal rank of the first evidence turn (MRR), overall and per category.

When the server merges a turn into an earlier identical one (same session, so same about_time), the memory stands
for both turns: a result counts for every dia_id merged into it (the ids `remember` returns tell us which).

    uv run python bench/memory_locomo.py --data ../shared/bench/locomo-dev.json [--mode default|lexical|hybrid] [--json]

--mode default is the server's default configuration (embeddings = "local" today, the same as hybrid).
        [--limit-conversations N] [--dump-misses N]

The data is CC BY-NC 4.0: it is read from where it lies, never copied into this repository.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

KS = (1, 5, 10, 25, 50)
LIMIT = 50
BATCH = 100
CATEGORY_NAMES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop", 5: "adversarial"}
_SESSION = re.compile(r"session_(\d+)")
_EVIDENCE = re.compile(r"D:?(\d+):(\d+)")


@dataclass
class Question:
    conversation: str
    text: str
    category: int
    answer: str
    evidence: list[str]
    ranked: list[list[str]] = field(default_factory=list)  # dia_ids of each result, best first
    top: list[dict[str, Any]] = field(default_factory=list)  # the first few results, for --dump-misses
    ms: float = 0.0

    def recall_at(self, k: int) -> float:
        found = {dia for dias in self.ranked[:k] for dia in dias}
        return len(found & set(self.evidence)) / len(self.evidence)

    def first_hit(self) -> int | None:
        wanted = set(self.evidence)
        return next((rank for rank, dias in enumerate(self.ranked, 1) if wanted & set(dias)), None)


@dataclass
class Run:
    questions: list[Question] = field(default_factory=list)
    turns: dict[str, dict[str, str]] = field(default_factory=dict)  # conversation -> dia_id -> content
    memories: int = 0
    turn_count: int = 0
    merged_turns: int = 0
    merged_evidence: int = 0
    ingest_seconds: float = 0.0
    skipped_questions: int = 0
    dropped_evidence: list[str] = field(default_factory=list)


def parse_evidence(raw: list[str], known: set[str]) -> tuple[list[str], list[str]]:
    """Evidence ids as dia_ids; entries like "D8:6; D9:17" are split and "D:11:26" read as D11:26. Ids of no turn
    in the conversation are dropped (returned second)."""
    kept: dict[str, None] = {}
    dropped: list[str] = []
    for entry in raw:
        parts = _EVIDENCE.findall(entry)
        if not parts:
            dropped.append(entry)
        for session, turn in parts:
            dia = f"D{int(session)}:{int(turn)}"
            if dia in known:
                kept.setdefault(dia, None)
            else:
                dropped.append(entry)
    return list(kept), dropped


def session_turns(conversation: dict[str, Any]) -> list[tuple[int, datetime, dict[str, Any]]]:
    from dateutil import parser as dateparser

    out: list[tuple[int, datetime, dict[str, Any]]] = []
    sessions = sorted(
        (int(m.group(1)), key) for key in conversation if (m := _SESSION.fullmatch(key)) and conversation[key]
    )
    for number, key in sessions:
        # "1:56 pm on 8 May, 2023"; the data has no time zone, so UTC.
        when = dateparser.parse(conversation[f"{key}_date_time"], fuzzy=True).replace(tzinfo=UTC)
        out.extend((number, when, turn) for turn in conversation[key])
    return out


def turn_content(turn: dict[str, Any]) -> str:
    content = f"{turn['speaker']}: {turn['text']}"
    if turn.get("blip_caption"):
        content += f" [shares a photo: {turn['blip_caption']}]"
    return content


async def run_conversation(record: dict[str, Any], mode: str, workdir: Path, run: Run) -> None:
    from mcp import Client

    from aide_core.settings import load_settings
    from aide_memory.server import MemorySettings, spec

    name = record["sample_id"]
    chosen = {"hybrid": {"embeddings": "local"}, "lexical": {"embeddings": "none"}}.get(mode, {})
    config = MemorySettings.model_validate(
        {"database": str(workdir / f"{name}.db"), "confirm": "never", "max_output_chars": 200_000} | chosen
    )
    server = spec.build(load_settings(), config=config)
    turns = session_turns(record["conversation"])
    contents = {turn["dia_id"]: turn_content(turn) for _, _, turn in turns}
    run.turns[name] = contents
    dias_of: dict[str, list[str]] = {}  # memory id -> every dia_id stored as (or merged into) it
    merged_dias: set[str] = set()
    async with Client(server) as client:
        for start in range(0, len(turns), BATCH):
            batch = turns[start : start + BATCH]
            items = [
                {
                    "content": contents[turn["dia_id"]],
                    "category": "event",
                    "about_time": when.isoformat(),
                    "metadata": {"dia_id": turn["dia_id"], "session": number},
                    "source": "conversation",
                    # One session is one chat: memories that share a source_ref are a thread, which recall may use
                    # (a hit's neighbours in its thread).
                    "source_ref": f"{name}/session_{number}",
                }
                for number, when, turn in batch
            ]
            began = time.perf_counter()
            result = await client.call_tool("remember", {"items": items})
            run.ingest_seconds += time.perf_counter() - began
            if result.is_error or result.structured_content is None:
                raise RuntimeError(f"remember failed: {result.content}")
            stored = result.structured_content
            for (_, _, turn), memory_id, merged in zip(batch, stored["ids"], stored["merged"], strict=True):
                dias_of.setdefault(memory_id, []).append(turn["dia_id"])
                if merged:
                    merged_dias.add(turn["dia_id"])
        run.turn_count += len(turns)
        run.memories += len(dias_of)
        run.merged_turns += len(merged_dias)

        known = set(contents)
        for qa in record["qa"]:
            evidence, dropped = parse_evidence(qa.get("evidence") or [], known)
            run.dropped_evidence += [f"{name}:{entry}" for entry in dropped]
            if not evidence:
                run.skipped_questions += 1
                continue
            run.merged_evidence += len(set(evidence) & merged_dias)
            question = Question(
                conversation=name,
                text=qa["question"],
                category=int(qa["category"]),
                answer=str(qa.get("answer", qa.get("adversarial_answer", ""))),
                evidence=evidence,
            )
            began = time.perf_counter()
            result = await client.call_tool("recall", {"query": question.text, "limit": LIMIT})
            question.ms = (time.perf_counter() - began) * 1000
            if result.is_error or result.structured_content is None:
                raise RuntimeError(f"recall failed for {question.text!r}: {result.content}")
            hits = result.structured_content["results"]
            question.ranked = [dias_of.get(hit["id"]) or [hit["metadata"].get("dia_id", "")] for hit in hits]
            question.top = [{k: hit[k] for k in ("content", "score", "why")} for hit in hits[:3]]
            run.questions.append(question)


def summarise(questions: list[Question]) -> dict[str, float | int]:
    n = len(questions)
    row: dict[str, float | int] = {"questions": n}
    for k in KS:
        row[f"recall_at_{k}"] = round(sum(q.recall_at(k) for q in questions) / n, 4) if n else 0.0
    row["mrr"] = round(sum(1 / r for q in questions if (r := q.first_hit())) / n, 4) if n else 0.0
    return row


def percentile(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def report(run: Run, mode: str) -> dict[str, Any]:
    latencies = [q.ms for q in run.questions]
    out: dict[str, Any] = {"mode": mode, **summarise(run.questions)}
    out["per_category"] = {
        f"{c} {label}": summarise([q for q in run.questions if q.category == c]) for c, label in CATEGORY_NAMES.items()
    }
    out |= {
        "ingest_per_s": round(run.turn_count / run.ingest_seconds, 1) if run.ingest_seconds else 0.0,
        "recall_ms_p50": round(statistics.median(latencies), 2) if latencies else 0.0,
        "recall_ms_p99": round(percentile(latencies, 99), 2),
        "memories": run.memories,
        "turns": run.turn_count,
        "merged_turns": run.merged_turns,
        "merged_evidence_turns": run.merged_evidence,
        "skipped_questions": run.skipped_questions,
        "dropped_evidence_ids": run.dropped_evidence,
    }
    return out


def print_table(result: dict[str, Any]) -> None:
    header = ["", "n", *(f"R@{k}" for k in KS), "MRR"]
    rows = [("all", result), *result["per_category"].items()]
    print(f"LoCoMo turn-level evidence recall, mode {result['mode']}")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for label, row in rows:
        cells = [label, str(row["questions"]), *(f"{row[f'recall_at_{k}']:.3f}" for k in KS), f"{row['mrr']:.3f}"]
        print("| " + " | ".join(cells) + " |")
    print(
        f"\n{result['turns']} turns -> {result['memories']} memories ({result['merged_turns']} turns merged, "
        f"{result['merged_evidence_turns']} of them evidence); ingest {result['ingest_per_s']} turns/s; "
        f"recall p50 {result['recall_ms_p50']} ms, p99 {result['recall_ms_p99']} ms"
    )
    if result["skipped_questions"] or result["dropped_evidence_ids"]:
        print(
            f"{result['skipped_questions']} questions without evidence skipped; evidence ids of no turn dropped: "
            f"{', '.join(result['dropped_evidence_ids']) or 'none'}"
        )


def dump_misses(run: Run, count: int, out: Any) -> None:
    misses = [q for q in run.questions if q.recall_at(10) == 0]
    print(f"\n{len(misses)} of {len(run.questions)} questions have no evidence turn in the top 10", file=out)
    for q in random.Random(0).sample(misses, min(count, len(misses))):
        first = q.first_hit()
        where = f"first evidence at rank {first}" if first else f"no evidence in the top {LIMIT}"
        print(f"\n## [{q.conversation}] cat {q.category} {CATEGORY_NAMES[q.category]}: {q.text}", file=out)
        print(f"   answer: {q.answer}   ({where})", file=out)
        for dia in q.evidence:
            print(f"   evidence {dia}: {run.turns[q.conversation][dia]}", file=out)
        for rank, hit in enumerate(q.top, 1):
            print(f"   top {rank} ({hit['score']}; {hit['why']}): {hit['content'][:200]}", file=out)


async def main_async(args: argparse.Namespace, records: list[dict[str, Any]]) -> int:
    if args.limit_conversations:
        records = records[: args.limit_conversations]
    run = Run()
    with tempfile.TemporaryDirectory(prefix="aide-locomo-") as tmp:
        root = Path(tmp)
        os.environ["AIDE_HOME"] = str(root / "home")
        os.environ["AIDE_CONFIG"] = str(root / "config.toml")
        for record in records:
            await run_conversation(record, args.mode, root, run)
    result = report(run, args.mode)
    if args.json:
        print(json.dumps(result))
    else:
        print_table(result)
    if args.dump_misses:
        dump_misses(run, args.dump_misses, sys.stderr if args.json else sys.stdout)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--data", required=True, help="a LoCoMo-format JSON file (../shared/bench/locomo-dev.json)")
    parser.add_argument("--mode", choices=("default", "lexical", "hybrid"), default="default")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--limit-conversations", type=int, default=0, metavar="N")
    parser.add_argument("--dump-misses", type=int, default=0, metavar="N", help="show N questions missed in the top 10")
    args = parser.parse_args()
    return asyncio.run(main_async(args, json.loads(Path(args.data).read_text())))


if __name__ == "__main__":
    sys.exit(main())
