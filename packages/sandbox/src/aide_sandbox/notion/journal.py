"""What the Notion emulator was asked, in order, and a hold on its token endpoint: the hooks a test needs to see
how a client behaves around an expired token without a proxy in front of the emulator and without sleeping.

Every request is recorded once answered (`Seen`: method, path, the bearer token or the OAuth client id, the status,
the JSON body). A test may hold `POST /v1/oauth/token` until the journal satisfies a condition (for instance "two
calls were refused"): a request that arrives meanwhile waits, off the event loop, and is answered (and recorded)
once the condition holds, so a test can line up concurrent calls deterministically. The hold gives up after
`HOLD_TIMEOUT` seconds and answers anyway, so a client that never meets the condition fails the test's assertions
instead of hanging it. The journal lives in memory, keeps the last `KEPT` requests (a long-running
`aide sandbox serve` must not grow without end) and is emptied, with any hold, by the sandbox's reset.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

#: How many answered requests the journal keeps (the oldest go first).
KEPT = 10_000
#: How long a held token request waits for its condition before it is answered anyway.
HOLD_TIMEOUT = 10.0


@dataclass(frozen=True)
class Seen:
    """One answered request: `path` from the API root (`/v1/users/me`); `token` is the bearer token of an API call
    or the client id of a token request (None when there was none); `body` the parsed JSON body, if any."""

    method: str
    path: str
    token: str | None
    status: int
    body: object = None


class Journal:
    def __init__(self) -> None:
        self._seen: list[Seen] = []
        self._changed = threading.Condition()
        self._until: Callable[[list[Seen]], bool] | None = None

    def record(self, seen: Seen) -> None:
        with self._changed:
            self._seen.append(seen)
            del self._seen[:-KEPT]
            self._changed.notify_all()

    def requests(self) -> list[Seen]:
        with self._changed:
            return list(self._seen)

    def hold_token_requests(self, until: Callable[[list[Seen]], bool]) -> None:
        """Answer `POST /v1/oauth/token` only once `until(requests so far)` is true."""
        with self._changed:
            self._until = until
            self._changed.notify_all()

    def wait_for_release(self, timeout: float = HOLD_TIMEOUT) -> bool:
        """Block (a worker thread) until no hold is in force or its condition holds; False: it timed out."""
        with self._changed:
            return self._changed.wait_for(lambda: self._until is None or self._until(list(self._seen)), timeout)

    def clear(self) -> None:
        with self._changed:
            self._seen = []
            self._until = None
            self._changed.notify_all()
