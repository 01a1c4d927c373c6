"""Client-side pacing: Notion allows "an average of three requests per second" per integration, with some bursts
(its request-limits page), and answers more with 429 `rate_limited`. Pacing our own requests keeps a long read
(a page of many nested blocks, a query of several pages) under that average instead of running into 429s.

`Pacer` is a generic cell rate algorithm: up to `burst` requests go at once, then one every `1 / rate` seconds. The
clock and the sleep are injected, so tests check the waits without sleeping. One pacer per integration token, shared
by every call of the server (tools run in worker threads, hence the lock).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Pacer:
    def __init__(
        self,
        rate: float = 3.0,
        burst: int = 3,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("need rate > 0 and burst >= 1")
        self.interval = 1.0 / rate
        self.burst = burst
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()
        self._next = float("-inf")  # the theoretical arrival time of the next request

    def wait(self) -> float:
        """Block until a request may go; the seconds waited."""
        with self._lock:
            now = self.clock()
            arrival = max(self._next, now)
            delay = arrival - now - (self.burst - 1) * self.interval
            self._next = arrival + self.interval
        if delay > 1e-9:  # float noise is no wait
            self.sleep(delay)
            return delay
        return 0.0
