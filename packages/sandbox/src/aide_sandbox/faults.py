"""Fault injection: make an endpoint answer 429/500/503, answer late, or drop the connection, once or N times.

A fault matches a request by a glob over its keys: for Google APIs the method id (`gmail.users.messages.list`,
`gmail.users.messages.*`), the service name (`gmail`) and the path (`/gmail/gmail/v1/users/me/profile`). Tests
inject through the Python handle (`sandbox.faults.inject(...)`), anything else through `POST /admin/faults`.

A dropped connection is closed without a byte of response, which the client sees as `RemoteDisconnected` (a
`ConnectionError`). Note that httplib2 silently retries a request once when a fresh connection is dropped before the
status line, so a drop the client must *see* needs `times=2`.
"""

from __future__ import annotations

import fnmatch
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
from starlette.types import Receive, Scope

#: Scope key under which the sandbox's HTTP protocol puts a callable that aborts the request's connection.
ABORT_KEY = "aide_sandbox.abort"


@dataclass
class Fault:
    """One injected fault; `remaining=None` means every matching request until cleared."""

    id: int
    match: str
    status: int | None = None
    retry_after: float | None = None
    delay: float = 0.0
    drop: bool = False
    remaining: int | None = 1
    hits: int = 0
    reason: str | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "match": self.match,
            "status": self.status,
            "retry_after": self.retry_after,
            "delay": self.delay,
            "drop": self.drop,
            "remaining": self.remaining,
            "hits": self.hits,
            "reason": self.reason,
        }


@dataclass
class Faults:
    """The faults in force. Thread-safe: tests inject on their thread while the server consumes on its own."""

    _faults: list[Fault] = field(default_factory=list[Fault])
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def inject(
        self,
        match: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        delay: float = 0.0,
        drop: bool = False,
        times: int | None = 1,
        reason: str | None = None,
    ) -> Fault:
        """Add a fault: `status` (429, 500, 503, ...) with an optional Retry-After, `delay` seconds before the
        answer (alone: the request then succeeds late), or `drop`; for the next `times` matching requests.
        `reason` is the error reason a Google API gives (`rateLimitExceeded`, `userRateLimitExceeded`,
        `quotaExceeded`, ...), because clients decide whether to retry a 403 by it."""
        if status is None and not drop and delay <= 0:
            raise ValueError("a fault needs a status, a delay or drop=True")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for every request)")
        with self._lock:
            fault = Fault(next(self._ids), match, status, retry_after, delay, drop, times, reason=reason)
            self._faults.append(fault)
            return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def list(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take(self, keys: list[str]) -> Fault | None:
        """The first fault matching any key, counted as used (and removed when used up)."""
        with self._lock:
            for fault in self._faults:
                if any(fnmatch.fnmatchcase(key, fault.match) for key in keys):
                    fault.hits += 1
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining == 0:
                            self._faults.remove(fault)
                    return fault
            return None


class Dropped(Exception):
    """A fault closed the request's connection: the service sends nothing more."""


async def strike(faults: Faults, keys: list[str], scope: Scope, receive: Receive) -> Fault | None:
    """What every service does first with a request: take the fault that matches `keys`, wait out its delay, and
    drop the connection if it says so (raising `Dropped`). Returns the fault when the service still has to answer
    with its status, shaped as that API shapes errors: a drop the server could not carry out comes back as a 502."""
    fault = faults.take(keys)
    if fault is None:
        return None
    await delay(fault)
    if fault.drop:
        if await drop_connection(scope, receive):
            raise Dropped
        return Fault(fault.id, fault.match, 502, None, 0.0, False, 1)
    return fault if fault.status is not None else None


async def delay(fault: Fault) -> None:
    if fault.delay > 0:
        await anyio.sleep(fault.delay)


async def drop_connection(scope: Scope, receive: Receive) -> bool:
    """Close the request's connection without answering; False when the server cannot (then answer 502 instead).

    Waits for the server to notice the disconnect, so it does not try to send its own 500 afterwards."""
    abort: Callable[[], None] | None = scope.get(ABORT_KEY)
    if abort is None:
        return False
    abort()
    while (await receive())["type"] != "http.disconnect":
        pass
    return True
