"""`aide-memory`: long-term memory for an assistant, on SQLite, with no account and no network.

The tools are declared here; storage is `store.py`, ranking `recall.py`, the models `models.py`.
"""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, model_validator

from aide_core.errors import InvalidInput, NotFound
from aide_core.fencing import defang, defang_field
from aide_core.identity import current_user
from aide_core.paging import decode_cursor, encode_cursor, take_within_budget
from aide_core.server import Runtime, ServerSpec
from aide_core.settings import ServerSettings
from aide_memory.models import (
    Forgotten,
    Hit,
    Memories,
    Memory,
    Metadata,
    NewMemory,
    Profile,
    ProfileItem,
    RecallResult,
    Remembered,
    Stats,
    Tags,
    Updated,
    checked_about_time,
    checked_category,
    require_ids,
)
from aide_memory.schema import CONTEXT_CHARS
from aide_memory.store import MemoryStore, Scope, row_to_memory

if TYPE_CHECKING:
    from aide_memory.backfill import Backfill
    from aide_memory.embeddings import Embedder
    from aide_memory.vectors import VectorIndex


logger = logging.getLogger(__name__)


class MemorySettings(ServerSettings):
    user: str = Field(default="default", description="Whose memories a stdio server reads and writes.")
    namespace: str = Field(default="", description="A separate set of memories for the same user, e.g. 'work'.")
    embeddings: Literal["none", "local", "openai"] = Field(
        default="local",
        description=(
            "local: all-MiniLM-L6-v2 (int8, ONNX Runtime, from PyPI packages) finds what was meant in other words; "
            "none: keywords only (no model loaded; paraphrased questions are mostly missed, see bench/README.md); "
            "openai: any OpenAI-compatible embeddings endpoint."
        ),
    )
    embedding_model: str | None = None
    embedding_base_url: str | None = None
    database: str | None = Field(default=None, description="Path of the SQLite file (default: <home>/memory.db).")

    @model_validator(mode="after")
    def _runnable_model(self) -> MemorySettings:
        from aide_memory.embeddings import check_model

        check_model(self.embeddings, self.embedding_model)
        return self


class MemoryState:
    """The store and, when configured, the embedding model (loaded on first use)."""

    def __init__(self, runtime: Runtime[MemoryState]) -> None:
        config = runtime.config
        assert isinstance(config, MemorySettings)
        self.config = config
        path = config.database or str(runtime.home / "memory.db")
        self.store = MemoryStore(__import__("pathlib").Path(path))
        self._embedder: Embedder | None = None
        self._unavailable: str | None = None  # why the configured embedder could not be built
        self._index: VectorIndex | None = None
        self._lock = threading.Lock()
        self._credentials = runtime
        self.backfill: Backfill | None = None

    @property
    def embedder(self) -> Embedder | None:
        """The configured embedder, built on first use (the model itself loads on its first `embed`). When its
        packages are missing, recall goes on with keywords alone and says so once in the log and in memory_stats."""
        if self.config.embeddings == "none":
            return None
        with self._lock:
            if self._embedder is None and self._unavailable is None:
                from aide_memory.backfill import Backfill
                from aide_memory.embeddings import EmbedderUnavailable, make_embedder

                api_key = None
                if self.config.embeddings == "openai":
                    from aide_core.credentials import open_credentials

                    api_key = open_credentials(self._credentials.settings).get("memory.embedding_api_key")
                try:
                    self._embedder = make_embedder(
                        self.config.embeddings,
                        model=self.config.embedding_model,
                        base_url=self.config.embedding_base_url,
                        api_key=api_key,
                    )
                except EmbedderUnavailable as exc:
                    self._unavailable = str(exc)
                    logger.warning("memory: keyword recall only: %s", exc)
                    return None
                if self._embedder is not None:
                    # Memories stored without a vector of this model get one, in the background.
                    self.backfill = Backfill(self.store, self._embedder).start()
            return self._embedder

    def embeddings_in_use(self) -> str:
        embedder = self.embedder
        if embedder is not None:
            return embedder.name
        return f"none ({self._unavailable})" if self._unavailable else "none"

    @property
    def index(self) -> VectorIndex | None:
        embedder = self.embedder
        if embedder is None:
            return None
        with self._lock:
            if self._index is None:
                from aide_memory.vectors import VectorIndex

                self._index = VectorIndex(self.store, embedder.name)
            return self._index

    def scope(self) -> Scope:
        return Scope(current_user(self.config.user), self.config.namespace)

    def in_context(self, items: list[NewMemory]) -> list[str]:
        """The text each item's vector is made from: a memory from a conversation is embedded together with the
        message before it in the same source, so that a reply ("They were scared but resilient") carries what it
        answers ("How did the kids handle the accident?"). Only computed when vectors are in use."""
        if self.embedder is None:
            return [item.content for item in items]
        previous: dict[str, str] = {}
        texts: list[str] = []
        for item in items:
            ref = item.source_ref
            if ref and ref not in previous:
                last = self.store.last_in_thread(self.scope(), ref)
                if last is not None:
                    previous[ref] = last
            texts.append(f"{previous[ref]}\n{item.content}" if ref and ref in previous else item.content)
            if ref:
                previous[ref] = item.content[:CONTEXT_CHARS]  # as it will be stored as the next one's context
        return texts

    def vectors_for(self, texts: list[str]) -> tuple[list[bytes | None] | None, str | None]:
        embedder = self.embedder
        if embedder is None or not texts:
            return None, None
        matrix = embedder.embed(texts)
        return [row.astype("float32").tobytes() for row in matrix], embedder.name


