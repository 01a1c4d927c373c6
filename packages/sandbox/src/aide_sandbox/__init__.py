"""aide's sandbox: local emulators of the cloud APIs aide talks to, driven by the official client libraries.

    handle = aide_sandbox.start()           # every emulator on a free loopback port, seeded
    gmail = handle.gmail()                  # a google-api-python-client service for the first seeded account
    handle.faults.inject("gmail.users.messages.list", status=429, retry_after=3)
    handle.expire_tokens()                  # the next call answers 401, google-auth refreshes, the call succeeds
    handle.stop()

Calendar (`handle.calendar()`), Tasks (`handle.tasks()`), Notion (`handle.notion()`), Twilio (`handle.twilio()`,
`handle.sms`) and the scripted LLM fakes (`handle.openai()`, `handle.anthropic()`, `handle.llm`) are served beside
Gmail and Google OAuth.

The names below are the public API, imported on first use (importing the package does no work). Public modules:
`app` (where they are defined), `google.client` (`build_service`), `testing` (the pytest plug-in and its fixtures),
`entry` (the `aide.sandbox` entry point behind `--sandbox`) and `cli` (`aide sandbox ...`). The rest (`admin`, `db`,
`faults`, `server`, `seed` and the per-service emulators `gmail`, `calendar`, `tasks`, `notion`, `twilio`, `llm`,
`google`) is the emulators' implementation, reached over HTTP by the official clients. Only tests, fixtures and the
sandbox itself import this package; aide's product code reaches it through the `aide.sandbox` entry point.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aide_sandbox.app import Sandbox, SandboxHandle, start
    from aide_sandbox.google.client import build_service

__all__ = ["Sandbox", "SandboxHandle", "build_service", "start"]

_LAZY = {
    "Sandbox": "aide_sandbox.app",
    "SandboxHandle": "aide_sandbox.app",
    "start": "aide_sandbox.app",
    "build_service": "aide_sandbox.google.client",
}


def __getattr__(name: str) -> Any:
    """Imports on first use: `import aide_sandbox` stays cheap (the pytest plug-in and `aide` load it)."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'aide_sandbox' has no attribute {name!r}")
