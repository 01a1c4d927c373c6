"""`aide auth notion`: store a Notion internal-integration token as a named account (core's account store).

The token is asked for without echo at a terminal, else read from standard input (`pass show notion | aide auth
notion`); never taken as a command-line argument, where it would land in the shell's history and in `ps`. Without a
terminal and with nothing piped, the command says how to pipe it and exits 2 (getpass would warn, echo and abort). It
is checked with Notion (`users/me`, which also names the workspace) unless `--no-check`; a Notion that cannot be
reached is said as such, not as a refused token.
"""

from __future__ import annotations

import sys
from typing import Annotated, NoReturn

import typer

from aide_core.cli.common import console, console_err, settings_or_exit
from aide_core.identity import DEFAULT_IDENTITY


def _fail(message: str, code: int) -> NoReturn:
    console_err.print(f"aide auth notion: {message}", markup=False, highlight=False)
    raise typer.Exit(code)


def _secret(label: str, example: str) -> str:
    """A secret typed at a terminal without echo; without one, the first line of standard input; with neither, how to
    pipe it (exit 2)."""
    if sys.stdin.isatty():
        return str(typer.prompt(label, hide_input=True)).strip()
    line = sys.stdin.readline().strip()
    if not line:
        _fail(f"no {label.lower()} on standard input and no terminal to ask at: pipe it, e.g. `{example}`", 2)
    return line


def _unreachable(exc: BaseException) -> bool:
    """Whether Notion was never reached (no connection, a timeout), as opposed to Notion refusing."""
    import httpx

    return isinstance(exc, httpx.TransportError) or type(exc).__name__ == "RequestTimeoutError"


def auth(
    account: Annotated[str, typer.Option("--account", help="A name for this workspace, e.g. home or work.")] = (
        "default"
    ),
    user: Annotated[
        str,
        typer.Option(
            "--user",
            help="Whose account: a user named in http.users (default: the configured user).",
            show_default=False,
        ),
    ] = DEFAULT_IDENTITY,
    check: Annotated[bool, typer.Option("--check/--no-check", help="Check the token with Notion first.")] = True,
    remove: Annotated[bool, typer.Option("--remove", help="Forget the account instead.")] = False,
    oauth: Annotated[bool, typer.Option("--oauth", help="Sign in through a public integration's OAuth.")] = False,
    client_id: Annotated[
        str | None, typer.Option("--client-id", envvar="NOTION_OAUTH_CLIENT_ID", help="The public integration's id.")
    ] = None,
    port: Annotated[int, typer.Option("--port", help="Loopback port of the registered redirect URI.")] = 8913,
    no_browser: Annotated[bool, typer.Option("--no-browser", help="Only print the URL to open.")] = False,
) -> None:
    """Store a Notion integration token (read from stdin or a prompt) as an account, or sign in with OAuth."""
    from aide_core.accounts import Account, check_account_name
    from aide_core.errors import AideError
    from aide_notion.accounts import store_for

    settings = settings_or_exit()
    try:
        check_account_name(account)
    except AideError as exc:
        raise typer.BadParameter(str(exc)) from None
    store = store_for(settings, user)
    whose = "" if user == DEFAULT_IDENTITY else f" of user '{user}'"
    if remove:
        try:
            said = store.remove(account, "Notion")
        except AideError as exc:  # not there (naming the ones there are), or a store that can't be opened
            _fail(str(exc), 1)
        console.print(said, highlight=False)
        return
    if oauth:
        data = _oauth(settings, client_id, port, no_browser)
        workspace = data.get("workspace")
    else:
        token = _read_token()
        workspace = _workspace(settings, token) if check else None
        data = {"type": "internal_integration", "token": token} | ({"workspace": workspace} if workspace else {})
    try:
        store.save(Account(account, data))
    except (OSError, AideError) as exc:
        _fail(f"cannot store the account ({exc}); check AIDE_HOME ({settings.home})", 1)
    where = f" (workspace {workspace})" if workspace else ""
    console.print(f"Signed in the Notion account '{account}'{where}{whose}.", highlight=False)


