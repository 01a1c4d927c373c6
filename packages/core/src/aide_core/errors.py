"""The errors aide raises, and how each becomes a message a model can act on.

Two planes, as in the MCP SDK: developers catch `AideError` subclasses; the model reads the `ToolError` text that
`to_tool_error` makes from them. Every message says what was wrong and what to do next, because a model that only
reads "failed" retries blindly.

    AideError
    ├── ConfigError            a setting is invalid (names the key and the file)
    ├── NotConfigured          a server lacks credentials (names the command that configures it)
    ├── InvalidInput           the caller's arguments cannot be used
    ├── NotFound               the thing named does not exist (upstream 404)
    ├── PermissionDenied       the account lacks a scope or right (upstream 401/403)
    ├── Conflict               the target changed or already exists (upstream 409/412)
    ├── PolicyRefused          the side-effect guard's policy forbids this action
    ├── StoreUnavailable       a local database cannot be used: damaged, unreadable, or from a newer aide
    ├── RateLimited            upstream said slow down; carries the wait
    └── UpstreamError          anything else an upstream API said (status and its own message)
        └── UpstreamUnreachable    nothing answered: the connection failed, was reset or timed out
            └── RequestNotSent     no connection was made (refused, unknown host, connect timeout): nothing left

Anything that is not an `AideError` is a bug: it is logged with a trace id and the model only learns the id.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from mcp.server.mcpserver.exceptions import ToolError

logger = logging.getLogger("aide.errors")


class AideError(Exception):
    """Base class. `message` says what happened; `hint` says what to do about it."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if not self.hint:
            return self.message
        # An upstream's own detail often ends without a full stop; the hint is a sentence of its own.
        stop = "" if self.message.rstrip().endswith((".", "!", "?", ":")) else "."
        return f"{self.message}{stop} {self.hint}"


class ConfigError(AideError):
    """An invalid setting. `key` and `source` (a file path or "environment") say where to fix it."""

    def __init__(self, message: str, *, key: str | None = None, source: str | None = None) -> None:
        where = " ".join(part for part in (f"setting '{key}'" if key else "", f"in {source}" if source else "") if part)
        super().__init__(f"invalid {where}: {message}" if where else message)
        self.key = key
        self.source = source


class NotConfigured(AideError):
    """The server is running but cannot reach its upstream until someone runs `command`."""

    def __init__(self, service: str, command: str, *, reason: str = "is not configured") -> None:
        super().__init__(f"{service} {reason}.", hint=f"Ask the user to run: {command}")
        self.service = service
        self.command = command


class InvalidInput(AideError):
    """The arguments cannot be used as given."""


class NotFound(AideError):
    """The named object does not exist (or is not visible to this account)."""


class PermissionDenied(AideError):
    """The account lacks the scope or right this call needs."""


class Conflict(AideError):
    """The object changed since it was read, or already exists."""


class PolicyRefused(AideError):
    """The side-effect guard's policy (allowlist, read-only switch) forbids this action."""


class StoreUnavailable(AideError):
    """A database aide keeps on disk cannot be used. The message names the file; the hint says what the user can do
    about it (it is never the model's to fix, and never a bug in the server)."""

    def __init__(self, message: str, *, path: str, hint: str) -> None:
        super().__init__(message, hint=hint)
        self.path = path


class RateLimited(AideError):
    """Upstream asked us to slow down. `retry_after` is in seconds when upstream said."""

    def __init__(self, service: str, retry_after: float | None = None, *, detail: str | None = None) -> None:
        wait = f"retry in {max(1, round(retry_after))} s" if retry_after is not None else "retry in a minute"
        message = f"{service} is rate limiting requests" + (f" ({detail})" if detail else "")
        super().__init__(message + ".", hint=f"Do not repeat the call at once; {wait}.")
        self.service = service
        self.retry_after = retry_after


class UpstreamError(AideError):
    """An upstream API answered with an error that fits no narrower class."""

    def __init__(self, service: str, status: int | None, detail: str, *, hint: str | None = None) -> None:
        status_text = f" (HTTP {status})" if status else ""
        super().__init__(f"{service} returned an error{status_text}: {detail}", hint=hint)
        self.service = service
        self.status = status


class UpstreamUnreachable(UpstreamError):
    """The service did not answer: the connection failed, was reset or timed out, maybe after the request left."""

    def __init__(
        self,
        service: str,
        message: str | None = None,
        *,
        hint: str = "This is a network problem, not a problem with the request; retry later. If the call sent or "
        "created something, check first whether it went through.",
    ) -> None:
        AideError.__init__(self, message or f"No answer from {service}: the connection failed or timed out.", hint=hint)
        self.service = service
        self.status = None


class RequestNotSent(UpstreamUnreachable):
    """No connection could be made, so the request never left and nothing happened upstream: unlike its parent,
    this proves that an action did not act."""

    def __init__(self, service: str) -> None:
        super().__init__(
            service,
            f"Could not connect to {service}, so the request was not sent and nothing was done.",
            hint="This is a network problem, not a problem with the request; retry later.",
        )


def new_trace_id() -> str:
    """Short enough to read aloud to a developer, long enough not to collide in one log."""
    return uuid.uuid4().hex[:12]


def to_tool_error(
    exc: BaseException, *, tool: str, upstream: Callable[[BaseException], AideError | None] | None = None
) -> ToolError:
    """The model-facing form of any exception raised by a tool.

    `ToolError` passes through; `AideError` keeps its message and hint; an upstream client's exception that escaped
    the server's own mapping is read by `upstream` (the error profile the server declared, see
    `ServerSpec(upstream=, errors=)`); anything else is logged with a trace id and reported only as "internal error
    (trace id …)" so that no internal detail (or secret) leaks to the model.
    """
    if isinstance(exc, ToolError):
        return exc
    if isinstance(exc, AideError):
        return ToolError(str(exc))
    mapped = upstream(exc) if upstream is not None else None
    if mapped is not None:
        return ToolError(str(mapped))
    trace_id = new_trace_id()
    logger.error("internal error in tool %s (trace id %s)", tool, trace_id, exc_info=exc)
    return ToolError(
        f"internal error (trace id {trace_id}). This is a bug in the server, not in your request; "
        "retrying will not help. Tell the user the trace id."
    )
