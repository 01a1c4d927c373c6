"""One retry policy for every upstream call, whichever service it goes to.

Why tenacity: it is a small, well-tested retry engine that already runs the attempt / wait / stop / sleep loop for
both sync and async code, takes an injectable `sleep` (so tests never really sleep) and has full-jitter exponential
backoff (`wait_random_exponential`). What aide adds on top:

- `classify`: recognises, by duck typing and without importing them, the errors of the clients aide uses
  (httpx / httpx2, requests, httplib2-based API clients and httplib2's unknown host, exceptions that carry a
  `.status`, and builtin connection/timeout errors, plus the timeouts an upstream's `ErrorProfile` names), so the core
  needs none of those libraries installed; and it tells a failure to
  connect (`not_sent`: the request never left) from a failure after the request may have reached upstream, because
  only the first proves that an action did not act;
- what is retried: 429, 5xx, connection and timeout errors, and a 403 whose body names a rate limit by the
  upstream's `ErrorProfile` (see `aide_core.upstream`); nothing else;
- `Retry-After` (seconds or HTTP-date) is honoured as a lower bound for the wait, which not every official client
  does;
- a total time budget: when upstream asks us to wait longer than what is left of it, we give up at once with
  `RateLimited` (which tells the model how long to wait) instead of sleeping through the tool call;
- a non-idempotent call (send, create) is never retried unless it carries an idempotency key, because a 5xx or a
  timeout does not tell whether it took effect, and a repeated send is worse than a failed one.

After the last attempt the last exception is re-raised unchanged; `aide_core.upstream.from_exception` turns it
into a message for the model.

Some official clients retry on their own too; servers that wrap them in `call_with_retry` should switch that off
(`num_retries=0` for clients built on discovery documents, and the like) so that attempts do not multiply.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, NoReturn, TypedDict, TypeVar, cast

import anyio
from tenacity import AsyncRetrying, RetryCallState, Retrying, retry_if_exception, wait_random_exponential

from aide_core.errors import AideError, RateLimited

if TYPE_CHECKING:
    from aide_core.upstream import ErrorProfile

T = TypeVar("T")

logger = logging.getLogger("aide.retry")

# Transport errors of httpx/httpx2 that retrying cannot fix (a bad URL scheme, a request we built wrongly).
_HTTPX_NOT_TRANSIENT = frozenset({"UnsupportedProtocol", "LocalProtocolError"})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. `max_total_seconds` bounds attempts plus waits, so a tool call cannot hang."""

    max_attempts: int = 4
    max_total_seconds: float = 30.0
    initial_backoff: float = 0.5
    max_backoff: float = 8.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.max_total_seconds <= 0 or self.initial_backoff < 0 or self.max_backoff < self.initial_backoff:
            raise ValueError("need max_total_seconds > 0 and 0 <= initial_backoff <= max_backoff")


DEFAULT_POLICY = RetryPolicy()


class NotSent(ConnectionError):
    """A transport could not connect, so the request provably never left: nothing can have happened upstream.

    Transports raise it (a server's single-attempt transport for actions, say) where only they can tell a failure
    to connect from a failure after the request was written: both surface as connection errors, but only this one
    lets the guard release an action's idempotency key."""


@dataclass(frozen=True)
class Failure:
    """What an exception says about an upstream call.

    `status` is the HTTP status (None for a connection failure), `retry_after` the wait upstream asked for in
    seconds, `connection` whether the call failed before an answer (refused, reset, timed out), `rate_limited`
    whether the body names a rate limit although the status does not say so (a 403, by the upstream's
    `ErrorProfile`), `not_sent` whether the connection failed before the request could leave (refused, unknown
    host, connect timeout).
    """

    status: int | None
    retry_after: float | None
    connection: bool
    rate_limited: bool = False
    not_sent: bool = False

    @property
    def retryable(self) -> bool:
        if self.connection or self.rate_limited:
            return True
        return self.status is not None and (self.status == 429 or 500 <= self.status <= 599)


# --------------------------------------------------------------------------------------------------------------
# Classification (duck typing: none of the client libraries is imported)


