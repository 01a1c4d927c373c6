"""aide's settings pointed at the sandbox the tests already run, as `aide serve --sandbox` points them (the
`aide.sandbox` entry point, `aide_sandbox.entry.start_for_settings`, fills `[gmail]` with the emulator's `base_url`
and the first seeded account's `authorized_user`); that entry point starts a sandbox of its own, so tests fill the
same keys from the per-test `sandbox` fixture instead. Also the mailbox counts the end-to-end tests assert on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aide_core.settings import AideSettings
from aide_sandbox.app import SandboxHandle


def gmail_table(sandbox: SandboxHandle) -> dict[str, Any]:
    return {
        "base_url": sandbox.urls["gmail"],
        "authorized_user": sandbox.authorized_user(),
        "retry_backoff_seconds": 0,
    }


def pointed_at(sandbox: SandboxHandle, settings: AideSettings) -> AideSettings:
    """In-process servers: the settings object, updated."""
    return settings.with_tables(gmail=settings.table("gmail") | gmail_table(sandbox))


def write_config(sandbox: SandboxHandle, path: Path) -> None:
    """Spawned servers read the config file (`AIDE_CONFIG`): the same `[gmail]` keys as TOML (JSON strings and
    arrays of strings are valid TOML values)."""
    table = gmail_table(sandbox)
    user = table.pop("authorized_user")
    lines = ["[gmail]", *(f"{key} = {json.dumps(value)}" for key, value in table.items()), "[gmail.authorized_user]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in user.items()]
    path.write_text("\n".join(lines) + "\n")


def count(gmail: Any, label: str) -> int:
    """Messages with `label` in the sandbox mailbox (read with the real Gmail client, not through aide)."""
    found = gmail.users().messages().list(userId="me", labelIds=[label], maxResults=500).execute()
    return len(found.get("messages", []))


def drafts(gmail: Any) -> list[dict[str, Any]]:
    return gmail.users().drafts().list(userId="me").execute().get("drafts", [])
