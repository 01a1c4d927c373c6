"""Ranking memories for a question: BM25 over FTS5, dense vectors when a model is configured, time and priors.

Filters (category, tag, source, time range) are applied inside both searches (`filters.py`), never to their
ranked results.

Fusion is by score, not by rank: each side's scores are scaled to their best candidate, then mixed. Plain
reciprocal-rank fusion lets whatever the dense side ranks first crowd out exact keyword hits; here a memory found
only by keywords, or only by meaning, can still come first when its own side is sure of it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from aide_memory.filters import Filters, timestamp
from aide_memory.lexical import full_match_score
from aide_memory.store import MemoryStore, Scope
from aide_memory.text import fts_query, near_duplicate, query_terms, words
from aide_memory.timeparse import EventReference, TimeRange, find_event_reference, find_time_range

if TYPE_CHECKING:
    from aide_memory.embeddings import Embedder
    from aide_memory.vectors import VectorIndex

CANDIDATES = 200
_DENSE_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="aide-memory-dense")


@dataclass
class Weights:
    """How the signals mix. Defaults were chosen on the LoCoMo dev half and a paraphrase set (see bench/)."""

    lexical: float = 0.6
    dense: float = 0.4
    dense_floor: float = 0.2  # cosine below this says nothing for MiniLM-class models
    # A memory stored on its own (no source_ref: "I hate 9 AM meetings") is a fact or preference put in the user's
    # words once and asked about later in others ("what time should I avoid for calls?"): meaning decides, keywords
    # add a little (lexical share below, out of lexical + dense). A turn of a conversation (a source_ref) is asked
    # about with the words that conversation used (names, events), so keywords lead there (lexical, dense above).
    standalone_lexical: float = 0.2
    # ...and for those, when the best keyword hit covers less than this share of the query
    # (`lexical.full_match_score`), keywords count in proportion: the words of such a question barely occur.
    coverage_threshold: float = 0.5
    in_range: float = 1.5
    out_of_range: float = 0.6
    # A question that names a period ("what did I do on 10 September?", "what happened in October?") asks for what
    # is dated in it, whatever the words: the latest `dated_candidates` of those join the candidates, and each
    # stored on its own counts at least `dated` before the in_range lift (so above the best hit from outside the
    # period, 1 x out_of_range, and below a word or meaning match inside it). Turns of a conversation are left to
    # their words, as above: a day of a chat holds dozens of turns, and the question names what was said.
    dated: float = 0.5
    dated_candidates: int = 20
    # ...and against those, meaning counts by how sure the model is: the best cosine over `dense_sure` is a real
    # match, one near `dense_floor` is noise that scaling to the best candidate would pass off as a match.
    dense_sure: float = 0.5
    confidence: float = 0.15
    recency: float = 0.05
    recency_days: float = 180.0
    # In a conversation the answer is often the reply to the message that matches the question ("How did they
    # handle it?" / "They were scared but resilient"): a hit lends part of its score to its neighbours in the
    # same source (same source_ref), more to the one after it than to the one before. (The keyword index also
    # reads each memory's previous message, at a low weight, which carries part of this: hence not more.)
    next_share: float = 0.7
    previous_share: float = 0.3
    spread_from: int = 100
    spread_add: bool = False  # add what is lent to the neighbour's own score, instead of taking the larger
    question_share: float = 1.0  # a hit that asks something lends all of its score to the reply
    second_share: float = 0.6  # and the turn after that reply gets some too
    # Memories from the same source as a strong hit are likelier to matter than strangers: each gets a share of
    # the best score in its source.
    source_share: float = 0.3


@dataclass
class Scored:
    row: dict[str, Any]
    score: float
    lexical: float = 0.0
    dense: float = 0.0
    matched_terms: list[str] = field(default_factory=list)
    in_range: bool | None = None
    context: float = 0.0  # what the neighbours in its thread lent
    cosine: float = 0.0  # the model's own similarity, for `explain` (`dense` is scaled to the best candidate)


def recall(
    store: MemoryStore,
    scope: Scope,
    query: str,
    *,
    limit: int = 10,
    categories: Sequence[str] | None = None,
    tags: Sequence[str] | None = None,
    sources: Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    include_superseded: bool = False,
    embedder: Embedder | None = None,
    index: VectorIndex | None = None,
    weights: Weights | None = None,
    now: datetime | None = None,
) -> list[Scored]:
    # The dense side (the query's embedding, about 10 ms on a CPU, then the matrix product) runs while SQLite does
    # the keyword search: numpy and SQLite both release the GIL, so the two waits overlap instead of adding up.
    filters = Filters.of(
        categories=categories,
        tags=tags,
        sources=sources,
        since=since,
        until=until,
        include_superseded=include_superseded,
    )
    pending = (
        _DENSE_POOL.submit(_dense_search, embedder, index, store, scope, query, filters)
        if embedder is not None and index is not None
        else None
    )
    weights = weights or Weights()
    now = now or datetime.fromtimestamp(store.clock(), UTC)
    span = find_time_range(query, now)
    terms = query_terms(query)
    anchor: int | None = None  # the memory that dated the event: neither before nor after itself
    if span is None and (event := find_event_reference(query)) is not None:
        span, anchor = _event_span(store, scope, event, include_superseded)
    candidates: dict[int, Scored] = {}
    keyword_trust = 1.0  # how far keywords count for memories stored on their own (see Weights)
    if terms:
        hits = store.fts(scope, fts_query(terms), CANDIDATES, filters)
        best = max((-score for _, score in hits), default=0.0)
        if hits and embedder is not None and weights.coverage_threshold > 0:
            full = max(full_match_score(store.db, terms), 1e-9)
            keyword_trust = min(1.0, best / full / weights.coverage_threshold)
        rows = store.rows_by_rowid([rowid for rowid, _ in hits])
        for rowid, score in hits:
            if rowid in rows:
                candidates[rowid] = Scored(rows[rowid], 0.0, lexical=(-score / best) if best > 0 else 0.0)

    dated: set[int] = set()
    if span is not None and not span.soft and weights.dated_candidates:
        start, end = (timestamp(span.start), timestamp(span.end))
        dated = set(store.dated_in(scope, start, end, filters, weights.dated_candidates))
        rows = store.rows_by_rowid([rowid for rowid in dated if rowid not in candidates])
        for rowid, row in rows.items():
            candidates[rowid] = Scored(row, 0.0)

    dense_trust = 1.0  # how far meaning counts for memories stored on their own (see Weights.dense_sure)
    if pending is not None:
        dense_hits = pending.result()
        top = max((cos for _, cos in dense_hits), default=0.0)
        if dated:
            dense_trust = min(1.0, max(0.0, (top - weights.dense_floor) / (weights.dense_sure - weights.dense_floor)))
        missing = [rowid for rowid, _ in dense_hits if rowid not in candidates]
        rows = store.rows_by_rowid(missing)
        for rowid, cosine in dense_hits:
            if rowid not in candidates:
                if rowid not in rows:
                    continue
                candidates[rowid] = Scored(rows[rowid], 0.0)
            scaled = (cosine - weights.dense_floor) / (top - weights.dense_floor) if top > weights.dense_floor else 0
            candidates[rowid].dense = max(0.0, scaled)
            candidates[rowid].cosine = cosine

    for item in candidates.values():
        if embedder is None:
            item.score = item.lexical
        elif not item.row["source_ref"]:
            share = weights.standalone_lexical
            item.score = keyword_trust * share * item.lexical + (1 - share) * dense_trust * item.dense
        else:
            item.score = weights.lexical * item.lexical + weights.dense * item.dense
        if item.row["rowid"] in dated and not item.row["source_ref"]:
            item.score = max(item.score, weights.dated)
    _spread_to_neighbours(store, scope, candidates, weights)
    _share_source(candidates, weights.source_share)

    results: list[Scored] = []
    for item in candidates.values():
        row = item.row
        if not filters.passes(row):  # a neighbour lent a score joins without a search
            continue
        item.score *= 1 - weights.confidence + weights.confidence * row["confidence"]
        age_days = max(0.0, (now.timestamp() - row["updated_at"]) / 86400)
        item.score *= 1 + weights.recency * math.exp(-age_days / weights.recency_days)
        if span is not None and row["rowid"] != anchor:
            item.in_range = _in_range(row, span)
            if item.in_range is True:
                item.score *= weights.in_range
            elif item.in_range is False and not span.soft:
                item.score *= weights.out_of_range
        if item.score > 0:
            results.append(item)
    results.sort(key=lambda s: (-s.score, -s.row["updated_at"]))
    kept = _distinct(results, limit)
    for item in kept:
        item.matched_terms = _matched(terms, item.row["content"])
    return kept


def _dense_search(
    embedder: Embedder, index: VectorIndex, store: MemoryStore, scope: Scope, query: str, filters: Filters
) -> list[tuple[int, float]]:
    allowed = store.rowids_passing(scope, filters) if filters.narrows else None
    return index.search(scope, embedder.embed([query])[0], CANDIDATES, allowed=allowed)


def _event_span(
    store: MemoryStore, scope: Scope, event: EventReference, include_superseded: bool
) -> tuple[TimeRange | None, int | None]:
    """Date "the trip" by the memory that best matches it and has an about_time: the range, and that memory."""
    terms = query_terms(event.phrase)
    hits = store.fts(scope, fts_query(terms), 20, Filters(include_superseded=include_superseded))
    rows = store.rows_by_rowid([rowid for rowid, _ in hits])
    for rowid, _ in hits:  # best first
        row = rows.get(rowid)
        if row is not None and row["about_time"] is not None:
            moment = datetime.fromtimestamp(row["about_time"], UTC)
            if event.after:
                return TimeRange(moment, None, event.text, soft=True), rowid
            return TimeRange(None, moment + timedelta(seconds=1), event.text, soft=True), rowid
    return None, None


def _spread_to_neighbours(store: MemoryStore, scope: Scope, candidates: dict[int, Scored], weights: Weights) -> None:
    best = sorted(candidates.values(), key=lambda s: -s.score)[: weights.spread_from]
    links = store.neighbours(scope, [item.row for item in best], reach=2 if weights.second_share else 1)
    lent: dict[int, float] = {}
    for item in best:
        before, after = links.get(item.row["rowid"], ([], []))
        asks = item.row["content"].rstrip().endswith("?")
        shares = [
            (after[:1], weights.question_share if asks else weights.next_share),
            (before[:1], weights.previous_share),
            (after[1:2], weights.second_share),
        ]
        for rowids, share in shares:
            for rowid in rowids:
                if share > 0:
                    lent[rowid] = max(lent.get(rowid, 0.0), share * item.score)
    missing = [rowid for rowid in lent if rowid not in candidates]
    rows = store.rows_by_rowid(missing)
    for rowid, score in lent.items():
        if rowid not in candidates:
            if rowid not in rows:
                continue
            candidates[rowid] = Scored(rows[rowid], 0.0)
        item = candidates[rowid]
        if weights.spread_add:
            item.context = score
            item.score += score
        elif score > item.score:
            item.context = score - item.score
            item.score = score


def _share_source(candidates: dict[int, Scored], share: float) -> None:
    if share <= 0:
        return
    best_in: dict[str, float] = {}
    for item in candidates.values():
        ref = item.row["source_ref"]
        if ref:
            best_in[ref] = max(best_in.get(ref, 0.0), item.score)
    for item in candidates.values():
        ref = item.row["source_ref"]
        if ref:
            item.score += share * best_in[ref]


def _matched(terms: Sequence[str], content: str) -> list[str]:
    """Query words found in `content`, for the explanation. FTS5 matched on porter stems; a shared five-letter
    prefix is a close enough stand-in here ("meeting" / "meetings") to say why, without a second stemmer."""
    present = {word[:5] for word in words(content)}
    return [term for term in terms if term[:5] in present]


def _in_range(row: dict[str, Any], span: TimeRange) -> bool | None:
    """Whether the memory happened in `span` by its about_time. One with none counts as in it when it was told
    then ("what did we decide last week?" is answered by what was said last week), and otherwise as unknown, not
    outside: "In 2019 I travelled to Rome", told today, is still about 2019."""
    if row["about_time"] is not None:
        return span.contains(datetime.fromtimestamp(row["about_time"], UTC))
    return True if span.contains(datetime.fromtimestamp(row["created_at"], UTC)) else None


def _distinct(results: list[Scored], limit: int) -> list[Scored]:
    """The best `limit` results, dropping any that says the same as a better-ranked one."""
    kept: list[Scored] = []
    kept_words: list[tuple[list[str], set[str]]] = []
    for item in results:
        if len(kept) == limit:
            break
        tokens = words(item.row["content"])
        token_set = set(tokens)
        # Sharing under 80% of their distinct words rules a pair out cheaply, before the sequence comparison.
        if any(
            len(token_set & other_set) >= 0.8 * max(len(token_set), len(other_set)) and near_duplicate(tokens, other)
            for other, other_set in kept_words
        ):
            continue
        kept.append(item)
        kept_words.append((tokens, token_set))
    return kept


def explain(item: Scored, span: TimeRange | None = None) -> str:
    parts: list[str] = []
    if item.matched_terms:
        parts.append("words: " + ", ".join(item.matched_terms[:8]))
    elif item.lexical > 0:
        # The keyword index also reads a word's other forms ("called" for "calls") and, for a memory from a
        # conversation (a source_ref), the message before it.
        before = "words of the message before it, or " if item.row["source_ref"] else ""
        parts.append(f"{before}other forms of the words")
    if item.dense > 0:
        # The model's own cosine, not the score scaled to the best candidate: a weak best match reads as weak.
        parts.append(f"meaning {item.cosine:.2f}")
    if item.context > 0:
        parts.append("next to a match in the same conversation")
    if item.in_range is True:
        parts.append("in the time asked about")
    elif item.in_range is False:
        parts.append("outside the time asked about")
    return "; ".join(parts) or "weak match"