spec = ServerSpec[MemoryState](
    "memory",
    title="aide memory",
    instructions=(
        "Long-term memory about the user. Read memory_profile (or memory://profile) first. Before acting for the "
        "user, recall what is relevant (preferences, people, plans). When the user states a lasting preference or "
        "fact, remember it; when they correct one, update_memory it rather than adding a contradiction."
    ),
    settings_model=MemorySettings,
    state=MemoryState,
    # An embeddings endpoint (embeddings = "openai") is the one upstream: its failures read as every client's do.
    upstream="The embeddings endpoint",
    errors="aide_memory.endpoint_errors:ENDPOINT_ERRORS",
    # Hosts that merge every server's tools into one namespace clash on bare verbs: the tools are named for what
    # they hold, and the former names are still answered (not listed) for a release.
    old_names={
        "get": "get_memories",
        "list": "list_memories",
        "update": "update_memory",
        "forget": "forget_memories",
        "stats": "memory_stats",
    },
)
spec.prompts_from("aide_memory")  # prompts/*.md: what_you_know_about_me (a slash command in hosts)


_EMBEDDING_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="aide-memory-embed")


def _state() -> MemoryState:
    return spec.state()


def _budget() -> int:
    return _state().config.max_output_chars


def _fitted(content: str, metadata: dict[str, Any], room: int) -> tuple[str, dict[str, Any], bool]:
    """A memory's text and metadata within `room` characters of output, and whether anything was cut. The text
    keeps at least 200 characters (or the whole room, when it is smaller); metadata that alone takes over half the
    room is left out whole (a cut JSON value would read as a different one)."""
    cut = False
    size = len(json.dumps(metadata, ensure_ascii=False, default=str)) if metadata else 0
    if size > room // 2:
        metadata, size, cut = {}, 0, True
    text_room = max(min(200, room), room - size)
    if len(content) > text_room:
        content, cut = content[: text_room - 1] + "…", True
    return content, metadata, cut


def _fitted_memory(memory: Memory, room: int) -> tuple[Memory, bool]:
    content, metadata, cut = _fitted(memory.content, memory.metadata, room)
    return (memory.model_copy(update={"content": content, "metadata": metadata}) if cut else memory), cut


