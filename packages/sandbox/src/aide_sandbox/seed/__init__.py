"""Deterministic seed data: the same accounts, tokens and mail on every run (a seeded RNG).

Mail is dated relative to the day the sandbox is seeded (by its clock; `seed.mail.seed_anchor`), so relative
searches such as `newer_than:7d` find the recent seed mail the day someone runs `aide serve --sandbox`; the texts
are the same every day. The fixtures run the sandbox on a pinned clock (`testing.NOW`), so tests always see the
same dates. Calendars, task lists, Notion and the SMS history keep their fixed 2026 dates: the calendar's point is its
recurrences across the October and November 2026 DST changes, which a shift would move off them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aide_sandbox.app import Sandbox


def seed_all(sandbox: Sandbox) -> None:
    from aide_sandbox.google.service_accounts import ServiceAccount
    from aide_sandbox.seed.accounts import ACCOUNTS
    from aide_sandbox.seed.calendar import seed_calendars
    from aide_sandbox.seed.gmail import seed_mailbox
    from aide_sandbox.seed.mail import seed_anchor
    from aide_sandbox.seed.notion import seed_notion
    from aide_sandbox.seed.tasks import seed_tasks
    from aide_sandbox.seed.twilio import seed_twilio

    sandbox.tokens.register_client()
    sandbox.tokens.register_service_account(ServiceAccount.generate())  # a fresh key pair, kept in the state
    with sandbox.db.transaction() as conn:
        for position, account in enumerate(ACCOUNTS):
            conn.execute("INSERT INTO accounts VALUES (?, ?, ?)", (account.email, account.name, position))
    for account in ACCOUNTS:
        sandbox.tokens.seed_grant(account.email, account.access_token, account.refresh_token)
        sandbox.mailboxes.create(account.email)
    anchor = seed_anchor(sandbox.clock())
    with sandbox.db.transaction() as conn:
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('seed_anchor', ?)", (anchor.isoformat(),))
    for account in ACCOUNTS:
        seed_mailbox(sandbox.mailboxes, account, anchor)
    seed_calendars(sandbox.calendars)
    seed_tasks(sandbox.tasks)
    seed_notion(sandbox.notion)
    seed_twilio(sandbox.messaging)
