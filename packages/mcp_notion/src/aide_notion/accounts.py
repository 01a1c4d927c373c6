"""Which Notion workspaces the caller may use: one integration token per named account, in the credential store.

A minimal reader until core's generic account store lands: the secret of account NAME is the credential
`notion.NAME` for the configured user and `notion@USER.NAME` for another user on a shared server; its value is JSON
`{"token": "..."}` (what `aide auth notion` writes) or the bare token. The credential `notion.token` (what
`aide serve --sandbox` stores today) counts as the configured user's account `default` when there is no
`notion.default`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aide_core.errors import InvalidInput, NotConfigured
from aide_core.identity import DEFAULT_IDENTITY, current_user
from aide_core.settings import AideSettings

SERVICE = "notion"
LEGACY = "notion.token"
COMMAND = "aide auth notion"


@dataclass(frozen=True)
class NotionAccount:
    name: str
    token: str


def secret_name(account: str, user: str | None) -> str:
    """The credential name of `account` for `user` (None or the configured user: the short form)."""
    if user is None or user == DEFAULT_IDENTITY:
        return f"{SERVICE}.{account}"
    return f"{SERVICE}@{user}.{account}"


def parse_secret(value: str) -> str:
    """The token in a stored secret (JSON with `token`, or the bare token)."""
    text = value.strip()
    if text.startswith("{"):
        data: Any = json.loads(text)
        if isinstance(data, dict) and isinstance(data.get("token"), str):
            return str(data["token"])  # pyright: ignore[reportUnknownArgumentType]
        raise ValueError("a Notion account secret without a token")
    return text


def listed(names: list[str], user: str | None) -> list[str]:
    """The account names `user` has among the credential `names`."""
    prefix = secret_name("", user)
    found = sorted(name[len(prefix) :] for name in names if name.startswith(prefix) and len(name) > len(prefix))
    configured = user is None or user == DEFAULT_IDENTITY
    if configured and LEGACY in names and "default" not in found:
        found = sorted({*found, "default"} - {"token"})
    return [name for name in found if name != "token" or not configured]


def resolve(settings: AideSettings, account: str | None, default: str) -> NotionAccount:
    """The caller's account named `account` (or the default), with its token; `NotConfigured` when there is none."""
    from aide_core.credentials import open_credentials

    store = open_credentials(settings)
    user = current_user()
    names = listed(store.names(), user)
    if not names:
        raise NotConfigured("Notion", COMMAND, reason="has no signed-in workspace")
    wanted = account or (default if default in names else names[0] if len(names) == 1 else default)
    if wanted not in names:
        raise InvalidInput(f"No Notion account named {wanted!r}.", hint=f"Accounts: {', '.join(names)}.")
    value = store.get(secret_name(wanted, user))
    if value is None and wanted == "default" and user == DEFAULT_IDENTITY:
        value = store.get(LEGACY)
    if value is None:
        raise NotConfigured("Notion", COMMAND, reason=f"has no token for the account {wanted!r}")
    return NotionAccount(wanted, parse_secret(value))
