"""`sign_in`: the installed-app OAuth flow (google-auth-oauthlib) with PKCE, on a free loopback port.

google-auth-oauthlib's `InstalledAppFlow.run_local_server` does the work: it binds a loopback server on a free
port, builds the authorization URL (with a PKCE S256 challenge and a random `state`), opens it in the browser,
takes the one redirect, checks `state` and exchanges the code. aide adds `access_type=offline`, asks for consent
again when it holds no refresh token for the account (Google only returns one on consent), keeps the refresh token
it already had when Google sends none, and stores the result in the credential store.

The client id and secret come from a client_secret.json (`--client-secrets PATH` or `GOOGLE_CLIENT_SECRETS`) or
from `GOOGLE_CLIENT_ID` and `GOOGLE_CLIENT_SECRET`.
"""

from __future__ import annotations

import json
import os
import webbrowser
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from aide_core.accounts import check_account_name
from aide_core.errors import AideError, ConfigError
from aide_google.accounts import AccountStore, GoogleAccount, key_problem, service_account_credentials
from aide_google.scopes import GoogleApi, default_level, registered_apis, sign_in_levels, sign_in_scopes

GOOGLE_AUTH_URI = "https://accounts.google.com/o/oauth2/auth"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
_BROWSER = "aide-sign-in"


