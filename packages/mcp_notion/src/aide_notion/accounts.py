"""Which Notion workspaces the caller may use: named accounts of the service `notion` in core's account store
(`aide_core.accounts`), one integration token each, per person.

`aide auth notion [--account NAME] [--user NAME]` stores `{"type": "internal_integration", "token", "workspace"}`
(`aide_notion.cli`); `aide serve --sandbox` stores the seeded workspace the same way, as the account `default`. A
public integration's OAuth sign-in would store `{"type": "oauth", "token", "workspace", ...}` under the same names;
the server only reads `token`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aide_core.accounts import Account, AccountStore, user_option
from aide_core.errors import InvalidInput, NotConfigured
from aide_core.fencing import defang_field
from aide_core.identity import DEFAULT_IDENTITY, current_user
from aide_core.settings import AideSettings

SERVICE = "notion"
#: What the index keeps of each account (nothing secret): the server lists accounts without opening the store.
LISTED = ("type", "workspace")


@dataclass(frozen=True)
class NotionAccount:
    name: str
    token: str
    workspace: str | None = None


def store_for(settings: AideSettings, user: str = DEFAULT_IDENTITY) -> AccountStore[Account]:
    return AccountStore.lazy(settings, user, service=SERVICE, listed=LISTED)


def sign_in_command(user: str | None = None) -> str:
    option = user_option(user)
    return "aide auth notion" + (f" {option}" if option else "")


def listed(settings: AideSettings, user: str | None = None) -> list[Account]:
    """The caller's accounts (names, types, workspaces) from the index, cheaply."""
    return store_for(settings, user or current_user()).listed()


def resolve(settings: AideSettings, account: str | None, default: str) -> NotionAccount:
    """The caller's account named `account` (else the default, else the only one), with its token."""
    user = current_user()
    store = store_for(settings, user)
    names = store.names()
    if not names:
        raise NotConfigured("Notion", sign_in_command(user), reason="has no signed-in workspace")
    wanted = account or (default if default in names or len(names) != 1 else names[0])
    found = store.get(wanted) if wanted in names else None
    if found is None:
        shown = defang_field(wanted)[:40]
        raise InvalidInput(f"No Notion account named {shown!r}.", hint=f"Accounts: {', '.join(sorted(names))}.")
    data: dict[str, Any] = found.data
    token = data.get("token")
    if not isinstance(token, str) or not token:
        raise NotConfigured("Notion", sign_in_command(user), reason=f"has no token for the account {wanted!r}")
    workspace = data.get("workspace")
    return NotionAccount(wanted, token, workspace if isinstance(workspace, str) else None)
