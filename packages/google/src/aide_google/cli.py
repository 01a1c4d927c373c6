"""`aide auth google`: sign a Google account in (or add a service account), list and remove accounts.

Accounts are per person: `--user NAME` (a name of `[http.users]`, or the subject of their access token) signs in,
lists or removes that person's accounts; without it, the configured user's (whom stdio and the main token act for).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aide_core.cli.common import console, console_err, settings_or_exit
from aide_core.credentials import open_credentials
from aide_core.errors import AideError, ConfigError
from aide_core.identity import DEFAULT_IDENTITY

app = typer.Typer(name="auth", help="Sign in to the services aide talks to.", no_args_is_help=True)

User = Annotated[
    str,
    typer.Option("--user", help="Whose accounts: a user of [http.users] (default: the configured user)."),
]


@app.command("google")
def google(
    account: Annotated[str, typer.Option("--account", help="A name for this account, e.g. work or personal.")] = (
        "default"
    ),
    scopes: Annotated[
        str | None,
        typer.Option("--scopes", help="What aide may do: a level of the installed Google servers (readonly ... full)."),
    ] = None,
    client_secrets: Annotated[
        Path | None, typer.Option("--client-secrets", help="A desktop-app client_secret.json.")
    ] = None,
    login_hint: Annotated[str | None, typer.Option("--email", help="The address to sign in as.")] = None,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Only print the URL to open.")] = False,
    service_account: Annotated[
        Path | None, typer.Option("--service-account", help="A service account key file (domain-wide delegation).")
    ] = None,
    subject: Annotated[str | None, typer.Option("--subject", help="With --service-account: the user to act as.")] = (
        None
    ),
    no_check: Annotated[
        bool, typer.Option("--no-check", help="With --service-account: store the key without minting a token.")
    ] = False,
    user: User = DEFAULT_IDENTITY,
) -> None:
    """Sign a Google account in for the installed Google servers; its tokens are kept encrypted and refreshed."""
    from aide_google.accounts import AccountStore
    from aide_google.scopes import default_level, registered_apis, sign_in_levels
    from aide_google.signin import add_service_account, client_config, sign_in

    apis = registered_apis()
    level = scopes or default_level(apis)
    if level is None or level not in sign_in_levels(apis):
        known = ", ".join(sign_in_levels(apis)) or "none: no Google server is installed"
        raise typer.BadParameter(f"{level!r} is not a level of the installed Google servers ({known})")
    settings = settings_or_exit()
    accounts = AccountStore(open_credentials(settings), user=user)
    if service_account is not None:
        if not subject:
            raise typer.BadParameter("--service-account needs --subject (the user to act as)")
        try:
            stored = add_service_account(
                accounts,
                account=account,
                key_file=service_account,
                subject=subject,
                level=level,
                check=not no_check,
                warn=lambda text: console_err.print(f"warning: {text}", markup=False, highlight=False),
                apis=apis,
            )
        except AideError as exc:
            if isinstance(exc, ConfigError):
                raise
            console_err.print(f"aide auth google: {exc}", markup=False, highlight=False)
            raise typer.Exit(1) from None
    else:

        def show(url: str) -> None:
            console.print(f"Open this URL to sign in:\n{url}", highlight=False)

        opener = show if no_browser else None
        stored = sign_in(
            accounts,
            account=account,
            level=level,
            config=client_config(client_secrets),
            open_url=opener,
            login_hint=login_hint,
            apis=apis,
        )
    whose = "" if user == DEFAULT_IDENTITY else f" for user '{user}'"
    if stored.kind == "service_account":
        robot = stored.data["info"].get("client_email", "the service account")
        console.print(
            f"Registered account '{stored.name}'{whose}: {robot} acting as {stored.email} at level {stored.level}; "
            "restart running servers."
        )
        return
    who = f" ({stored.email})" if stored.email else ""
    console.print(f"Signed in account '{stored.name}'{who}{whose} at level {stored.level}; restart running servers.")


@app.command("list")
def list_accounts(user: User = DEFAULT_IDENTITY) -> None:
    """The signed-in Google accounts and their scopes."""
    from aide_google.accounts import AccountStore

    accounts = AccountStore(open_credentials(settings_or_exit()), user=user)
    for stored in accounts.all():
        console.print(f"{stored.name}\t{stored.email or '-'}\t{stored.level or '-'}\t{' '.join(stored.scopes)}")


@app.command("logout")
def logout(account: Annotated[str, typer.Option("--account")] = "default", user: User = DEFAULT_IDENTITY) -> None:
    """Forget a Google account's tokens."""
    from aide_google.accounts import AccountStore

    AccountStore(open_credentials(settings_or_exit()), user=user).delete(account)
    whose = "" if user == DEFAULT_IDENTITY else f" of user '{user}'"
    console.print(f"Removed account '{account}'{whose}.")
