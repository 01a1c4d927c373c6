"""`aide-twilio`: SMS for an assistant, through Twilio.

One concern a module: the declaration, policies and shared helpers `app.py`, settings `settings.py`, state
`state.py`, the API `client.py`, numbers `numbers.py`, segments `segments.py`, quiet hours `quiet.py`, the inbox
`inbox.py`, sending `sending.py`, the read tools `tools.py`, the output models `models.py`, the webhooks
`webhooks.py` and the inbound handler's interface `inbound.py`. Sends go through the
side-effect guard; inbound bodies come back fenced as untrusted content.
"""

from __future__ import annotations

from typing import Any

from aide_core.identity import DEFAULT_IDENTITY
from aide_twilio import sending, tools, webhooks
from aide_twilio.app import spec

__all__ = ["main", "sending", "spec", "tools", "webhooks"]


@spec.configure_check
def _signed_in(runtime: Any) -> str | None:
    from aide_twilio.state import stored_accounts

    config = runtime.config
    names = {account.name for account in stored_accounts(runtime, DEFAULT_IDENTITY).listed()}
    # In parentheses: `aide doctor` wraps this column, and a line holding " twilio " alone would read as a second row
    # for the server (core's test of the table counts them).
    return None if config.account in names else "not signed in (aide auth twilio)"


@spec.reachability_check
def _reachable(runtime: Any) -> str:
    """One authenticated read with the configured user's account (the newest message)."""
    from aide_twilio.state import TwilioState

    state = TwilioState(runtime)
    if state.account(DEFAULT_IDENTITY) is None:
        return "not checked"
    try:
        state.client().list(limit=1)
        return f"ok ({state.client().account_sid})"
    finally:
        state.close()


def main() -> int:
    from aide_core.launch import run_spec

    return run_spec(spec)
