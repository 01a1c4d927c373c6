"""The Notion API for one integration token: the calls the tools make, through the official notion-client.

Every request waits its turn at the integration's `Pacer` (about three a second), then runs under aide's retry
policy (`aide_core.retry`: 429 with Retry-After honoured, 5xx, timeouts). notion-client's own retries are switched
off so that attempts do not multiply. Reads and idempotent writes (property updates, moving to the trash) are
retried; creations, appends and comments run once (`idempotent=False`), because a timeout does not say whether
they happened and a repeated append doubles the content.

For an OAuth account, a request Notion refuses with 401 is sent once more after the access token was refreshed
(`refresh`, given by the state): a refused request did nothing, so even a creation may be sent again. The refresh
runs under a lock, and a call refused with a token that another call has meanwhile replaced takes the new token
rather than refreshing again: a refresh token is spent by its use, so two concurrent refreshes would be one too many.

Notion's limits handled here: at most 100 blocks in one children array, and nesting at most two levels below the
blocks of one request (`append`), deeper content going in follow-up requests under the ids Notion returned.

notion-client (and httpx under it) is imported when the first client is built, not at start-up.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aide_notion.pacing import Pacer

if TYPE_CHECKING:
    from aide_core.retry import RetryPolicy

JsonObject = dict[str, Any]
logger = logging.getLogger("aide.notion")

#: Blocks in one children array (Notion's limit).
MAX_CHILDREN = 100
#: Levels of nesting below the blocks of one append request (Notion's limit).
MAX_DEPTH = 2
#: Blocks read for one page at most (a bounded read; the rest is reported as left out).
MAX_READ_BLOCKS = 1000


def quiet_options() -> JsonObject:
    """notion-client options for every client aide builds: no retries of its own (aide's policy retries), and its
    log lines on a logger of ours, errors only: it logs each refused request as a warning, including the 404s aide
    expects and handles (is this id a page or a database?), and every request at INFO."""
    return {"retry": False, "logger": logging.getLogger("aide.notion.client"), "log_level": logging.ERROR}


class NotionClient:
    def __init__(
        self,
        token: str,
        *,
        base_url: str | None = None,
        pacer: Pacer | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        refresh: Callable[[], str | None] | None = None,
    ) -> None:
        self.base_url = base_url
        self._token = token
        self.api = self._build(token)
        #: The API client a newer token replaced, closed at the next replacement (a call may still be using it).
        self._retired: Any = None
        #: Tokens replaced here: a caller that read the store before a refresh wrote it back must not bring one back.
        self._replaced: set[str] = set()
        #: Held while the token is replaced, so one refresh serves every call that Notion refused meanwhile.
        self._token_lock = threading.Lock()
        #: For an OAuth account: a new access token after Notion refused this one (None when there is none).
        self.refresh = refresh
        #: Names this client in cache keys (a refreshed token does not change it).
        self.identity = secrets.token_hex(8)
        self.pacer = pacer or Pacer()
        self.policy = policy
        self.sleep = sleep

    def _build(self, token: str) -> Any:
        from notion_client import Client

        options: JsonObject = {"auth": token, **quiet_options()}
        if self.base_url:
            options["base_url"] = self.base_url
        return Client(**options)

    def close(self) -> None:
        with self._token_lock:
            apis, self._retired = [self.api, self._retired], None
        for api in apis:
            if api is not None:
                api.close()

    def use_token(self, token: str) -> None:
        """Send later calls with `token` when it is not the one in use (the account was signed in again)."""
        with self._token_lock:
            if token != self._token and token not in self._replaced:
                self._replace(token)

    def _replace(self, token: str) -> None:
        self._replaced.add(self._token)
        old, self._token, self.api = self.api, token, self._build(token)
        if self._retired is not None:
            self._retired.close()
        self._retired = old

    # -- running calls ---------------------------------------------------------------------------------------------
    def _run(self, fn: Callable[[], Any], *, idempotent: bool = True) -> Any:
        """`fn` (a notion-client call, typed as sync-or-async there) paced and under the retry policy."""
        from aide_core.retry import DEFAULT_POLICY, call_with_retry
        from aide_notion.errors import NOTION_ERRORS

        def attempt() -> Any:
            self.pacer.wait()
            refused = self.api
            try:
                return fn()
            except Exception as exc:
                if getattr(exc, "status", None) != 401 or not self._refreshed(refused):
                    raise
            self.pacer.wait()
            return fn()  # Notion refused the old token before acting: sending again cannot act twice

        return call_with_retry(
            attempt,
            service="Notion",
            idempotent=idempotent,
            policy=self.policy or DEFAULT_POLICY,
            sleep=self.sleep,
            profile=NOTION_ERRORS,
        )

    def _refreshed(self, refused: Any) -> bool:
        """Whether the access token that Notion refused (`refused`, the API client the call used) was replaced:
        by another call while this one waited for the lock, else by a refresh now (the calls' lambdas read
        `self.api` anew)."""
        with self._token_lock:
            if self.api is not refused:
                return True
            token = self.refresh() if self.refresh is not None else None
            if not token:
                return False
            self._replace(token)
            return True

    # -- reading ---------------------------------------------------------------------------------------------------
    def me(self) -> JsonObject:
        return self._run(lambda: self.api.users.me())

    def search(self, query: str, kind: str | None, cursor: str | None, page_size: int) -> JsonObject:
        args: JsonObject = {"query": query, "page_size": page_size}
        if kind:
            args["filter"] = {"property": "object", "value": kind}
        if cursor:
            args["start_cursor"] = cursor
        return self._run(lambda: self.api.search(**args))

    def page(self, page_id: str) -> JsonObject:
        return self._run(lambda: self.api.pages.retrieve(page_id=page_id))

    def block(self, block_id: str) -> JsonObject:
        return self._run(lambda: self.api.blocks.retrieve(block_id=block_id))

    def children(self, block_id: str, cursor: str | None = None, page_size: int = 100) -> JsonObject:
        args: JsonObject = {"block_id": block_id, "page_size": page_size}
        if cursor:
            args["start_cursor"] = cursor
        return self._run(lambda: self.api.blocks.children.list(**args))

    def block_tree(self, block_id: str, limit: int = MAX_READ_BLOCKS) -> tuple[list[JsonObject], bool]:
        """The blocks under `block_id` with their nested blocks under `children` (sub-pages and databases not
        entered), at most `limit` in all; and whether some were left out."""
        budget = [limit]

        def read(parent: str) -> tuple[list[JsonObject], bool]:
            blocks: list[JsonObject] = []
            cursor: str | None = None
            while True:
                listing = self.children(parent, cursor)
                for block in listing.get("results") or []:
                    if budget[0] <= 0:
                        return blocks, True
                    budget[0] -= 1
                    blocks.append(block)
                cursor = listing.get("next_cursor")
                if not listing.get("has_more") or not cursor:
                    break
            cut = False
            for block in blocks:
                if block.get("has_children") and block.get("type") not in ("child_page", "child_database"):
                    block["children"], partial = read(str(block["id"]))
                    cut = cut or partial
            return blocks, cut

        return read(block_id)

    def database(self, database_id: str) -> JsonObject:
        return self._run(lambda: self.api.databases.retrieve(database_id=database_id))

    def data_source(self, data_source_id: str) -> JsonObject:
        return self._run(lambda: self.api.data_sources.retrieve(data_source_id=data_source_id))

    def query(
        self, data_source_id: str, filter: JsonObject | None, sorts: list[JsonObject], cursor: str | None, size: int
    ) -> JsonObject:
        args: JsonObject = {"data_source_id": data_source_id, "page_size": size}
        if filter:
            args["filter"] = filter
        if sorts:
            args["sorts"] = sorts
        if cursor:
            args["start_cursor"] = cursor
        return self._run(lambda: self.api.data_sources.query(**args))

    def comments(self, block_id: str, cursor: str | None, page_size: int) -> JsonObject:
        args: JsonObject = {"block_id": block_id, "page_size": page_size}
        if cursor:
            args["start_cursor"] = cursor
        return self._run(lambda: self.api.comments.list(**args))

    def users(self) -> list[JsonObject]:
        found: list[JsonObject] = []
        cursor: str | None = None
        while True:
            args: JsonObject = {"page_size": 100} | ({"start_cursor": cursor} if cursor else {})
            listing = self._run(lambda args=args: self.api.users.list(**args))
            found += listing.get("results") or []
            cursor = listing.get("next_cursor")
            if not listing.get("has_more") or not cursor:
                return found

    # -- writing ---------------------------------------------------------------------------------------------------
    def create_page(self, parent: JsonObject, properties: JsonObject) -> JsonObject:
        return self._run(lambda: self.api.pages.create(parent=parent, properties=properties), idempotent=False)

    def update_page(self, page_id: str, **changes: Any) -> JsonObject:
        return self._run(lambda: self.api.pages.update(page_id=page_id, **changes))

    def delete_block(self, block_id: str) -> JsonObject:
        return self._run(lambda: self.api.blocks.delete(block_id=block_id))

    def add_comment(self, parent: JsonObject, rich_text: list[JsonObject]) -> JsonObject:
        return self._run(lambda: self.api.comments.create(parent=parent, rich_text=rich_text), idempotent=False)

    def append(self, parent_id: str, blocks: list[JsonObject], after: str | None = None) -> list[str]:
        """Append `blocks` (nested under their content's `children`) to `parent_id`, after the block `after` when
        given; the ids of the top-level blocks created, in order. Sent in requests of at most `MAX_CHILDREN` blocks
        a level and `MAX_DEPTH` levels; deeper or wider content follows under the ids Notion answered with."""
        created: list[str] = []
        for start in range(0, len(blocks), MAX_CHILDREN):
            batch = blocks[start : start + MAX_CHILDREN]
            sent, later = zip(*(_shallow(block) for block in batch), strict=True)
            args: JsonObject = {"block_id": parent_id, "children": list(sent)}
            if after:
                args["position"] = {"type": "after_block", "after_block": {"id": after}}
            answer = self._run(lambda args=args: self.api.blocks.children.append(**args), idempotent=False)
            ids = [str(block["id"]) for block in answer.get("results") or []][: len(batch)]
            created += ids
            for block_id, rest in zip(ids, later, strict=False):
                if rest:
                    self.append(block_id, rest)
            if after and ids:
                after = ids[-1]
        return created


def _height(block: JsonObject) -> int:
    """Levels of nesting below `block`, or a number past the limit when a children array is too long."""
    kids = _kids(block)
    if not kids:
        return 0
    if len(kids) > MAX_CHILDREN:
        return MAX_DEPTH + 1
    return 1 + max(_height(kid) for kid in kids)


def _kids(block: JsonObject) -> list[JsonObject]:
    return list((block.get(str(block.get("type"))) or {}).get("children") or [])


def _shallow(block: JsonObject) -> tuple[JsonObject, list[JsonObject]]:
    """The block as it can go in one request, and the children that must follow once it has an id (all of them
    when its subtree is deeper than `MAX_DEPTH` or wider than `MAX_CHILDREN`; tables keep their rows, which Notion
    wants in the same request)."""
    kind = str(block.get("type"))
    if kind == "table" or _height(block) <= MAX_DEPTH:
        return block, []
    content = dict(block[kind])
    later = content.pop("children")
    return {**block, kind: content}, later