# Not idempotent: the same memory told again is merged, but a second sighting raises its confidence.
@spec.tool(read_only=False, destructive=False, idempotent=False, open_world=False)
def remember(items: Annotated[list[NewMemory], Field(min_length=1, max_length=100)]) -> Remembered:
    """Store things worth remembering about the user; duplicates are merged, not repeated."""
    state = _state()
    embedder = state.embedder
    if embedder is None:
        ids, merged = state.store.remember(state.scope(), items)
        return Remembered(ids=ids, merged=merged)
    if getattr(embedder, "remote", False):
        # An endpoint may take its time (the client waits minutes, with retries): the vectors are fetched before
        # the store's write lock is taken, so a slow endpoint never makes another person's writes wait.
        vectors, model = state.vectors_for(state.in_context(items))
        ids, merged = state.store.remember(state.scope(), items, vectors, model)
        return Remembered(ids=ids, merged=merged)
    # The local model (ONNX Runtime, outside the GIL, a few ms a memory) runs while the store checks for duplicates
    # and writes the rows; the vectors join them in the same transaction.
    pending = _EMBEDDING_POOL.submit(state.vectors_for, state.in_context(items))
    ids, merged = state.store.remember(state.scope(), items, lambda: pending.result()[0], embedder.name)
    return Remembered(ids=ids, merged=merged)


