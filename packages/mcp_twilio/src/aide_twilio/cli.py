"""`aide auth twilio`: store a Twilio account (Account SID with an API key and secret, or with the auth token) in
aide's credential store, as an account of the service `twilio` (`aide_core.accounts`).

Secrets are asked for with hidden input at a terminal, else read from standard input, one a line (`pass show twilio |
aide auth twilio ...`); never taken as command-line options, which shell history and `ps` would show; the settings
file holds none. Without a terminal and with nothing piped, the command says how to pipe them, and exits 2. The auth
token is also what Twilio signs webhooks with: without it, inbound texts cannot be checked and are refused.

Accounts are per person: `--user NAME` stores that person's account (a name of `[http.users]`); without it, the
configured user's, which is also the deployment's account its webhooks are checked with.
"""

from __future__ import annotations

import re
import sys
from typing import Annotated, Any, NoReturn

import typer

from aide_core.cli.common import console, console_err, settings_or_exit
from aide_core.identity import DEFAULT_IDENTITY

__all__ = ["auth"]

_ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
_KEY_SID = re.compile(r"^SK[0-9a-fA-F]{32}$")
_AUTH_TOKEN = re.compile(r"^[0-9a-fA-F]{32}$")


def _fail(message: str, code: int) -> NoReturn:
    console_err.print(f"aide auth twilio: {message}", markup=False, highlight=False)
    raise typer.Exit(code)


def _secret(label: str, *, optional: bool = False) -> str:
    """A secret typed at a terminal without echo; without a terminal, the next line of standard input (getpass would
    warn and echo, and a prompt nobody can answer waits or aborts). Nothing piped ends the command with how to."""
    if sys.stdin.isatty():
        if optional:
            return str(typer.prompt(label, default="", hide_input=True, show_default=False)).strip()
        return str(typer.prompt(label, hide_input=True)).strip()
    line = sys.stdin.readline().strip()
    if not line and not optional:
        _fail(
            f"no {label.lower()} on standard input and no terminal to ask at: pipe it, e.g. "
            "`pass show twilio | aide auth twilio --account-sid AC…`",
            2,
        )
    if any(character.isspace() for character in line):
        # No Twilio secret holds a space: this is another line of what was piped ("login: ann@example.com").
        _fail(f"the line read as the {label.split(',')[0].lower()} has spaces in it, so it is not one", 2)
    return line


def _unreachable(exc: BaseException) -> bool:
    """Whether the check never reached Twilio (no connection, a timeout), as opposed to Twilio refusing."""
    import requests

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, (requests.ConnectionError, requests.Timeout)):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


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
        str,
        typer.Option(
            "--user", help="Whose account: a user of \\[http.users] (default: the configured user).", show_default=False
        ),
    ] = DEFAULT_IDENTITY,
    remove: Annotated[bool, typer.Option("--remove", help="Forget the account instead.")] = False,
    no_check: Annotated[bool, typer.Option("--no-check", help="Store without a test request.")] = False,
) -> None:
    """Store a Twilio account (secrets are prompted for, never passed as options)."""
    from aide_core.accounts import Account, AccountStore, check_account_name
    from aide_core.errors import AideError

    settings = settings_or_exit()
    try:
        check_account_name(account)
    except AideError as exc:
        _fail(str(exc), 2)
    store = AccountStore.lazy(settings, user, service="twilio", listed=("type", "account_sid"))
    whose = "" if user == DEFAULT_IDENTITY else f" of user '{user}'"
    if remove:
        try:
            said = store.remove(account, "Twilio")
        except AideError as exc:  # not there (naming the ones there are), or a store that can't be opened
            _fail(str(exc), 1)
        console.print(said, highlight=False)
        return
    table = settings.table("twilio")
    sid = (account_sid or str(table.get("account_sid") or "")).strip()
    if not _ACCOUNT_SID.match(sid):
        _fail("give the Account SID: --account-sid AC… (34 characters, from the Twilio console)", 2)
    data: dict[str, Any] = {"type": "api", "account_sid": sid}
    if api_key:
        if not _KEY_SID.match(api_key.strip()):
            _fail("an API key SID starts with SK and has 34 characters", 2)
        data |= {"type": "api_key", "api_key": api_key.strip()}
        data["api_secret"] = _secret("API key secret")
        token = _secret("Auth token, to check inbound webhooks' signatures (Enter to skip)", optional=True)
        if token and not _AUTH_TOKEN.match(token):  # nothing checks it here (the API key signs in), so its form
            _fail("the auth token after the API key secret must be 32 hexadecimal characters (or left out)", 2)
    else:
        token = _secret("Auth token")
    if token:
        data["auth_token"] = token
    if not no_check:
        try:
            _check(data, table.get("base_url") if isinstance(table.get("base_url"), str) else None)
        except Exception as exc:
            from aide_core.upstream import from_exception
            from aide_twilio.errors import TWILIO_ERRORS

            if _unreachable(exc):
                _fail(
                    f"could not reach Twilio ({type(exc).__name__}); the credentials were not checked and nothing "
                    "was stored: try again when it answers, or pass --no-check",
                    1,
                )
            error = from_exception("Twilio", exc, TWILIO_ERRORS) or exc
            _fail(f"Twilio did not accept these credentials: {error}", 1)
    try:
        store.save(Account(account, data))
    except (OSError, AideError) as exc:
        _fail(f"cannot store the account ({exc}); check AIDE_HOME ({settings.home})", 1)
    how = "an API key" if api_key else "the auth token"
    console.print(f"Stored Twilio account '{account}'{whose} ({sid}, with {how}); restart running servers.")
