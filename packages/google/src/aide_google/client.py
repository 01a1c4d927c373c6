"""One Google API for one account: google-api-python-client calls under aide's retry policy, errors mapped to
`AideError`s. A server subclasses `GoogleClient` and adds its API's calls.

Reads are retried (`call`: 429, 5xx, connection errors, Retry-After honoured); actions that must not happen twice
(`act`: a send, a create) are never retried, because a 5xx or a broken connection does not tell whether the API
carried them out. They also bypass the service's kept-alive connections: each goes out once on a new connection
(`action_http`), so that neither httplib2's silent repeat nor a connection the server closed while the user read a
confirmation can act twice or fail. When the outcome is unknown the error says so, and how to check.

One service object per thread: httplib2 is not thread-safe, and sync tools run in worker threads. Nothing here
imports the Google client libraries, the retry library or the error mapping before the first call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from aide_core.errors import NotFound, PermissionDenied, RequestNotSent, UpstreamError, UpstreamUnreachable
from aide_google.accounts import GoogleAccount, refresh_failure, service_account_command, sign_in_command
from aide_google.scopes import GoogleApi
from aide_google.service import action_http, build_service

if TYPE_CHECKING:
    from aide_core.retry import RetryPolicy


def outcome_unknown(error: UpstreamError) -> bool:
    """Whether an action's failure leaves open that the API carried it out: no answer after the request may have
    left, or a 5xx (a refusal, 4xx or 429, and a failure to connect say it did not)."""
    if isinstance(error, UpstreamUnreachable):
        return not isinstance(error, RequestNotSent)
    return error.status is None or error.status >= 500


class GoogleClient:
    """The calls of one account to one `GoogleApi`; `credentials` are google-auth credentials, `root_url` another
    API root (the sandbox), `sleep` what waits between retries (injectable, so tests never sleep). A server's
    client subclasses it naming its `api`."""

    api: ClassVar[GoogleApi]

    def __init__(
        self,
        account: GoogleAccount,
        credentials: Any,
        *,
        root_url: str | None,
        policy: RetryPolicy,
        sleep: Callable[[float], None],
    ) -> None:
        self.signed_in = account
        self.account = account.name
        self.credentials = credentials
        self.root_url = root_url
        self.policy = policy
        self.sleep = sleep
        self._local = threading.local()
        self._services: list[Any] = []
        self._lock = threading.Lock()

    def service(self) -> Any:
        """This thread's `googleapiclient` service (typed `Any`: its methods are made at run time)."""
        service = getattr(self._local, "service", None)
        if service is None:
            service = build_service(self.api.api, self.api.version, self.credentials, root_url=self.root_url)
            self._local.service = service
            with self._lock:
                self._services.append(service)
        return service

    def root(self, service: Any) -> Any:
        """What `call` and `act` hand their request builders: the service itself, or a resource of it (Gmail's
        `users()`)."""
        return service

    def close(self) -> None:
        """Close every connection this client opened (one per thread that used it)."""
        with self._lock:
            services, self._services = self._services, []
        for service in services:
            service.close()

    def call(self, request: Callable[[Any], Any], *, item: str | None = None) -> Any:
        """`request(root)` builds an idempotent request; it is executed under the retry policy. `item`
        ("message 18c…") names what the request reads, so that a 404 says which id does not exist."""
        try:
            return self._run(lambda: request(self.root(self.service())).execute(), idempotent=True)
        except NotFound as missing:
            if item is None:
                raise
            raise NotFound(f"{self.api.name} has no {item[:150]}.", hint=missing.hint) from None

    def call_many(
        self, requests: Mapping[str, Callable[[Any], Any]], *, size: int = 50, item: str = "item"
    ) -> dict[str, Any]:
        """Idempotent reads by key, in batch requests of `size` (Google's batch endpoint, one HTTP round trip per
        batch; Gmail advises at most 50). Each batch runs under the retry policy and keeps what succeeded; a part
        that failed (a per-part 429, a 404) is then read on its own with `call`, so it is retried, or its error
        raised, exactly as for a single read. The answer has every key of `requests`."""
        found: dict[str, Any] = {}
        keys = list(requests)
        for start in range(0, len(keys), size):
            chunk = keys[start : start + size]

            def attempt(chunk: list[str] = chunk) -> None:
                def collect(request_id: str, response: Any, exception: Any) -> None:
                    if exception is None:
                        found[request_id] = response

                batch = self.service().new_batch_http_request(callback=collect)
                root = self.root(self.service())
                for key in chunk:
                    if key not in found:
                        batch.add(requests[key](root), request_id=key)
                batch.execute()

            self._run(attempt, idempotent=True)
        for key in keys:
            if key not in found:
                found[key] = self.call(requests[key], item=f"{item} {key!r}")
        return found

    def act(self, request: Callable[[Any], Any], *, done: str, check: str) -> Any:
        """`request(root)` builds a request that must not take effect twice (a send, a create); it is executed once,
        on a connection of its own. When it fails in a way that does not tell whether the API carried it out, the
        error says that the API may have `done` it ("sent the message") and how to `check`."""

        def attempt() -> Any:
            http = action_http(self.credentials)
            try:
                return request(self.root(self.service())).execute(http=http)
            finally:
                http.close()

        try:
            return self._run(attempt, idempotent=False)
        except UpstreamError as error:
            if outcome_unknown(error):
                error.hint = (
                    f"{self.api.name} may have {done} before the failure, so the outcome is unknown. Do not repeat "
                    f"the call blindly: first {check}."
                )
            raise

    def _run(self, attempt: Callable[[], Any], *, idempotent: bool) -> Any:
        """`attempt()` under the retry policy (retried only when `idempotent`), its failure mapped: a refused token
        refresh to the command that signs in again, a missing scope to the command that grants it."""
        # Imported at the first call: the retry policy's tenacity costs ~20 ms of every server start.
        from aide_core.retry import call_with_retry
        from aide_core.upstream import from_exception
        from aide_google.errors import GOOGLE_ERRORS

        name = self.api.name
        try:
            return call_with_retry(
                attempt,
                service=name,
                idempotent=idempotent,
                policy=self.policy,
                sleep=self.sleep,
                profile=GOOGLE_ERRORS,
            )
        except Exception as exc:
            scopes: Any = getattr(self.credentials, "scopes", None)
            refused = refresh_failure(exc, name, self.signed_in, scopes)
            if refused is not None:
                raise refused from None
            mapped = from_exception(name, exc, GOOGLE_ERRORS)
            if mapped is None:
                raise
            if isinstance(mapped, PermissionDenied) and "denied access" in mapped.message:
                top = self.api.level_names[-1]
                again = (
                    service_account_command(self.account, self.signed_in.email, top, self.signed_in.user)
                    if self.signed_in.kind == "service_account"
                    else sign_in_command(self.account, top, self.signed_in.user)
                )
                mapped.hint = (
                    f"The account '{self.account}' was not granted the scope this needs. Ask the user to run: {again}"
                )
            raise mapped from None
