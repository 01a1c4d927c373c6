"""Google accounts kept in aide's credential store (encrypted), and credentials that write refreshed tokens back.

One credential per account, named `google.<account>`, holding JSON:

    {"type": "authorized_user", "token", "refresh_token", "token_uri", "client_id", "client_secret", "scopes",
     "expiry", "email", "level"}
    {"type": "service_account", "info": {<the key file>}, "subject": "user@domain", "scopes", "email", "level"}

An OAuth access token lives an hour; google-auth refreshes it on a 401 or when it is past its expiry, and
`stored_credentials` writes the new token (and expiry) back after every refresh, so a restart never starts from a
stale token and nobody is asked to sign in again each hour. A refresh that Google refuses (`invalid_grant`: revoked,
expired or password changed) becomes `NotConfigured` naming the exact command that signs in again.

A service account with domain-wide delegation acts as `subject`; its tokens are minted from the key, not stored,
and a server asks only for its own API's scopes (`stored_credentials(..., scopes=)`), so an admin who delegated
Gmail but not Calendar still gets a working Gmail. When Google refuses the key's assertion, `refresh_failure` says
what to fix: the delegation to authorize in the Admin console (with the client id and the exact scopes), the
subject, or the key.

Which accounts exist, at which level and with which scopes (nothing secret: no token, key or address) is also kept in
`<home>/google/accounts.json`, rewritten whenever an account is saved or deleted. A server lists its tools from it
(`AccountStore.listed`) at start-up without opening the credential store: probing for an OS keyring costs ~170 ms
and decrypting the file backend needs `cryptography`. Calls still read the store itself, which remains the truth and
rewrites the index whenever the two differ.

Accounts belong to a person, the subject a call acts for (`aide_core.identity.current_user`): on a shared HTTP server
each person signs in their own and never sees or uses another's. The configured user (`DEFAULT_IDENTITY`, what stdio
and the main HTTP token act for) keeps the layout above, so what was signed in before is theirs; any other user's
secrets are named `google@<user>.<account>` and their index is `<home>/google/users/<user>/accounts.json` (a user name
that is not safe in a file or secret name is replaced by a digest of it, `user_key`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from aide_core.accounts import Account, index_path, user_option
from aide_core.accounts import AccountStore as BaseAccountStore
from aide_core.credentials import CredentialStore, open_credentials
from aide_core.errors import AideError, NotConfigured, PermissionDenied
from aide_core.identity import DEFAULT_IDENTITY

if TYPE_CHECKING:
    from google.auth.credentials import Credentials as BaseCredentials

    from aide_core.settings import AideSettings

SERVICE = "google"
PREFIX = "google."
#: The non-secret list of the configured user's accounts, relative to the aide home.
INDEX = index_path(SERVICE)
#: The keys of an account's data that the index keeps.
_LISTED = ("type", "level", "scopes")


def sign_in_command(account: str | None = None, level: str | None = None, user: str | None = None) -> str:
    parts = ["aide auth google"]
    if option := user_option(user):
        parts.append(option)
    if account and account != "default":
        parts.append(f"--account {account}")
    if level:
        parts.append(f"--scopes {level}")
    return " ".join(parts)


@dataclass
class GoogleAccount(Account):
    """One signed-in Google account of `user` as stored (the secrets stay in `data`; `__repr__` never shows them)."""

    @property
    def kind(self) -> Literal["authorized_user", "service_account"]:
        return "service_account" if self.data.get("type") == "service_account" else "authorized_user"

    @property
    def scopes(self) -> list[str]:
        return [str(s) for s in cast(list[Any], self.data.get("scopes") or [])]

    @property
    def email(self) -> str | None:
        value = self.data.get("email") or self.data.get("subject")
        return str(value) if value else None

    @property
    def level(self) -> str | None:
        """The level the account was signed in at, as stored (a server reads it with `GoogleApi.level`)."""
        value = self.data.get("level")
        return value if isinstance(value, str) and value else None

    @property
    def has_refresh_token(self) -> bool:
        return bool(self.data.get("refresh_token"))


class AccountStore(BaseAccountStore[GoogleAccount]):
    """One user's Google accounts in a credential store, which is opened on first need (`lazy`) or given
    (`aide_core.accounts`, with Google's listed keys)."""

    def __init__(
        self,
        store: CredentialStore | Callable[[], CredentialStore],
        home: Path | None = None,
        *,
        user: str = DEFAULT_IDENTITY,
    ) -> None:
        super().__init__(store, home, service=SERVICE, user=user, listed=_LISTED, make=GoogleAccount)

    @classmethod
    def lazy(cls, settings: AideSettings, user: str = DEFAULT_IDENTITY, **options: Any) -> AccountStore:
        """`user`'s accounts in the store the settings configure, opened only when a secret is needed."""
        return cls(lambda: open_credentials(settings), settings.home, user=user)

    def update_token(self, name: str, token: str, expiry: datetime | None, refresh_token: str | None) -> None:
        """Write a refreshed token back (read-modify-write, so another field changed meanwhile is kept)."""

        def change(data: dict[str, Any]) -> None:
            data["token"] = token
            data["expiry"] = _iso(expiry)
            if refresh_token:
                data["refresh_token"] = refresh_token

        self.update(name, change)


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.isoformat()


def _naive_utc(text: Any) -> datetime | None:
    """google-auth compares `expiry` with a naive UTC datetime."""
    if not text:
        return None
    moment = datetime.fromisoformat(str(text))
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo is not None else moment


def authorized_user_credentials(
    data: dict[str, Any], on_refresh: Callable[[str, datetime | None, str | None], None] | None = None
) -> BaseCredentials:
    """google-auth user credentials from the stored keys, built directly (not with `from_authorized_user_info`,
    which replaces `token_uri` with Google's), calling `on_refresh(token, expiry, refresh_token)` after each
    refresh."""
    from google.oauth2.credentials import Credentials

    class _Persisting(Credentials):
        def refresh(self, request: Any) -> None:
            super().refresh(request)  # pyright: ignore[reportUnknownMemberType]
            token = cast(str | None, self.token)  # pyright: ignore[reportUnknownMemberType]
            if on_refresh is not None and token:
                expiry = cast(datetime | None, self.expiry)  # pyright: ignore[reportUnknownMemberType]
                refresh_token = cast(str | None, self.refresh_token)  # pyright: ignore[reportUnknownMemberType]
                on_refresh(token, expiry, refresh_token)

    credentials = _Persisting(
        token=data.get("token"),
        refresh_token=data.get("refresh_token"),
        token_uri=data.get("token_uri") or "https://oauth2.googleapis.com/token",
        client_id=data.get("client_id"),
        client_secret=data.get("client_secret"),
        scopes=data.get("scopes"),
    )
    credentials.expiry = _naive_utc(data.get("expiry"))
    return credentials


def service_account_credentials(data: dict[str, Any], scopes: Iterable[str] | None = None) -> BaseCredentials:
    """Credentials that sign a JWT with the key and act as `subject`, asking for `scopes` (default: the account's)."""
    from google.oauth2 import service_account

    info = cast(dict[str, Any], data.get("info") or {})
    wanted = list(scopes) if scopes is not None else data.get("scopes")
    return service_account.Credentials.from_service_account_info(  # pyright: ignore[reportUnknownMemberType]
        info, scopes=wanted, subject=data.get("subject")
    )


#: What google-auth needs of a service account key to sign with it and mint tokens.
KEY_FIELDS = ("client_email", "private_key", "token_uri")


def key_problem(info: object) -> str | None:
    """What makes a service account key unusable, said for a person ("lacks client_email, token_uri"), or None.
    (google-auth names missing fields in set order, which changes from run to run.)"""
    if not isinstance(info, dict) or cast(dict[str, Any], info).get("type") != "service_account":
        return "is not a service account key"
    key = cast(dict[str, Any], info)
    missing = [field for field in KEY_FIELDS if not isinstance(key.get(field), str) or not key[field]]
    return f"lacks {', '.join(missing)}" if missing else None


def api_scopes(account: GoogleAccount, prefixes: tuple[str, ...]) -> list[str]:
    """The account's scopes that start with one of `prefixes` (one API's: e.g. Gmail's), or all when none do."""
    found = [scope for scope in account.scopes if scope.startswith(prefixes)]
    return found or account.scopes


def stored_credentials(
    accounts: AccountStore, account: GoogleAccount, scopes: Iterable[str] | None = None, *, service: str = "Google"
) -> BaseCredentials:
    """Credentials for a stored account; user tokens are written back to the store after every refresh. A service
    account's tokens are asked for `scopes` (default: all the account's; see `api_scopes`); a stored key google-auth
    cannot read (registered unchecked by an older aide, or edited) is `NotConfigured` naming the command that
    registers it again, as a configuration problem is, not an internal error."""
    if account.kind == "service_account":
        problem = key_problem(account.data.get("info"))
        if problem is None:
            try:
                return service_account_credentials(account.data, scopes)
            except ValueError as exc:  # google-auth's MalformedError is a ValueError, as is a key that does not parse
                problem = f"cannot be used ({_short(str(exc))})"
        command = service_account_command(account.name, account.email, account.level, user=account.user)
        raise NotConfigured(
            service, command, reason=f"cannot use account '{account.name}': its stored key {problem}; register it again"
        )

    if account.user != accounts.user:
        raise ValueError(f"account {account.name!r} of user {account.user!r} is not in {accounts.user!r}'s store")

    def persist(token: str, expiry: datetime | None, refresh_token: str | None) -> None:
        accounts.update_token(account.name, token, expiry, refresh_token)

    return authorized_user_credentials(account.data, persist)


def refresh_failure(
    exc: BaseException, service: str, account: str | GoogleAccount, scopes: Iterable[str] | None = None
) -> AideError | None:
    """The model-facing error for a refresh that Google refused (`google.auth.exceptions.RefreshError`), or None
    when `exc` is something else. For a service account (pass the `GoogleAccount`, and the `scopes` its tokens are
    asked for), the error says what to fix: the delegation, the subject or the key."""
    if type(exc).__name__ != "RefreshError" or not type(exc).__module__.startswith("google.auth"):
        return None
    text = str(exc)
    user = account.user if isinstance(account, GoogleAccount) else None
    if isinstance(account, GoogleAccount):
        if account.kind == "service_account":
            return _service_account_failure(text, service, account, list(scopes or account.scopes))
        account = account.name
    if "invalid_grant" in text or "expired or revoked" in text:
        reason = f"sign-in for account '{account}' has expired or was revoked"
    elif "invalid_scope" in text:
        reason = f"sign-in for account '{account}' does not cover the scopes needed"
    else:
        reason = f"sign-in for account '{account}' could not be refreshed"
    return NotConfigured(service, sign_in_command(account, user=user), reason=reason)


#: Where a Workspace admin authorizes a client id for domain-wide delegation.
DELEGATION_PAGE = "admin.google.com > Security > Access and data control > API controls > Domain-wide delegation"


def service_account_command(
    account: str, subject: str | None, level: str | None = None, user: str | None = None
) -> str:
    """The command that registers a service account key (again) for `user`'s `account`."""
    parts = ["aide auth google"]
    if option := user_option(user):
        parts.append(option)
    if account != "default":
        parts.append(f"--account {account}")
    parts.append(f"--service-account KEY.json --subject {subject or 'ADDRESS'}")
    if level:
        parts.append(f"--scopes {level}")
    return " ".join(parts)


def _service_account_failure(text: str, service: str, account: GoogleAccount, scopes: list[str]) -> AideError:
    """Google's token endpoint refused the service account's assertion: say who must fix what."""
    info = cast(dict[str, Any], account.data.get("info") or {})
    robot = str(info.get("client_email") or "the service account")
    client_id = str(info.get("client_id") or "?")
    subject = account.email
    again = service_account_command(account.name, subject, account.level, account.user)
    whose = f"account '{account.name}'" + ("" if service == "Google" else f", for {service}")
    if "unauthorized_client" in text or "access_denied" in text:
        return PermissionDenied(
            f"Google refused the service account {robot} ({whose}): its client id {client_id} is not authorized by "
            f"domain-wide delegation for the scopes it asks for, so it cannot act as {subject}.",
            hint=f"Ask a Workspace admin to authorize client id {client_id} with exactly these scopes "
            f"({DELEGATION_PAGE}): {','.join(scopes)}. Or, if the admin authorized fewer scopes, register the key at a "
            "level they cover: " + service_account_command(account.name, subject, "readonly", account.user),
        )
    if "Invalid email or User ID" in text:
        return NotConfigured(
            service,
            again.replace(f"--subject {subject}", "--subject ADDRESS"),
            reason=f"cannot act as {subject} for account '{account.name}': there is no such user in the Workspace "
            "domain of the service account. Register the key again with the right address",
        )
    if "invalid_scope" in text:
        return NotConfigured(
            service, again, reason=f"refused the scopes account '{account.name}' asks for; register the key again"
        )
    return NotConfigured(
        service,
        again,
        reason=f"cannot sign in: Google refused the key of the service account {robot} ({whose}: {_short(text)}). "
        "The key "
        "may have been deleted or disabled: create a new one in the Google Cloud console (IAM & Admin > Service "
        "accounts > Keys) and register it",
    )


def _short(text: str) -> str:
    """The first part of a RefreshError's text: Google's `error: description`."""
    first = text.strip("(").split("', {")[0].strip("'\" ")
    return first[:200]
