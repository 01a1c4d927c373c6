"""Logging that never touches stdout and never prints a secret.

stdout is the protocol stream of a stdio server: one stray line corrupts it. So every handler aide installs writes
to stderr, and `configure_logging` runs before the MCP SDK's own `basicConfig` (which then does nothing).

Secrets are masked by value, not by guessing at field names: whatever handles a secret (the credential store, the
HTTP token, an OAuth flow) calls `register_secret`, and a filter on the handler replaces each registered value in
every formatted record, including third-party debug lines that print an Authorization header.
"""

from __future__ import annotations

import logging
import sys
import threading

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


_base_factory = logging.getLogRecordFactory()


def _redacting_factory(*args: object, **kwargs: object) -> logging.LogRecord:
    """Masks secrets when a record is made, so every handler (pytest's caplog, a host's own) gets the masked text;
    the formatter masks again what is only formatted later (tracebacks)."""
    record = _base_factory(*args, **kwargs)  # type: ignore[arg-type]
    if _secrets.active:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: leave it to logging's own "--- Logging error ---" report
            return record
        masked = _secrets.redact(message)
        if masked != message:
            record.msg, record.args = masked, None
    return record


logging.setLogRecordFactory(_redacting_factory)


#: Third-party loggers that are chatty at DEBUG but say nothing a user of aide needs.
_CHATTY = ("httpcore", "httpcore2", "hpack", "asyncio")
#: Loggers that at DEBUG log every message whole: the MCP SDK's transports ("Received JSON: ...", "Sending message via
#: SSE: ...", "Sending client message: ...") and sse-starlette under them ("chunk: b'event: message...'"). That is
#: mail bodies, memories and confirmation tokens. A user turns on DEBUG to see what aide does, not to copy their mail
#: into a log file, so these (the SDK's whole tree, and its bare "client" logger) stay at INFO whatever aide's level.
_CONTENT = ("mcp", "client", "sse_starlette")


def configure_logging(level: str = "INFO") -> None:
    """Send all logging to stderr with secrets masked, and no message contents at any level. Safe to call more than
    once."""
    root = logging.getLogger()
    if not any(getattr(handler, "_aide", False) for handler in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._aide = True  # type: ignore[attr-defined]  # marks ours, so a second call does not add another
        root.addHandler(handler)
    root.setLevel(level)
    for name in (*_CHATTY, *_CONTENT):
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))
