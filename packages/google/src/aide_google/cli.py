"""`aide auth google`: sign a Google account in (or add a service account), list and remove accounts.

Accounts are per person: `--user NAME` (a name of `[http.users]`, or the subject of their access token) signs in,
lists or removes that person's accounts; without it, the configured user's (whom stdio and the main token act for).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from aide_core.cli.common import console, console_err, settings_or_exit
from aide_core.credentials import open_credentials
from aide_core.errors import AideError, ConfigError
from aide_core.identity import DEFAULT_IDENTITY

app = typer.Typer(name="auth", help="Sign in to the services aide talks to.", no_args_is_help=True)

User = Annotated[
    str,
    typer.Option(
        "--user", help="Whose accounts: a user of \\[http.users] (default: the configured user).", show_default=False
    ),
]


def _check_account(account: str) -> None:
    """A name that cannot be an account is a usage mistake (exit 2), as with any bad option."""
    from aide_core.accounts import check_account_name

    try:
        check_account_name(account)
    except AideError as exc:
        raise typer.BadParameter(str(exc), param_hint="--account") from None


def _fail(command: str, message: str, code: int) -> NoReturn:
    console_err.print(f"aide auth {command}: {message}", markup=False, highlight=False)
    raise typer.Exit(code)


@contextmanager
def _home(command: str, home: Path) -> Generator[None]:
    """A home aide cannot use is refused by core as the settings are read (`aide_core.settings.check_home`); what
    can still fail under it (a folder made unwritable since) is one line saying so, not a traceback."""
    try:
        yield
    # The file system's own errors only: a network failure (requests' ConnectionError) or a port clash is an OSError
    # too, and is not the home's fault.
    except (PermissionError, NotADirectoryError, IsADirectoryError, FileNotFoundError, FileExistsError) as exc:
        reason = exc.strerror or str(exc)
        _fail(command, f"cannot use the aide home {home} ({reason}); set AIDE_HOME to a folder aide can write", 1)


def _opener(no_browser: bool) -> Callable[[str], None] | None:
    """None to let the flow open the system browser; else what prints the URL (asked to, or no browser here)."""
    import webbrowser

    if not no_browser:
        try:
            webbrowser.get()
            return None
        except webbrowser.Error:
            lead = "No browser to open here; open this URL to sign in:"
    else:
        lead = "Open this URL to sign in:"

    def show(url: str) -> None:
        console.print(f"{lead}\n{url}", highlight=False)

    return show


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

    _check_account(account)
    apis = registered_apis()
    level = scopes or default_level(apis)
    if level is None or level not in sign_in_levels(apis):
        known = ", ".join(sign_in_levels(apis)) or "none: no Google server is installed"
        raise typer.BadParameter(f"{level!r} is not a level of the installed Google servers ({known})")
    settings = settings_or_exit()
    with _home("google", settings.home):
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
            _fail("google", str(exc), 1)
    else:
        config = client_config(client_secrets)
        try:
            with _home("google", settings.home):
                stored = sign_in(
                    accounts,
                    account=account,
                    level=level,
                    config=config,
                    open_url=_opener(no_browser),
                    login_hint=login_hint,
                    apis=apis,
                )
        except OSError as exc:  # not the home's (see `_home`): the token exchange's network, or the redirect's port
            reason = exc.strerror or str(exc) or type(exc).__name__
            _fail("google", f"the sign-in could not finish ({reason}); nothing was stored: check the network and "
                  "try again", 1)  # fmt: skip
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
    from aide_google.accounts import AccountStore, sign_in_command

    settings = settings_or_exit()
    with _home("list", settings.home):
        found = AccountStore(open_credentials(settings), user=user).all()
    if not found:
        whose = "" if user == DEFAULT_IDENTITY else f" for user '{user}'"
        console.print(f"No Google accounts signed in{whose}; sign one in with: {sign_in_command(user=user)}")
    for stored in found:
        console.print(f"{stored.name}\t{stored.email or '-'}\t{stored.level or '-'}\t{' '.join(stored.scopes)}")


@app.command("logout")
def logout(
    account: Annotated[str, typer.Option("--account", help="Which account to forget (see aide auth list).")] = (
        "default"
    ),
    user: User = DEFAULT_IDENTITY,
) -> None:
    """Forget a Google account's tokens."""
    from aide_google.accounts import AccountStore

    _check_account(account)
    settings = settings_or_exit()
    whose = "" if user == DEFAULT_IDENTITY else f" of user '{user}'"
    with _home("logout", settings.home):
        accounts = AccountStore(open_credentials(settings), user=user)
        names = accounts.names()
        if account not in names:
            known = ", ".join(names) or "none"
            _fail("logout", f"there is no Google account '{account}'{whose} (accounts: {known})", 1)
        accounts.delete(account)
    console.print(f"Removed account '{account}'{whose}.", highlight=False)
