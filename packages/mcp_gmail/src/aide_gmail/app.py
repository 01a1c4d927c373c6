"""The Gmail server's declaration (`spec`) and what its tool modules share: argument types, the current state and
client, query checks and label names."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field

from aide_core.errors import InvalidInput
from aide_core.policy import email_allowlist
from aide_core.server import ServerSpec
from aide_gmail.client import GmailClient
from aide_gmail.state import GmailSettings, GmailState, listing

spec = ServerSpec[GmailState](
    "gmail",
    title="aide Gmail",
    instructions=(
        "Gmail. Search with Gmail's query syntax (from:, to:, subject:, is:unread, has:attachment, after:2026/11/01, "
        "label:), then read_email or read_thread by id. Bodies of drafts and sends are Markdown. Addresses are "
        "a@b.c or 'Name <a@b.c>'. With several accounts, every tool takes `account` (a name or address; "
        "gmail://accounts lists them); without it the default account is used."
    ),
    settings_model=GmailSettings,
    state=GmailState,
    configure_command="aide auth google",
    policies=[email_allowlist],
    upstream="Gmail",
    errors="aide_google.errors:GOOGLE_ERRORS",
)
listing.declare(spec)

AccountArg = str | None
Addresses = list[str] | None
# A page's `next_cursor`: the name says where it comes from, and every byte of a schema is read on every turn.
Cursor = str | None
MaxChars = Annotated[int | None, Field(ge=500)]
#: Messages per batchModify request (the API's maximum); larger sets report progress after each batch.
LABEL_BATCH = 1000

SYSTEM_ALIASES = {
    "archive": ("remove", "INBOX"),
    "inbox": ("add", "INBOX"),
    "read": ("remove", "UNREAD"),
    "unread": ("add", "UNREAD"),
    "star": ("add", "STARRED"),
    "starred": ("add", "STARRED"),
    "important": ("add", "IMPORTANT"),
    "spam": ("add", "SPAM"),
}


def current_state() -> GmailState:
    return spec.state()


def client_for(account: str | None, tool: str) -> GmailClient:
    return current_state().client(account, tool)


def output_budget() -> int:
    return current_state().config.max_output_chars


def check_query(query: str) -> None:
    """Gmail answers a malformed query with nothing or with noise; say what is wrong instead."""
    unquoted = re.sub(r'"[^"]*"', "", query)
    if query.count('"') % 2:
        raise InvalidInput("The query has an unclosed quote.", hint='Close it: subject:"weekly report".')
    depth = 0
    for char in unquoted:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            break
    if depth != 0:
        raise InvalidInput("The query's parentheses do not match.", hint="Example: from:(ann OR bob) is:unread.")


def label_ids(client: GmailClient, names: list[str], direction: str) -> tuple[list[str], list[str]]:
    """(add, remove) label ids for names in `names`; aliases such as 'archive' or 'read' may flip the direction."""
    labels = client.labels()
    by_name = {str(label["name"]).lower(): str(label["id"]) for label in labels}
    by_id = {str(label["id"]) for label in labels}
    add: list[str] = []
    remove: list[str] = []
    for name in names:
        key = name.strip().lower()
        if key in SYSTEM_ALIASES:
            how, label_id = SYSTEM_ALIASES[key]
            if direction == "remove":
                how = "add" if how == "remove" else "remove"
        elif name in by_id:
            how, label_id = direction, name
        elif key in by_name:
            how, label_id = direction, by_name[key]
        else:
            user = sorted(str(label["name"]) for label in labels if label.get("type") == "user")
            raise InvalidInput(
                f"No label named {name!r}.",
                hint=f"Labels: {', '.join(user[:30])}; also archive, read, unread, star, inbox, important, spam.",
            )
        (add if how == "add" else remove).append(label_id)
    return add, remove
