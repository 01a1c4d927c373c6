"""The `aide.sandbox` entry point: what `aide serve --sandbox` and `aide chat --sandbox` call to run servers against
the emulators.

The sandbox is a world of its own. Servers run with their data folder at `<aide home>/sandbox/aide` (memories,
the guard's log, conversations of the sandbox stay there, never mixed with the user's real ones), and its secrets
go where every secret goes, the credential store, as the sign-in commands put them there: the first seeded Google
account is signed in as the account `default` (through `aide_google`'s account store, exactly what `aide auth
google` writes), and the first Notion workspace and the Twilio account likewise, as accounts `default` of the
services `notion` and `twilio` (`aide_core.accounts`, what `aide auth notion` and `aide auth twilio` write). That
store is always the encrypted file of the sandbox's folder, never the OS keyring, so a demo leaves nothing in the
user's keychain. The settings tables get only what is not secret: where each API is, and the seeded Twilio ids.
"""

from __future__ import annotations

import sys
from typing import Any

from aide_core.errors import StoreUnavailable
from aide_core.settings import AideSettings
from aide_sandbox.app import SandboxHandle, start
from aide_sandbox.db import state_folder, unusable

#: Sandboxes started for `aide serve --sandbox`: they live as long as the process (the server thread is a daemon).
_RUNNING: list[SandboxHandle] = []

#: Where the servers' data folder is, inside the emulators' state folder.
WORLD = "aide"
#: The account the sandbox signs in, for every service.
ACCOUNT = "default"


def start_for_settings(settings: AideSettings) -> AideSettings:
    """Start every emulator in this process (state under `<aide home>/sandbox`, seeded when empty or seeded for an
    earlier day, so the seed mail is recent whenever it runs), sign the sandbox world in, and return settings
    pointing the servers at both.

    Tables: each Google server's gets `base_url` (the API root to build the client with; `[calendar]` also
    `tasks_base_url`); `[notion]` gets `base_url` (for `Client(base_url=...)`); `[twilio]` gets `base_url` (set it
    as both `client.api.base_url` and `client.lookups.base_url`), `account_sid`, `from_number`, `numbers` and
    `messaging_service_sid`.

    A state folder that cannot be used is a `StoreUnavailable` naming it (core's commands print it in one line)."""
    from filelock import FileLock, Timeout

    state = settings.home / "sandbox"
    state_folder(state)
    world = settings.model_copy(update={"home": state / WORLD, "credential_backend": "file"})
    # A host such as Claude Desktop spawns every server at once, each starting its own emulators on this one state
    # (`aide config claude-desktop --sandbox`): seeding and signing in are done by one process at a time, so the
    # second finds the state seeded instead of seeding it again beside the first.
    lock = FileLock(state / ".start.lock", timeout=120)
    try:
        lock.acquire()
    except Timeout:  # a TimeoutError, so an OSError too: caught first
        raise StoreUnavailable(
            f"Another process has been starting the sandbox in {state} for {lock.timeout:.0f} s.",
            path=str(state),
            hint="Wait for it to finish, or stop it and try again.",
        ) from None
    except OSError as exc:  # a folder this account may not write in
        raise unusable(state, exc.strerror or str(exc), what="state folder") from None
    try:
        handle = start(state, refresh_stale=True)
        sign_in(handle, world)
    finally:
        lock.release()
    _RUNNING.append(handle)
    sys.stderr.write(f"sandbox: emulators on {handle.base_url} (state in {state})\n")
    twilio = {key: value for key, value in handle.twilio_credentials().items() if key != "auth_token"}
    return world.with_tables(
        gmail=settings.table("gmail") | {"base_url": handle.urls["gmail"]},
        calendar=settings.table("calendar")
        | {"base_url": handle.urls["calendar"], "tasks_base_url": handle.urls["tasks"]},
        notion=settings.table("notion") | {"base_url": handle.urls["notion"]},
        twilio=settings.table("twilio") | {"base_url": handle.urls["twilio"]} | twilio,
    )


def sign_in(handle: SandboxHandle, world: AideSettings) -> None:
    """Put the sandbox's secrets in `world`'s credential store, as the sign-in commands would, each as the account
    `default` of the configured user: the first seeded Google account (`{"type": "authorized_user", ...}`), the
    first Notion workspace (`{"type": "internal_integration", "token", "workspace"}`) and the Twilio account
    (`{"type": "api", "account_sid", "auth_token"}`). Done at every start: the emulators' grants are re-seeded with
    the state, so the stored tokens follow them."""
    from aide_core.accounts import Account, AccountStore
    from aide_google.accounts import AccountStore as GoogleAccounts
    from aide_google.accounts import GoogleAccount

    user: dict[str, Any] = handle.authorized_user()
    email = user.pop("account")
    GoogleAccounts.lazy(world).save(GoogleAccount(ACCOUNT, {"type": "authorized_user", "email": email, **user}))
    notion = {"type": "internal_integration", "token": handle.notion_token(), "workspace": "Rivera Home"}
    AccountStore.lazy(world, service="notion", listed=("type", "workspace")).save(Account(ACCOUNT, notion))
    sid, token = (handle.twilio_credentials()[key] for key in ("account_sid", "auth_token"))
    twilio = {"type": "api", "account_sid": sid, "auth_token": token}
    AccountStore.lazy(world, service="twilio", listed=("type", "account_sid")).save(Account(ACCOUNT, twilio))
