"""`aide auth twilio`: store a Twilio account (Account SID with an API key and secret, or with the auth token) in
aide's credential store, as an account of the service `twilio` (`aide_core.accounts`).

Secrets are asked for with hidden input (or read from standard input when it is not a terminal), never taken as
command-line options, which shell history and `ps` would show; the settings file holds none. The auth token is
also what Twilio signs webhooks with: without it, inbound texts cannot be checked and are refused.

Accounts are per person: `--user NAME` stores that person's account (a name of `[http.users]`); without it, the
configured user's, which is also the deployment's account its webhooks are checked with.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import typer

from aide_core.cli.common import console, console_err, settings_or_exit
from aide_core.identity import DEFAULT_IDENTITY

__all__ = ["auth"]

_ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
_KEY_SID = re.compile(r"^SK[0-9a-fA-F]{32}$")


def _check(data: dict[str, Any], base_url: str | None) -> None:
    """One cheap authenticated read (the newest message), so a mistyped secret fails now, not at the first text."""
    from aide_core.accounts import Account
    from aide_twilio.client import TwilioClient
    from aide_twilio.state import credentials_of

    client = TwilioClient(credentials_of(Account("check", data)), base_url=base_url)
    try:
        client.list(limit=1)
    finally:
        client.close()


def auth(
    account_sid: Annotated[
        str | None, typer.Option("--account-sid", help="The Account SID (AC…), from the Twilio console.")
    ] = None,
    api_key: Annotated[
        str | None, typer.Option("--api-key", help="An API key's SID (SK…); its secret is asked for.")
    ] = None,
    account: Annotated[str, typer.Option("--account", help="A name for this account.")] = "default",
    user: Annotated[
        str, typer.Option("--user", help="Whose account: a user of [http.users] (default: the configured user).")
    ] = DEFAULT_IDENTITY,
    remove: Annotated[bool, typer.Option("--remove", help="Forget the account instead.")] = False,
    no_check: Annotated[bool, typer.Option("--no-check", help="Store without a test request.")] = False,
) -> None:
    """Store a Twilio account (secrets are prompted for, never passed as options)."""
    from aide_core.accounts import Account, AccountStore
    from aide_core.errors import AideError

    settings = settings_or_exit()
    store = AccountStore.lazy(settings, user, service="twilio", listed=("type", "account_sid"))
    whose = "" if user == DEFAULT_IDENTITY else f" of user '{user}'"
    if remove:
        store.delete(account)
        console.print(f"Removed Twilio account '{account}'{whose}.")
        return
    table = settings.table("twilio")
    sid = (account_sid or str(table.get("account_sid") or "")).strip()
    if not _ACCOUNT_SID.match(sid):
        console_err.print("[red]Give the Account SID: --account-sid AC… (34 characters, from the Twilio console).")
        raise typer.Exit(2)
    data: dict[str, Any] = {"type": "api", "account_sid": sid}
    if api_key:
        if not _KEY_SID.match(api_key.strip()):
            console_err.print("[red]An API key SID starts with SK and has 34 characters.")
            raise typer.Exit(2)
        data |= {"type": "api_key", "api_key": api_key.strip()}
        data["api_secret"] = typer.prompt("API key secret", hide_input=True).strip()
        token = typer.prompt(
            "Auth token, to check inbound webhooks' signatures (Enter to skip)",
            default="",
            hide_input=True,
            show_default=False,
        ).strip()
    else:
        token = typer.prompt("Auth token", hide_input=True).strip()
    if token:
        data["auth_token"] = token
    if not no_check:
        try:
            _check(data, table.get("base_url") if isinstance(table.get("base_url"), str) else None)
        except Exception as exc:
            from aide_core.upstream import from_exception
            from aide_twilio.errors import TWILIO_ERRORS

            error = from_exception("Twilio", exc, TWILIO_ERRORS) or exc
            console_err.print(f"[red]Twilio did not accept these credentials: {error}")
            raise typer.Exit(1) from None
    try:
        store.save(Account(account, data))
    except AideError as exc:
        console_err.print(f"[red]{exc}")
        raise typer.Exit(2) from None
    how = "an API key" if api_key else "the auth token"
    console.print(f"Stored Twilio account '{account}'{whose} ({sid}, with {how}); restart running servers.")
