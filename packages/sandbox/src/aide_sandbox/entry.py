"""The `aide.sandbox` entry point: what `aide serve --sandbox` calls to run servers against the emulators."""

from __future__ import annotations

import sys

from aide_core.settings import AideSettings
from aide_sandbox.app import SandboxHandle, start

#: Sandboxes started for `aide serve --sandbox`: they live as long as the process (the server thread is a daemon).
_RUNNING: list[SandboxHandle] = []


def start_for_settings(settings: AideSettings) -> AideSettings:
    """Start every emulator in this process (state under `<aide home>/sandbox`, seeded when empty or seeded for an
    earlier day, so the seed mail is recent whenever it runs) and return settings pointing the servers at them.

    Each Google server's table gets `base_url` (the API root to build the client with, see
    `aide_sandbox.google.client.build_service`) and `authorized_user`: the first seeded account's credentials in
    Google's authorized-user keys (`token`, `refresh_token`, `token_uri`, `client_id`, `client_secret`, `scopes`).
    Build `google.oauth2.credentials.Credentials(...)` from those keys directly: `from_authorized_user_info`
    always replaces `token_uri` with Google's, and the first refresh would then leave the sandbox.

    `[calendar]` gets the same two keys as `[gmail]`; `[notion]` gets `base_url` (for `Client(base_url=...)`) and
    `token` (the first workspace's integration token); `[twilio]` gets `base_url` (set it as both
    `client.api.base_url` and `client.lookups.base_url`), `account_sid`, `auth_token`, `from_number`, `numbers` and
    `messaging_service_sid`."""
    handle = start(settings.home / "sandbox", refresh_stale=True)
    _RUNNING.append(handle)
    sys.stderr.write(f"sandbox: emulators on {handle.base_url} (state in {settings.home / 'sandbox'})\n")
    google = {"authorized_user": handle.authorized_user()}
    return settings.with_tables(
        gmail=settings.table("gmail") | {"base_url": handle.urls["gmail"]} | google,
        calendar=settings.table("calendar") | {"base_url": handle.urls["calendar"]} | google,
        notion=settings.table("notion") | {"base_url": handle.urls["notion"], "token": handle.notion_token()},
        twilio=settings.table("twilio") | {"base_url": handle.urls["twilio"]} | handle.twilio_credentials(),
    )