@spec.tool(open_world=False)
def recall(
    query: Annotated[str, Field(min_length=1, max_length=2000)],
    limit: Annotated[int, Field(ge=1, le=50)] = 10,
    categories: list[str] | None = None,
    tags: list[str] | None = None,
    sources: list[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    include_superseded: bool = False,
) -> RecallResult:
    """Find memories relevant to a question or task, best first."""
    from aide_memory.recall import explain
    from aide_memory.recall import recall as rank
    from aide_memory.timeparse import find_time_range

    state = _state()
    scored = rank(
        state.store,
        state.scope(),
        query,
        limit=limit,
        categories=categories,
        tags=tags,
        sources=sources,
        since=since,
        until=until,
        include_superseded=include_superseded,
        embedder=state.embedder,
        index=state.index,
    )
    span = find_time_range(query)
    per_item = max(200, _budget() // max(1, len(scored)))
    hits: list[Hit] = []
    truncated = False
    for item in scored:
        memory = row_to_memory(item.row)
        content, metadata, cut = _fitted(memory.content, memory.metadata, per_item)
        truncated = truncated or cut
        hits.append(
            Hit(
                id=memory.id,
                score=round(item.score, 4),
                content=content,
                category=memory.category,
                confidence=memory.confidence,
                metadata=metadata,
                about_time=memory.about_time,
                why=explain(item, span),
                superseded=memory.superseded_by is not None,
            )
        )
    return RecallResult(results=hits, truncated=truncated)


@spec.tool(open_world=False)
def get_memories(
    ids: Annotated[list[Annotated[str, Field(max_length=100)]], Field(min_length=1, max_length=100)],
) -> Memories:
    """Fetch memories by id, with their full content and history fields."""
    state = _state()
    memories, missing = state.store.get(state.scope(), require_ids(ids))
    room = max(80, _budget() // max(1, len(memories)))  # 100 ids share the budget: each keeps a line at least
    fitted = [_fitted_memory(memory, room) for memory in memories]
    return Memories(memories=[m for m, _ in fitted], missing=missing, truncated=any(cut for _, cut in fitted))


@spec.tool(open_world=False)
def list_memories(
    category: str | None = None,
    tag: str | None = None,
    include_superseded: bool = False,
    limit: Annotated[int, Field(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> Memories:
    """List memories, most recently updated first."""
    state = _state()
    binds = {"category": category, "tag": tag, "include_superseded": include_superseded}
    clauses: list[str] = []
    params: list[Any] = []
    if category:
        clauses.append("category = ?")
        params.append(category)
    if tag:
        clauses.append("EXISTS (SELECT 1 FROM json_each(memories.tags) WHERE value = ?)")
        params.append(tag)
    if cursor:
        position = decode_cursor(cursor, "list_memories", binds, fields={"u": (int, float), "r": int})
        clauses.append("(updated_at < ? OR (updated_at = ? AND rowid < ?))")
        params += [position["u"], position["u"], position["r"]]
    rows = state.store.rows(
        state.scope(),
        where=" AND ".join(clauses),
        params=params,
        limit=limit + 1,
        include_superseded=include_superseded,
    )
    # The page ends at `limit` or where the output budget does (core's rule: at least one memory, so the cursor
    # always moves on); a single memory bigger than the whole budget is shown cut, as get_memories would.
    budget = _budget()
    memories = [row_to_memory(row) for row in rows[:limit]]
    page = memories[: take_within_budget(memories, budget)]
    truncated = len(page) == 1 and len(page[0].model_dump_json()) > budget
    if truncated:
        page = [_fitted_memory(page[0], budget - 400)[0]]
    next_cursor = None
    if len(rows) > len(page):
        last = rows[len(page) - 1]
        next_cursor = encode_cursor("list_memories", {"u": last["updated_at"], "r": last["rowid"]}, binds)
    return Memories(memories=page, next_cursor=next_cursor, truncated=truncated)


@spec.tool(open_world=False)
def memory_stats() -> Stats:
    """Counts of memories by state and category."""
    state = _state()
    embedder = state.embedder
    pending = state.store.without_vector(state.scope(), embedder.name) if embedder is not None else None
    return Stats(**state.store.stats(state.scope()), embeddings=state.embeddings_in_use(), without_vectors=pending)


@spec.tool(read_only=False, destructive=False, idempotent=False, open_world=False)
def update_memory(
    id: str,
    content: Annotated[str | None, Field(min_length=1, max_length=8000)] = None,
    category: str | None = None,
    confidence: Annotated[float | None, Field(ge=0, le=1)] = None,
    tags: Tags | None = None,
    metadata: Metadata | None = None,
    about_time: datetime | None = None,
) -> Updated:
    """Correct a memory: the new version supersedes the old one, which stays in the history."""
    changes: dict[str, Any] = {
        key: value
        for key, value in {
            "content": content.replace("\x00", "").strip() if content else None,
            "category": checked_category(category) if category is not None else None,
            "confidence": confidence,
            "tags": tags,
            "metadata": metadata,
            "about_time": checked_about_time(about_time) if about_time is not None else None,
        }.items()
        if value is not None
    }
    if not changes:
        raise InvalidInput("Nothing to change.", hint="Pass at least one of content, category, confidence, tags...")
    state = _state()
    vector, model = (None, None)
    if "content" in changes:
        vectors, model = state.vectors_for([changes["content"]])
        vector = vectors[0] if vectors else None
    new_id = state.store.update(state.scope(), id, changes, vector, model)
    return Updated(id=new_id, supersedes=id)


def _forget_preview(ids: list[str] | None = None, category: str | None = None, hard: bool = False) -> str:
    targets = _forget_targets(ids, category)
    if not targets:
        raise _nothing_to_forget(ids, category)  # before asking the user to confirm forgetting nothing
    how = "permanently delete" if hard else "forget"
    shown = "; ".join(defang_field(row["content"][:80]) for row in targets[:3])
    more = f" and {len(targets) - 3} more" if len(targets) > 3 else ""
    noun = "memory" if len(targets) == 1 else "memories"
    return f"{how.capitalize()} {len(targets)} {noun}: {shown}{more}"


def _nothing_to_forget(ids: list[str] | None, category: str | None) -> NotFound:
    if ids:
        more = f" and {len(ids) - 5} more" if len(ids) > 5 else ""
        named = f"the ids {', '.join(repr(i[:100]) for i in ids[:5])}{more}"
    else:
        named = f"the category {(category or '')[:100]!r}"
    return NotFound(f"No current memory matches {named}.", hint="Check the ids with get_memories or list_memories.")


def _forget_targets(ids: list[str] | None, category: str | None) -> list[dict[str, Any]]:
    state = _state()
    if ids:
        current = [state.store.current_id(state.scope(), memory_id) for memory_id in ids]
        wanted = [memory_id for memory_id in current if memory_id is not None]
        if not wanted:
            return []
        placeholders = ",".join("?" * len(wanted))
        return state.store.rows(state.scope(), where=f"id IN ({placeholders})", params=wanted)
    if category:
        return state.store.rows(state.scope(), where="category = ?", params=[category])
    raise InvalidInput("Say what to forget: ids, or a category.")


@spec.action(preview=_forget_preview, destructive=True, open_world=False)
def forget_memories(ids: list[str] | None = None, category: str | None = None, hard: bool = False) -> Forgotten:
    """Forget memories by id or category (soft: hidden but kept; hard: deleted with their history)."""
    state = _state()
    targets = [row["id"] for row in _forget_targets(ids, category)]
    if not targets:
        raise _nothing_to_forget(ids, category)
    return Forgotten(ids=state.store.forget(state.scope(), targets, hard=hard), hard=hard)


# What the profile shows, in this order: "note" is the category of a memory stored without one ("I hate 9 AM
# meetings"), so it belongs here too, and so does any category of the user's own ("health", "work", "family": the
# schema invites them), after these; events and tasks are what happened or is to do, not who the user is.
PROFILE_CATEGORIES = ("preference", "fact", "habit", "person", "note")
NOT_PROFILE = ("event", "task")


def _profile() -> Profile:
    state = _state()
    marks = ",".join("?" * len(NOT_PROFILE))
    rows = state.store.rows(
        state.scope(),
        where=f"category NOT IN ({marks})",
        params=NOT_PROFILE,
        order="confidence DESC, updated_at DESC",
        limit=200,
    )
    others = sorted({row["category"] for row in rows} - set(PROFILE_CATEGORIES))
    items: list[ProfileItem] = []
    used = 0
    for category in (*PROFILE_CATEGORIES, *others):
        for row in (row for row in rows if row["category"] == category):
            item = ProfileItem(
                id=row["id"], category=category, content=row["content"][:300], confidence=row["confidence"]
            )
            used += len(item.content) + 60
            if used > _budget():
                return Profile(items=items, truncated=True)
            items.append(item)
    return Profile(items=items, truncated=len(rows) == 200)


@spec.tool(open_world=False)
def memory_profile() -> Profile:
    """Current preferences and facts about the user (what memory://profile shows): read it first."""
    return _profile()


@spec.resource("memory://profile", name="profile", description="Current preferences and facts about the user.")
def profile() -> str:
    """A compact summary: read it first."""
    found = _profile()
    lines: list[str] = []
    for category in dict.fromkeys(item.category for item in found.items):  # in the profile's order
        chosen = [item for item in found.items if item.category == category]
        if chosen:
            lines.append(f"## {category}")
            lines += [
                f"- {defang_field(item.content)} (confidence {item.confidence:.2f}, id {item.id})" for item in chosen
            ]
    if found.truncated:
        lines.append("- … (more: use recall or list_memories)")
    return "\n".join(lines) if lines else "No preferences or facts remembered yet."


@spec.resource("memory://recent", name="recent", description="The memories most recently stored or changed.")
def recent() -> str:
    state = _state()
    rows = state.store.rows(state.scope(), limit=20)
    return json.dumps(
        [{"id": r["id"], "content": defang(r["content"][:300]), "category": r["category"]} for r in rows], indent=1
    )


def main() -> int:
    from aide_core.launch import run_spec

    return run_spec(spec)