def _status(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
        return value
    return None


def _class_names(exc: BaseException, package: frozenset[str]) -> set[str]:
    """Names of the classes in `exc`'s MRO that come from one of the top-level packages in `package`."""
    return {cls.__name__ for cls in type(exc).__mro__ if cls.__module__.split(".", 1)[0] in package}


def _qualified_names(exc: BaseException) -> set[str]:
    """`package.ClassName` for each class in `exc`'s MRO (the top-level package only: clients move classes around)."""
    return {f"{cls.__module__.split('.', 1)[0]}.{cls.__name__}" for cls in type(exc).__mro__}


def _header(headers: object, name: str) -> str | None:
    """A header from httpx `Headers`, requests' `CaseInsensitiveDict`, httplib2's lowercase-keyed dict, or a dict."""
    if headers is None:
        return None
    values: list[object] = []
    getter = getattr(headers, "get", None)
    if callable(getter):
        values = [getter(key) for key in (name.lower(), name)]
    items = getattr(headers, "items", None)
    if callable(items):
        values += [v for k, v in cast("Any", items()) if isinstance(k, str) and k.lower() == name.lower()]
    for value in values:
        if isinstance(value, bytes):
            return value.decode("latin-1")
        if isinstance(value, str):
            return value
    return None


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` value: delta-seconds or an HTTP-date. None when absent or unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def response_body(exc: BaseException) -> bytes | str | None:
    """The error body an exception carries: httpx/requests `.response.content`, httplib2-based clients `.content`,
    other clients `.body`. None when there is none (some clients keep only parsed fields: see
    `ErrorProfile.fields`)."""
    response = getattr(exc, "response", None)
    if response is not None:
        try:
            content = getattr(response, "content", None)
        except Exception:  # httpx raises ResponseNotRead for an unread streamed response
            return None
        return content if isinstance(content, bytes | str) else None
    for attr in ("content", "body"):
        value = getattr(exc, attr, None)
        if isinstance(value, bytes | str):
            return value
    return None


def classify(exc: BaseException, profile: ErrorProfile | None = None) -> Failure | None:
    """What `exc` says about an upstream call, or None when it is not an upstream failure (a bug, a bad argument,
    or an `AideError`, which is already final); `profile` tells which bodies name a rate limit."""
    if isinstance(exc, AideError):
        return None

    status: int | None = None
    headers: object = None
    response = getattr(exc, "response", None)  # httpx / httpx2 HTTPStatusError, requests HTTPError
    resp = getattr(exc, "resp", None)  # httplib2-based clients' HttpError: an httplib2 Response (a dict with .status)
    if response is not None and _status(getattr(response, "status_code", None)) is not None:
        status, headers = _status(response.status_code), getattr(response, "headers", None)
    elif resp is not None and _status(getattr(resp, "status", None)) is not None:
        status, headers = _status(resp.status), resp
    elif _status(getattr(exc, "status", None)) is not None:  # other clients: `.status`, perhaps `.headers`
        status, headers = _status(getattr(exc, "status", None)), getattr(exc, "headers", None)

    if status is not None:
        rate_limited = status == 403 and profile is not None and profile.rate_limited(response_body(exc))
        return Failure(status, parse_retry_after(_header(headers, "Retry-After")), False, rate_limited)

    # Failures to connect, which only a connect can raise: the request never left.
    if isinstance(exc, NotSent | ConnectionRefusedError) or "ServerNotFoundError" in _class_names(
        exc, frozenset({"httplib2"})
    ):
        return Failure(None, None, True, not_sent=True)
    if isinstance(exc, ConnectionError | TimeoutError):  # socket.timeout is TimeoutError
        return Failure(None, None, True)
    httpx_names = _class_names(exc, frozenset({"httpx", "httpx2"}))
    if "TransportError" in httpx_names and not httpx_names & _HTTPX_NOT_TRANSIENT:
        return Failure(None, None, True, not_sent=bool(httpx_names & {"ConnectError", "ConnectTimeout"}))
    requests_names = _class_names(exc, frozenset({"requests"}))
    if requests_names & {"ConnectionError", "Timeout"}:
        return Failure(None, None, True, not_sent="ConnectTimeout" in requests_names)
    if profile is not None and profile.timeouts & _qualified_names(exc):
        return Failure(None, None, True)
    return None


# --------------------------------------------------------------------------------------------------------------
# The policy, as tenacity hooks


class _Hooks(TypedDict):
    """The policy hooks `Retrying` and `AsyncRetrying` are built with (`sleep` differs, so it is passed apart)."""

    retry: retry_if_exception
    wait: Callable[[RetryCallState], float]
    stop: Callable[[RetryCallState], bool]
    before_sleep: Callable[[RetryCallState], None]
    retry_error_callback: Callable[[RetryCallState], NoReturn]


class _Controller:
    """The tenacity hooks for one call: wait, stop, log and give up, sharing what the stop decided."""

    def __init__(self, service: str, policy: RetryPolicy, profile: ErrorProfile | None) -> None:
        self.service = service
        self.policy = policy
        self.profile = profile
        self.jitter = wait_random_exponential(multiplier=policy.initial_backoff, max=policy.max_backoff)
        self.too_long: float | None = None  # set when a Retry-After does not fit in the budget

    @staticmethod
    def _exception(rs: RetryCallState) -> BaseException:
        exc = rs.outcome.exception() if rs.outcome is not None else None
        assert exc is not None, "tenacity only waits, stops and gives up after a failed attempt"
        return exc

    def _remaining(self, rs: RetryCallState) -> float:
        # Real elapsed time includes real sleeps; with an injected sleep (tests) count the requested sleeps instead.
        spent = max(rs.seconds_since_start or 0.0, rs.idle_for)
        return self.policy.max_total_seconds - spent

    def retryable(self, exc: BaseException) -> bool:
        failure = classify(exc, self.profile)
        return failure is not None and failure.retryable

    def wait(self, rs: RetryCallState) -> float:
        """Full-jitter exponential backoff, capped by the budget, but never shorter than a Retry-After."""
        failure = classify(self._exception(rs), self.profile)
        backoff = min(self.jitter(rs), max(0.0, self._remaining(rs)))
        retry_after = failure.retry_after if failure is not None else None
        return backoff if retry_after is None else max(retry_after, backoff)

    def stop(self, rs: RetryCallState) -> bool:
        if rs.attempt_number >= self.policy.max_attempts:
            return True
        remaining = self._remaining(rs)
        if remaining <= 0:
            return True
        if rs.upcoming_sleep > remaining:  # only a Retry-After makes the wait exceed the budget
            self.too_long = rs.upcoming_sleep
            return True
        return False

    def log(self, rs: RetryCallState) -> None:
        exc = self._exception(rs)
        failure = classify(exc, self.profile)
        what = f"HTTP {failure.status}" if failure is not None and failure.status else type(exc).__name__
        logger.info(
            "%s call failed with %s (attempt %d of %d); retrying in %.2f s",
            self.service,
            what,
            rs.attempt_number,
            self.policy.max_attempts,
            rs.upcoming_sleep,
        )

    def give_up(self, rs: RetryCallState) -> NoReturn:
        exc = self._exception(rs)
        if self.too_long is not None:
            logger.info("%s asked to wait %.0f s, more than the retry budget; giving up", self.service, self.too_long)
            raise RateLimited(self.service, self.too_long) from exc
        raise exc

    def hooks(self) -> _Hooks:
        """The keyword arguments `Retrying` and `AsyncRetrying` both take from this controller."""
        return _Hooks(
            retry=retry_if_exception(self.retryable),
            wait=self.wait,
            stop=self.stop,
            before_sleep=self.log,
            retry_error_callback=self.give_up,
        )


def _may_retry(idempotent: bool, idempotency_key: str | None) -> bool:
    return idempotent or bool(idempotency_key)


def call_with_retry(
    fn: Callable[[], T],
    *,
    service: str,
    idempotent: bool,
    idempotency_key: str | None = None,
    policy: RetryPolicy = DEFAULT_POLICY,
    sleep: Callable[[float], None] = time.sleep,
    profile: ErrorProfile | None = None,
) -> T:
    """Call `fn` and retry it under `policy` while it fails in a way worth retrying.

    `idempotent=False` (a send, a create) means `fn` runs once, unless `idempotency_key` is given: that says the
    caller sends the same key with every attempt so upstream drops duplicates (the key itself is not used here).
    `service` is the user-facing name ("Gmail") used in logs and in `RateLimited`; `profile` tells which error
    bodies name a rate limit.
    """
    if not _may_retry(idempotent, idempotency_key):
        return fn()
    retrying = Retrying(sleep=sleep, **_Controller(service, policy, profile).hooks())
    return retrying(fn)


async def acall_with_retry(
    fn: Callable[[], Awaitable[T]],
    *,
    service: str,
    idempotent: bool,
    idempotency_key: str | None = None,
    policy: RetryPolicy = DEFAULT_POLICY,
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    profile: ErrorProfile | None = None,
) -> T:
    """`call_with_retry` for a coroutine function; `fn` is called anew for each attempt."""
    if not _may_retry(idempotent, idempotency_key):
        return await fn()

    async def attempt() -> T:  # tenacity only awaits what a coroutine *function* returns
        return await fn()

    retrying = AsyncRetrying(sleep=sleep, **_Controller(service, policy, profile).hooks())
    return await retrying(attempt)