def _oauth(settings: object, client_id: str | None, port: int, no_browser: bool) -> dict[str, object]:
    """The account data a public integration's OAuth sign-in grants (the client secret comes from the environment
    variable NOTION_OAUTH_CLIENT_SECRET or a hidden prompt, never from an argument)."""
    import os
    import webbrowser

    from aide_core.settings import AideSettings, server_settings
    from aide_notion.oauth import SignInFailed, sign_in
    from aide_notion.state import NotionSettings

    assert isinstance(settings, AideSettings)
    if not client_id:
        raise typer.BadParameter("--oauth needs --client-id (or NOTION_OAUTH_CLIENT_ID)")
    secret = os.environ.get("NOTION_OAUTH_CLIENT_SECRET") or _secret(
        "Client secret", f"pass show notion-client | aide auth notion --oauth --client-id {client_id}"
    )
    config = server_settings(settings, "notion", NotionSettings)

    def show(url: str) -> None:
        console.print(f"Open this URL to sign in to Notion:\n{url}", highlight=False, soft_wrap=True)
        if not no_browser:
            webbrowser.open(url)

    try:
        grant = sign_in(client_id, str(secret).strip(), port=port, show=show, api=config.base_url)
    except (SignInFailed, OSError) as exc:
        console.print(f"[red]Notion sign-in failed ({exc}); nothing was stored.", highlight=False)
        raise typer.Exit(1) from None
    except Exception as exc:  # Notion refused the code or the client
        console.print(f"[red]Notion refused the sign-in ({_refusal(exc)}); nothing was stored.", highlight=False)
        raise typer.Exit(1) from None
    return grant.data


def _refusal(exc: Exception) -> str:
    """Notion's error code for a refused token request. notion-client keeps the code only when it is one of the
    API's (else it says `notionhq_client_response_error`), and the token endpoint's own codes (`invalid_grant`,
    `invalid_client`) are not, so the code is read from the error body the client kept."""
    import json

    body = getattr(exc, "body", None)
    try:
        answer: object = json.loads(body) if isinstance(body, str) else None
    except ValueError:
        answer = None
    found = answer.get("code") if isinstance(answer, dict) else None  # pyright: ignore[reportUnknownMemberType]
    if isinstance(found, str) and found:
        return found
    code = getattr(exc, "code", None)
    return str(getattr(code, "value", code) or type(exc).__name__)


def _read_token() -> str:
    token = _secret("Notion integration token", "pass show notion | aide auth notion")
    if not token or any(character.isspace() for character in token):
        _fail("no token given: paste the integration's secret, from notion.so/my-integrations", 2)
    return token


def _workspace(settings: object, token: str) -> str | None:
    """The workspace the token belongs to, from `users/me`; exits when Notion refuses the token."""
    from aide_core.settings import AideSettings, server_settings
    from aide_notion.client import NotionClient
    from aide_notion.state import NotionSettings

    assert isinstance(settings, AideSettings)
    config = server_settings(settings, "notion", NotionSettings)
    client = NotionClient(token, base_url=config.base_url)
    try:
        me = client.me()
    except Exception as exc:
        if _unreachable(exc):
            _fail(
                f"could not reach Notion ({type(exc).__name__}); the token was not checked and nothing was stored: "
                "try again when it answers, or pass --no-check",
                1,
            )
        code = getattr(exc, "code", None)
        error = getattr(code, "value", code) or type(exc).__name__
        console.print(f"[red]Notion did not accept the token ({error}); nothing was stored.", highlight=False)
        raise typer.Exit(1) from None
    finally:
        client.close()
    bot = me.get("bot") or {}
    name = bot.get("workspace_name") if isinstance(bot, dict) else None
    return str(name) if name else None
