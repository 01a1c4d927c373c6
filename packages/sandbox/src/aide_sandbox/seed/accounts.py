"""The seeded accounts and their fixed tokens (a sandbox has nothing to protect; fixed tokens make the printed
credentials stable across restarts)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Account:
    email: str
    name: str
    access_token: str
    refresh_token: str
    size: str  # "large" (~200 messages) or "small"


ACCOUNTS: tuple[Account, ...] = (
    Account(
        "alex.rivera@example.com",
        "Alex Rivera",
        "ya29.sandbox-alex-rivera-access",
        "1//sandbox-alex-rivera-refresh",
        "large",
    ),
    Account(
        "sam.okafor@example.org",
        "Sam Okafor",
        "ya29.sandbox-sam-okafor-access",
        "1//sandbox-sam-okafor-refresh",
        "small",
    ),
)


def account(email: str | None = None) -> Account:
    """The seeded account `email` (default: the first)."""
    if email is None:
        return ACCOUNTS[0]
    for candidate in ACCOUNTS:
        if candidate.email == email:
            return candidate
    raise KeyError(f"no seeded account {email}; seeded: {', '.join(a.email for a in ACCOUNTS)}")
