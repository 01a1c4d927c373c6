"""Deterministic seed data: the same accounts, tokens and mail on every run (a fixed clock and a seeded RNG)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aide_sandbox.app import Sandbox


def seed_all(sandbox: Sandbox) -> None:
    from aide_sandbox.seed.accounts import ACCOUNTS
    from aide_sandbox.seed.calendar import seed_calendars
    from aide_sandbox.seed.gmail import seed_mailbox
    from aide_sandbox.seed.notion import seed_notion
    from aide_sandbox.seed.twilio import seed_twilio

    sandbox.tokens.register_client()
    with sandbox.db.transaction() as conn:
        for position, account in enumerate(ACCOUNTS):
            conn.execute("INSERT INTO accounts VALUES (?, ?, ?)", (account.email, account.name, position))
    for account in ACCOUNTS:
        sandbox.tokens.seed_grant(account.email, account.access_token, account.refresh_token)
        sandbox.mailboxes.create(account.email)
    for account in ACCOUNTS:
        seed_mailbox(sandbox.mailboxes, account)
    seed_calendars(sandbox.calendars)
    seed_notion(sandbox.notion)
    seed_twilio(sandbox.messaging)
