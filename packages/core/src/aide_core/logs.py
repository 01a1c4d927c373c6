"""Logging that never touches stdout and never prints a secret.

stdout is the protocol stream of a stdio server: one stray line corrupts it. So the handler aide installs writes to
stderr, and `configure_logging` runs before any server is built.

A library does not configure its host: importing any aide package, or building a server with `ServerSpec.build()`,
leaves the root logger, its handlers and the log record factory as they were (aide's modules only log to named
`aide.*` loggers). Only aide's own entry points call `configure_logging`: the `aide` command (`aide serve`, `aide
chat`, ...) and the stdio launcher (`python -m aide_core.launch`, `aide-gmail`, ...). An application that embeds aide
configures logging itself, and can call `configure_logging` to get what those entry points get.

Secrets are masked by value, not by guessing at field names: whatever handles a secret (the credential store, the
HTTP token, an OAuth flow) calls `register_secret` (which only remembers the value; it configures nothing), and once
`configure_logging` has run, a record factory and the handler's formatter replace each registered value in every
record, including third-party debug lines that print an Authorization header. `redact` masks a string explicitly,
for text that leaves the process other than through logging (an upstream error shown to a model).
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from typing import Any

_MASK = "[secret]"
_MIN_SECRET_LENGTH = 6  # shorter values would mask ordinary words


class _SecretRegistry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: frozenset[str] = frozenset()

    def add(self, value: str) -> None:
        if len(value) >= _MIN_SECRET_LENGTH:
            with self._lock:
                self._values = self._values | {value}

    @property
    def active(self) -> bool:
        return bool(self._values)

    def redact(self, text: str) -> str:
        for value in self._values:
            if value in text:
                text = text.replace(value, _MASK)
        return text


_secrets = _SecretRegistry()


def register_secret(value: str | None) -> None:
    """Mask `value` in every log line from now on."""
    if value:
        _secrets.add(value)


def redact(text: str) -> str:
    return _secrets.redact(text)


class RedactingFormatter(logging.Formatter):
    """Masks registered secrets in the fully formatted line (message, arguments and traceback alike)."""

    def format(self, record: logging.LogRecord) -> str:
        return _secrets.redact(super().format(record))


class _RedactingFactory:
    """Masks secrets when a record is made, so every handler (pytest's caplog, another one the application added)
    gets the masked text; the formatter masks again what is only formatted later (tracebacks). Wraps whatever factory
    was installed when `configure_logging` ran."""

    def __init__(self, base: Callable[..., logging.LogRecord]) -> None:
        self.base = base

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.base(*args, **kwargs)
        if _secrets.active:
            try:
                message = record.getMessage()
            except Exception:  # a malformed call: leave it to logging's own "--- Logging error ---" report
                return record
            masked = _secrets.redact(message)
            if masked != message:
                record.msg, record.args = masked, None
        return record


#: Third-party loggers that are chatty at DEBUG but say nothing a user of aide needs.
_CHATTY = ("httpcore", "httpcore2", "hpack", "asyncio")
#: Loggers that at DEBUG log every message whole: the MCP SDK's transports ("Received JSON: ...", "Sending message via
#: SSE: ...", "Sending client message: ...") and sse-starlette under them ("chunk: b'event: message...'"). That is
#: mail bodies, memories and confirmation tokens. A user turns on DEBUG to see what aide does, not to copy their mail
#: into a log file, so these (the SDK's whole tree, and its bare "client" logger) stay at INFO whatever aide's level.
_CONTENT = ("mcp", "client", "sse_starlette")


def configure_logging(level: str = "INFO") -> None:
    """Send all logging to stderr with secrets masked, and no message contents at any level. Safe to call more than
    once. For entry points only (the `aide` command, the stdio launcher, an application's own `main`): it changes
    the whole process's logging, which a library must never do."""
    if not isinstance(logging.getLogRecordFactory(), _RedactingFactory):
        logging.setLogRecordFactory(_RedactingFactory(logging.getLogRecordFactory()))
    root = logging.getLogger()
    if not any(getattr(handler, "_aide", False) for handler in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._aide = True  # type: ignore[attr-defined]  # marks ours, so a second call does not add another
        root.addHandler(handler)
    root.setLevel(level)
    for name in (*_CHATTY, *_CONTENT):
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))
