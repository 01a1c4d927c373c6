"""`aide-gmail`: Gmail for an assistant, across several Google accounts.

Kept thin, one concern a module: the declaration and shared helpers `app.py`, the default tier `tools.py`, the
extended tier `extended.py`, outgoing mail `outgoing.py` and `compose.py`, reading `reading.py`, `message.py` and
`text.py`, the API `client.py`, accounts and settings `state.py`, the levels and what each tool needs `scopes.py`,
the output models `models.py`. Sends, replies, sent drafts, trash and filter changes go through the side-effect
guard; mail bodies come back fenced as untrusted content.
"""

from __future__ import annotations

import json
from typing import Any

from aide_gmail import extended, tools
from aide_gmail.app import client_for, current_state, spec
from aide_gmail.models import Account
from aide_gmail.outgoing import attachment_bytes
from aide_gmail.scopes import GMAIL
from aide_gmail.state import GmailState

__all__ = ["extended", "main", "spec", "tools"]

spec.prompts_from("aide_gmail")  # prompts/*.md: triage_inbox, draft_reply (slash commands in hosts)


@spec.resource("gmail://accounts", name="accounts", description="The signed-in accounts and their scopes.")
def accounts() -> str:
    found = [
        Account(name=a.name, email=a.email, level=GMAIL.level(a.level), scopes=a.scopes).model_dump()
        for a in current_state().accounts()
    ]
    return json.dumps({"default": current_state().config.account, "accounts": found}, indent=1)


@spec.resource(
    "gmail://{account}/attachments/{message_id}/{attachment_id}",
    name="attachment",
    description="An attachment's content.",
    mime_type="application/octet-stream",
)
def attachment(account: str, message_id: str, attachment_id: str) -> bytes:
    client = client_for(account, "get_attachment")
    return attachment_bytes(client, client.get_message(message_id), attachment_id)


@spec.configure_check
def _signed_in(runtime: Any) -> str | None:
    from aide_gmail.state import listed_accounts

    return None if listed_accounts(runtime) else "aide auth google"


@spec.reachability_check
def _reachable(runtime: Any) -> str:
    state = GmailState(runtime)
    if not state.accounts():
        return "not checked"
    try:
        client = state.client(None, "read_email")
        return f"ok ({client.email()})"
    finally:
        state.close()


def main() -> int:
    from aide_core.launch import run_spec

    return run_spec(spec)
