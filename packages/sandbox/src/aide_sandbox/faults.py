"""Fault injection: make an endpoint answer 429/500/503, answer late, or drop the connection, once or N times.

A fault matches a request by a glob over its keys: for Google APIs the method id (`gmail.users.messages.list`,
`gmail.users.messages.*`), the service name (`gmail`) and the path (`/gmail/gmail/v1/users/me/profile`). Tests
inject through the Python handle (`sandbox.faults.inject(...)`), anything else through `POST /admin/faults`.

A dropped connection is closed without a byte of response, which the client sees as `RemoteDisconnected` (a
`ConnectionError`). Note that httplib2 silently retries a request once when a fresh connection is dropped before the
status line, so a drop the client must *see* needs `times=2`.

Two kinds of drop, because they tell a client different things:

- `drop=True` closes the connection *before* the service acts: nothing happened, whatever the client concludes;
- `drop_after=True` ("accept then drop") lets the service carry the request out (the message is sent, the draft
  stored) and closes the connection instead of answering: what a crash, a proxy timeout or a lost line after the
  upstream committed looks like. A client that repeats the request now acts twice.

`strike` carries out the first and marks the request for the second (`DROP_AFTER_KEY` in its scope); the sandbox's
HTTP protocol sends every answer through `answer_or_drop`, which closes a marked request's connection in place of
its answer. Served without that protocol (no `ABORT_KEY` in the scope), either drop is answered 502 before acting.

Idle keep-alive connections are closed by the server after `keep_alive` seconds (`start(keep_alive=...)`,
`aide sandbox serve --keep-alive`; 5 by default, as uvicorn and Apache do), or at once on demand:
`sandbox.close_idle_connections()` on the handle, `POST /admin/connections/close-idle` over HTTP. A client that
then writes to such a connection finds it reset, which is what a confirmation that took a human's time does to a
kept-alive connection to any real server.
"""

from __future__ import annotations

import fnmatch
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
from starlette.types import Message, Receive, Scope, Send

#: Scope key under which the sandbox's HTTP protocol puts a callable that aborts the request's connection.
ABORT_KEY = "aide_sandbox.abort"
#: Scope key `strike` sets when a drop-after fault took the request: its answer is replaced by a dropped connection.
DROP_AFTER_KEY = "aide_sandbox.drop_after"
#: Scope key under which the sandbox's HTTP protocol puts a coroutine function closing the idle connections.
CLOSE_IDLE_KEY = "aide_sandbox.close_idle"


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
    drop_after: bool = False

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
            "drop_after": self.drop_after,
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
        drop_after: bool = False,
    ) -> Fault:
        """Add a fault: `status` (429, 500, 503, ...) with an optional Retry-After, `delay` seconds before the
        answer (alone: the request then succeeds late), `drop` (before acting) or `drop_after` (after acting);
        for the next `times` matching requests. `reason` is the error reason a Google API gives
        (`rateLimitExceeded`, `userRateLimitExceeded`, `quotaExceeded`, ...), because clients decide whether to
        retry a 403 by it."""
        if status is None and not drop and not drop_after and delay <= 0:
            raise ValueError("a fault needs a status, a delay, drop=True or drop_after=True")
        if sum((status is not None, drop, drop_after)) > 1:
            raise ValueError("a fault answers with a status, drops, or drops after acting: one of them")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for every request)")
        with self._lock:
            fault = Fault(
                next(self._ids), match, status, retry_after, delay, drop, times, reason=reason, drop_after=drop_after
            )
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
    drop the connection if it says so (raising `Dropped`), or mark the request so that its answer is dropped
    (`drop_after`: the service goes on and acts). Returns the fault when the service still has to answer with its
    status, shaped as that API shapes errors: a drop the server could not carry out comes back as a 502."""
    fault = faults.take(keys)
    if fault is None:
        return None
    await delay(fault)
    if fault.drop_after and scope.get(ABORT_KEY) is not None:
        scope[DROP_AFTER_KEY] = True
        return None
    if fault.drop or fault.drop_after:
        if await drop_connection(scope, receive):
            raise Dropped
        return Fault(fault.id, fault.match, 502, None, 0.0, False, 1)
    return fault if fault.status is not None else None


async def delay(fault: Fault) -> None:
    if fault.delay > 0:
        await anyio.sleep(fault.delay)


def answer_or_drop(scope: Scope, receive: Receive, send: Send) -> Send:
    """`send` for one request, as the sandbox's HTTP protocol hands it to the app: the answer goes out, unless a
    drop-after fault marked the request (after the service acted): then the connection is closed in its place and
    the rest of the answer goes nowhere."""

    async def answer(message: Message) -> None:
        if not scope.get(DROP_AFTER_KEY):
            await send(message)
        elif message["type"] == "http.response.start":
            await drop_connection(scope, receive)

    return answer


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