def client_config(path: Path | None = None, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The OAuth client ({"installed": {...}}) from a client_secret.json or the environment."""
    env = os.environ if environ is None else environ
    file = path or (Path(env["GOOGLE_CLIENT_SECRETS"]) if env.get("GOOGLE_CLIENT_SECRETS") else None)
    if file is not None:
        try:
            data: Any = json.loads(file.read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read the OAuth client file ({exc})", source=str(file)) from None
        if not isinstance(data, dict):
            raise ConfigError("not an OAuth client file", source=str(file))
        section = cast(dict[str, Any], data).get("installed") or cast(dict[str, Any], data).get("web")
        if not isinstance(section, dict) or "client_id" not in section:
            raise ConfigError("expected an 'installed' (desktop app) OAuth client", source=str(file))
        return {"installed": dict(cast(dict[str, Any], section))}
    client_id, secret = env.get("GOOGLE_CLIENT_ID"), env.get("GOOGLE_CLIENT_SECRET")
    if not client_id or not secret:
        raise ConfigError(
            "no OAuth client: pass --client-secrets PATH (a desktop-app client_secret.json from the Google Cloud "
            "console), or set GOOGLE_CLIENT_SECRETS, or GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET",
            source="the environment",
        )
    return {
        "installed": {
            "client_id": client_id,
            "client_secret": secret,
            "auth_uri": GOOGLE_AUTH_URI,
            "token_uri": GOOGLE_TOKEN_URI,
            "redirect_uris": ["http://localhost"],
        }
    }


def _loopback(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


class _Opener(webbrowser.BaseBrowser):
    """A "browser" that hands the authorization URL to a callable (tests, or printing it for a remote shell)."""

    def __init__(self, open_url: Callable[[str], None]) -> None:
        super().__init__(_BROWSER)
        self._open_url = open_url

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        self._open_url(url)
        return True


def level_scopes(level: str, apis: Iterable[GoogleApi] | None = None) -> list[str]:
    """The scopes a sign-in at `level` asks for, from the installed Google servers' APIs (default: the registered)."""
    known = registered_apis() if apis is None else list(apis)
    scopes = list(sign_in_scopes(level, known)) if level else []
    if not scopes:
        levels = ", ".join(sign_in_levels(known)) or "none: no Google server is installed"
        raise ConfigError(f"no installed Google server knows the level {level!r} (levels: {levels})")
    return scopes


def sign_in(
    accounts: AccountStore,
    *,
    account: str = "default",
    level: str | None = None,
    config: dict[str, Any],
    open_url: Callable[[str], None] | None = None,
    login_hint: str | None = None,
    timeout_seconds: float | None = 300,
    apis: Iterable[GoogleApi] | None = None,
) -> GoogleAccount:
    """Run the flow and store the account; returns it. `open_url` replaces the system browser (it is called with
    the authorization URL while the loopback server waits for the redirect)."""
    from google_auth_oauthlib.flow import InstalledAppFlow  # pyright: ignore[reportMissingTypeStubs]

    check_account_name(account)
    installed = cast(dict[str, Any], config["installed"])
    if _loopback(str(installed.get("token_uri", ""))):
        # a local OAuth endpoint (aide's sandbox) speaks plain HTTP; oauthlib refuses that unless told
        os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
    previous = accounts.get(account)
    known = registered_apis() if apis is None else list(apis)
    level = level or default_level(known) or ""
    scopes = level_scopes(level, known)
    flow: Any = InstalledAppFlow.from_client_config(config, scopes=scopes)  # pyright: ignore[reportUnknownMemberType]
    extra: dict[str, str] = {"access_type": "offline", "include_granted_scopes": "true"}
    if previous is None or not previous.has_refresh_token:
        extra["prompt"] = "consent"
    if login_hint:
        extra["login_hint"] = login_hint
    browser = None
    if open_url is not None:
        webbrowser.register(_BROWSER, None, _Opener(open_url))
        browser = _BROWSER
    try:
        credentials: Any = flow.run_local_server(
            host="127.0.0.1",
            port=0,
            open_browser=True,
            browser=browser,
            # printed by the flow after opening: when `open_url` shows the URL itself, saying it again misleads
            authorization_prompt_message=(
                None if open_url is not None else "Opening the browser to sign in; if it does not open, visit:\n{url}"
            ),
            success_message="aide is signed in. You can close this window.",
            timeout_seconds=timeout_seconds,
            **extra,
        )
    finally:
        flow.oauth2session.close()
    refresh_token = credentials.refresh_token or (previous.data.get("refresh_token") if previous else None)
    granted = list(credentials.granted_scopes or credentials.scopes or scopes)
    data: dict[str, Any] = {
        "type": "authorized_user",
        "token": credentials.token,
        "refresh_token": refresh_token,
        "token_uri": installed.get("token_uri", GOOGLE_TOKEN_URI),
        "client_id": installed["client_id"],
        "client_secret": installed.get("client_secret"),
        "scopes": granted,
        "expiry": credentials.expiry.isoformat() + "+00:00" if credentials.expiry else None,
        "level": level,
        "email": login_hint or (previous.email if previous else None),
    }
    stored = GoogleAccount(account, data)
    accounts.save(stored)
    return stored


def add_service_account(
    accounts: AccountStore,
    *,
    account: str,
    key_file: Path,
    subject: str,
    level: str | None = None,
    check: bool = False,
    warn: Callable[[str], None] | None = None,
    apis: Iterable[GoogleApi] | None = None,
) -> GoogleAccount:
    """Store a service account key to act, by domain-wide delegation, as `subject`. With `check`, tokens are minted
    first (see `check_service_account`): a key whose delegation is refused for every API is not stored (the
    `AideError` raised says what to fix); one refused for some APIs is stored, and `warn` is told what to fix."""
    check_account_name(account)
    known = registered_apis() if apis is None else list(apis)
    level = level or default_level(known) or ""
    try:
        info: Any = json.loads(key_file.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the service account key ({exc})", source=str(key_file)) from None
    if not isinstance(info, dict) or cast(dict[str, Any], info).get("type") != "service_account":
        raise ConfigError("not a service account key file", source=str(key_file))
    if (problem := key_problem(cast(dict[str, Any], info))) is not None:
        raise ConfigError(
            f"the service account key {problem}: download a new JSON key from the Google Cloud console",
            source=str(key_file),
        )
    if "@" not in subject:
        raise ConfigError(f"{subject!r} is not an address: --subject is the user the service account acts as")
    data: dict[str, Any] = {
        "type": "service_account",
        "info": info,
        "subject": subject,
        "scopes": level_scopes(level, known),
        "level": level,
        "email": subject,
    }
    stored = GoogleAccount(account, data)
    try:  # the key is parsed even unchecked: --no-check skips the network, not this
        service_account_credentials(data)
    except ValueError as exc:
        raise ConfigError(f"the service account key cannot be used ({exc})", source=str(key_file)) from None
    if check:
        warn = warn or (lambda _: None)
        for warning in check_service_account(stored, source=str(key_file), apis=known):
            warn(warning)
    accounts.save(stored)
    return stored


def check_service_account(
    account: GoogleAccount, *, source: str = "the key", apis: Iterable[GoogleApi] | None = None
) -> list[str]:
    """Mint a token for a service account as its subject, one API at a time (as the servers do): when Google
    refuses every API, its refusal becomes the `AideError` that says what to fix; when it refuses only some, what
    to fix for those comes back as warnings (the others work). An unreachable token endpoint is a `ConfigError`."""
    import google_auth_httplib2  # pyright: ignore[reportMissingTypeStubs]
    import httplib2  # pyright: ignore[reportMissingTypeStubs]

    from aide_google.accounts import refresh_failure

    families = {
        api.name: found
        for api in (registered_apis() if apis is None else apis)
        if (found := [s for s in account.scopes if s.startswith(api.prefixes)])
    }
    rest = [s for s in account.scopes if not any(s in found for found in families.values())]
    if rest or not families:
        families = {"Google": account.scopes}
    refusals: list[AideError] = []
    http: Any = httplib2.Http(timeout=30)  # pyright: ignore[reportUnknownMemberType]
    try:
        for api, scopes in families.items():
            credentials: Any = service_account_credentials(account.data, scopes)
            try:
                credentials.refresh(google_auth_httplib2.Request(http))  # pyright: ignore[reportUnknownMemberType]
            except Exception as exc:
                refused = refresh_failure(exc, api, account, scopes)
                if refused is None:
                    uri = cast(dict[str, Any], account.data.get("info") or {}).get("token_uri")
                    raise ConfigError(
                        f"cannot reach the token endpoint {uri} to check the key ({type(exc).__name__}: {exc}); "
                        "pass --no-check to store it unchecked",
                        source=source,
                    ) from None
                refusals.append(refused)
    finally:
        http.close()
    if len(refusals) == len(families):
        raise refusals[0]
    return [str(refused) for refused in refusals]
