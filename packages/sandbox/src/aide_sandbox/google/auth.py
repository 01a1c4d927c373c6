"""Google OAuth 2.0 as the official clients use it: PKCE authorization code, refresh, expiry, revocation, scopes.

- `GET /authorize` auto-approves (there is no user to ask in a sandbox) and redirects to the loopback
  `redirect_uri` with `code` and `state`; `login_hint` chooses the account, else the first seeded one. As at
  Google, `access_type` defaults to `online` (no refresh token unless `offline` is asked for), and a
  `code_challenge_method` other than `S256` or `plain` is `invalid_request`.
- `POST /token` needs the client's secret (the sandbox's client is confidential, as Google's installed-app clients
  are) and answers the `authorization_code` (PKCE S256 or plain checked; `redirect_uri` required and matched) and
  `refresh_token` grants (the refresh token is not rotated) with
  Google's token response, and with Google's `{"error": "invalid_grant", ...}` bodies when a code or refresh token is
  unknown, used, expired or revoked; google-auth turns those into `RefreshError`.
- `POST /token` also answers the JWT-bearer grant of the seeded service account with domain-wide delegation
  (`google.service_accounts`): no client secret, a signed assertion instead.
- `POST /revoke` revokes the whole grant (as Google does): the refresh token and every access token issued from it.
- `GET /tokeninfo` describes an access token.

Access tokens expire after `lifetime` seconds; `expire()` makes them expire now, so a test can drive the client's
refresh path (401, refresh, retry) without sleeping. Tokens carry scopes; an API method whose scopes the token lacks
answers Google's 403 `insufficientPermissions`.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from aide_sandbox.db import Database
from aide_sandbox.google.errors import insufficient_scope, unauthenticated
from aide_sandbox.google.service_accounts import (
    DELEGATED_PREFIXES,
    GOOGLE_TOKEN_ENDPOINT,
    JWT_BEARER,
    AssertionRejected,
    ServiceAccount,
    check_assertion,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS oauth_clients (
    client_id TEXT PRIMARY KEY,
    client_secret TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS oauth_codes (
    code TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    account TEXT NOT NULL,
    scopes TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    challenge TEXT,
    challenge_method TEXT,
    offline INTEGER NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS oauth_tokens (
    token TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
    account TEXT NOT NULL,
    client_id TEXT NOT NULL,
    scopes TEXT NOT NULL,
    grant_id TEXT NOT NULL,
    expires_at REAL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS oauth_tokens_grant ON oauth_tokens (grant_id);
"""

#: The OAuth client every sandbox knows (its id and secret are in `aide sandbox serve`'s credentials).
CLIENT_ID = "aide-sandbox.apps.googleusercontent.com"
CLIENT_SECRET = "aide-sandbox-secret"
#: Scopes seeded tokens carry: everything the Gmail, Calendar and Tasks emulators serve.
FULL_SCOPES = (
    "https://mail.google.com/",
    "https://www.googleapis.com/auth/calendar",
    "https://www.googleapis.com/auth/tasks",
)
_CODE_LIFETIME = 600.0


@dataclass(frozen=True)
class Grant:
    """A fresh token pair, as the token endpoint returns it."""

    access_token: str
    refresh_token: str | None
    expires_in: int
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class Caller:
    """Who an API request is from."""

    account: str
    scopes: frozenset[str]


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


class TokenStore:
    """Clients, authorization codes and tokens, in the sandbox database."""

    def __init__(self, db: Database, *, lifetime: float = 3600.0, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.lifetime = lifetime
        self.clock = clock

    # -- seeding -------------------------------------------------------------------------------------------------
    def register_client(self, client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET) -> None:
        with self.db.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO oauth_clients VALUES (?, ?)", (client_id, client_secret))

    def seed_grant(
        self, account: str, access_token: str, refresh_token: str, scopes: tuple[str, ...] = FULL_SCOPES
    ) -> None:
        """A long-lived grant with fixed tokens, so a seeded account has credentials before any OAuth dance."""
        with self.db.transaction() as conn:
            self._insert(conn, refresh_token, "refresh", account, CLIENT_ID, scopes, refresh_token, None)
            self._insert(conn, access_token, "access", account, CLIENT_ID, scopes, refresh_token, None)

    def register_service_account(
        self, account: ServiceAccount, delegated: tuple[str, ...] = DELEGATED_PREFIXES
    ) -> None:
        """A service account, and the scopes (prefixes) its client id is authorized for by domain-wide delegation."""
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO oauth_service_accounts VALUES (?, ?, ?, ?)",
                (account.email, account.client_id, account.key_id, account.private_key),
            )
        self.delegate(account.client_id, delegated)

    def delegate(self, client_id: str, scopes: tuple[str, ...]) -> None:
        """What the Workspace admin authorizes `client_id` for (Admin console > Domain-wide delegation); no scopes
        removes the entry, so the client's assertions are refused with `unauthorized_client`."""
        with self.db.transaction() as conn:
            if scopes:
                conn.execute("INSERT OR REPLACE INTO oauth_delegations VALUES (?, ?)", (client_id, " ".join(scopes)))
            else:
                conn.execute("DELETE FROM oauth_delegations WHERE client_id = ?", (client_id,))

    def delegation(self, account: ServiceAccount) -> tuple[str, ...]:
        with self.db.transaction() as conn:
            query = "SELECT scopes FROM oauth_delegations WHERE client_id = ?"
            row = conn.execute(query, (account.client_id,)).fetchone()
        return tuple(str(row[0]).split()) if row is not None else ()

    def service_account(self, email: str | None = None) -> ServiceAccount | None:
        """A registered service account (default: the first)."""
        with self.db.transaction() as conn:
            if email is None:
                row = conn.execute("SELECT * FROM oauth_service_accounts ORDER BY rowid LIMIT 1").fetchone()
            else:
                row = conn.execute("SELECT * FROM oauth_service_accounts WHERE email = ?", (email,)).fetchone()
        if row is None:
            return None
        return ServiceAccount(row["email"], row["client_id"], row["key_id"], row["private_key"])

    # -- the OAuth flows -----------------------------------------------------------------------------------------
    def authorize(
        self,
        *,
        client_id: str,
        redirect_uri: str,
        scopes: tuple[str, ...],
        account: str,
        challenge: str | None,
        challenge_method: str | None,
        offline: bool,
    ) -> str:
        code = "4/" + secrets.token_urlsafe(24)
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO oauth_codes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    code,
                    client_id,
                    account,
                    " ".join(scopes),
                    redirect_uri,
                    challenge,
                    challenge_method,
                    int(offline),
                    self.clock() + _CODE_LIFETIME,
                ),
            )
        return code

    def exchange_code(self, client_id: str, code: str, redirect_uri: str | None, verifier: str | None) -> Grant:
        """Tokens for an authorization code; the code is used up by the first attempt, whether it succeeds or not."""
        with self.db.transaction() as conn:
            row = conn.execute("DELETE FROM oauth_codes WHERE code = ? RETURNING *", (code,)).fetchone()
        if row is None or row["client_id"] != client_id or row["expires_at"] < self.clock():
            raise OAuthError("invalid_grant", "Malformed auth code.")
        if redirect_uri is None:
            raise OAuthError("invalid_request", "Missing required parameter: redirect_uri")
        if redirect_uri != row["redirect_uri"]:
            raise OAuthError("redirect_uri_mismatch", "Bad Request")
        if row["challenge"]:
            if not verifier:
                raise OAuthError("invalid_grant", "Missing code verifier.")
            if _challenge(verifier, row["challenge_method"]) != row["challenge"]:
                raise OAuthError("invalid_grant", "Invalid code verifier.")
        scopes = tuple(row["scopes"].split())
        with self.db.transaction() as conn:
            grant_id = refresh = None
            if row["offline"]:
                refresh = grant_id = "1//" + secrets.token_urlsafe(32)
                self._insert(conn, refresh, "refresh", row["account"], client_id, scopes, grant_id, None)
            return self._issue(conn, row["account"], client_id, scopes, grant_id or secrets.token_hex(8), refresh)

    def refresh(self, client_id: str, refresh_token: str, scopes: tuple[str, ...] | None) -> Grant:
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT * FROM oauth_tokens WHERE token = ? AND kind = 'refresh'", (refresh_token,)
            ).fetchone()
            if row is None or row["revoked"]:
                raise OAuthError("invalid_grant", "Token has been expired or revoked.")
            if row["client_id"] != client_id:
                raise OAuthError("unauthorized_client", "Unauthorized")
            granted = tuple(row["scopes"].split())
            if scopes and not set(scopes) <= set(granted):
                raise OAuthError("invalid_scope", "Some requested scopes were invalid.")
            return self._issue(conn, row["account"], client_id, scopes or granted, row["grant_id"], None)

    def jwt_grant(self, assertion: str, audiences: tuple[str, ...]) -> Grant:
        """An access token for a service account's signed assertion, acting as its `sub` (domain-wide delegation)."""
        try:
            account, subject, scopes = check_assertion(
                self.service_account, assertion, audiences, self.clock(), self.delegation
            )
        except AssertionRejected as exc:
            raise OAuthError(exc.error, exc.description) from None
        if subject is not None and not self.account_exists(subject):
            raise OAuthError("invalid_grant", "Invalid email or User ID")
        with self.db.transaction() as conn:
            return self._issue(conn, subject or account.email, account.client_id, scopes, secrets.token_hex(8), None)

    def revoke(self, token: str) -> bool:
        with self.db.transaction() as conn:
            row = conn.execute("SELECT grant_id FROM oauth_tokens WHERE token = ?", (token,)).fetchone()
            if row is None:
                return False
            conn.execute("UPDATE oauth_tokens SET revoked = 1 WHERE grant_id = ?", (row["grant_id"],))
            return True

    def expire(self, account: str | None = None) -> int:
        """Make the access tokens of `account` (default: every account) expired now; the count expired."""
        past = self.clock() - 1
        with self.db.transaction() as conn:
            if account is None:
                cursor = conn.execute("UPDATE oauth_tokens SET expires_at = ? WHERE kind = 'access'", (past,))
            else:
                cursor = conn.execute(
                    "UPDATE oauth_tokens SET expires_at = ? WHERE kind = 'access' AND account = ?", (past, account)
                )
            return cursor.rowcount

    # -- API requests --------------------------------------------------------------------------------------------
    def caller(self, token: str | None) -> Caller:
        """Who a bearer token belongs to; Google's 401 for none, an unknown, expired or revoked one."""
        if not token:
            raise unauthenticated(missing=True)
        with self.db.transaction() as conn:
            row = conn.execute("SELECT * FROM oauth_tokens WHERE token = ? AND kind = 'access'", (token,)).fetchone()
        if row is None or row["revoked"] or (row["expires_at"] is not None and row["expires_at"] <= self.clock()):
            raise unauthenticated(missing=False)
        return Caller(row["account"], frozenset(row["scopes"].split()))

    def tokeninfo(self, token: str) -> dict[str, object] | None:
        with self.db.transaction() as conn:
            row = conn.execute("SELECT * FROM oauth_tokens WHERE token = ? AND kind = 'access'", (token,)).fetchone()
            offline = (
                row is not None
                and conn.execute(
                    "SELECT 1 FROM oauth_tokens WHERE grant_id = ? AND kind = 'refresh'", (row["grant_id"],)
                ).fetchone()
            )
        now = self.clock()
        if row is None or row["revoked"] or (row["expires_at"] is not None and row["expires_at"] <= now):
            return None
        expires_in = int(row["expires_at"] - now) if row["expires_at"] is not None else 10**8
        return {
            "azp": row["client_id"],
            "aud": row["client_id"],
            "scope": row["scopes"],
            "exp": str(int(now) + expires_in),
            "expires_in": str(expires_in),
            "email": row["account"],
            "email_verified": "true",
            "access_type": "offline" if offline else "online",
        }

    def client_secret(self, client_id: str) -> str | None:
        with self.db.transaction() as conn:
            row = conn.execute("SELECT client_secret FROM oauth_clients WHERE client_id = ?", (client_id,)).fetchone()
        return None if row is None else str(row[0])

    def account_exists(self, email: str) -> bool:
        with self.db.transaction() as conn:
            return conn.execute("SELECT 1 FROM accounts WHERE email = ?", (email,)).fetchone() is not None

    def first_account(self) -> str | None:
        with self.db.transaction() as conn:
            row = conn.execute("SELECT email FROM accounts ORDER BY position LIMIT 1").fetchone()
        return None if row is None else str(row[0])

    # -- internals -----------------------------------------------------------------------------------------------
    def _issue(
        self,
        conn: sqlite3.Connection,
        account: str,
        client_id: str,
        scopes: tuple[str, ...],
        grant_id: str,
        refresh: str | None,
    ) -> Grant:
        access = "ya29." + secrets.token_urlsafe(32)
        self._insert(conn, access, "access", account, client_id, scopes, grant_id, self.clock() + self.lifetime)
        return Grant(access, refresh, int(self.lifetime), scopes)

    @staticmethod
    def _insert(
        conn: sqlite3.Connection,
        token: str,
        kind: str,
        account: str,
        client_id: str,
        scopes: tuple[str, ...],
        grant_id: str,
        expires_at: float | None,
    ) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO oauth_tokens VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
            (token, kind, account, client_id, " ".join(scopes), grant_id, expires_at),
        )


def require_scope(caller: Caller, allowed: tuple[str, ...], service: str, method_id: str) -> None:
    if allowed and not caller.scopes & set(allowed):
        raise insufficient_scope(service, method_id)


def _challenge(verifier: str, method: str | None) -> str:
    if method == "S256":
        return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier


def _loopback(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


def _oauth_error(exc: OAuthError) -> JSONResponse:
    return JSONResponse({"error": exc.error, "error_description": exc.description}, status_code=exc.status)


class OAuthApp:
    """The endpoints of accounts.google.com and oauth2.googleapis.com that installed apps use."""

    def __init__(self, tokens: TokenStore) -> None:
        self.tokens = tokens

    def routes(self) -> list[Route]:
        return [
            Route("/authorize", self.authorize, methods=["GET"]),
            Route("/token", self.token, methods=["POST"]),
            Route("/revoke", self.revoke, methods=["POST", "GET"]),
            Route("/tokeninfo", self.tokeninfo, methods=["GET", "POST"]),
        ]

    async def authorize(self, request: Request) -> Response:
        params = request.query_params
        client_id = params.get("client_id", "")
        redirect_uri = params.get("redirect_uri", "")
        if self.tokens.client_secret(client_id) is None:
            return PlainTextResponse("Error 401: invalid_client\nThe OAuth client was not found.", status_code=401)
        if not _loopback(redirect_uri):
            return PlainTextResponse(
                "Error 400: redirect_uri_mismatch\nThe sandbox redirects only to loopback http URIs.", status_code=400
            )
        if params.get("response_type") != "code":
            return _redirect(redirect_uri, {"error": "unsupported_response_type", "state": params.get("state")})
        scopes = tuple(params.get("scope", "").split())
        if not scopes:
            return _redirect(redirect_uri, {"error": "invalid_scope", "state": params.get("state")})
        account = params.get("login_hint") or self.tokens.first_account()
        if account is None or not self.tokens.account_exists(account):
            return _redirect(redirect_uri, {"error": "access_denied", "state": params.get("state")})
        method = params.get("code_challenge_method")
        if method is not None and method not in ("S256", "plain"):
            return _redirect(redirect_uri, {"error": "invalid_request", "state": params.get("state")})
        code = self.tokens.authorize(
            client_id=client_id,
            redirect_uri=redirect_uri,
            scopes=scopes,
            account=account,
            challenge=params.get("code_challenge"),
            challenge_method=method,
            offline=params.get("access_type", "online") == "offline",
        )
        return _redirect(redirect_uri, {"state": params.get("state"), "code": code, "scope": " ".join(scopes)})

    async def token(self, request: Request) -> Response:
        form = await request.form()
        fields = {key: str(value) for key, value in form.items()}
        try:
            grant_type = fields.get("grant_type", "")
            if grant_type == JWT_BEARER:  # the assertion's signature authenticates; there is no client secret
                grant = self.tokens.jwt_grant(fields.get("assertion", ""), (GOOGLE_TOKEN_ENDPOINT, str(request.url)))
                return _token_response(grant)
            client_id = self._authenticate_client(request, fields)
            if grant_type == "authorization_code":
                grant = self.tokens.exchange_code(
                    client_id, fields.get("code", ""), fields.get("redirect_uri"), fields.get("code_verifier")
                )
            elif grant_type == "refresh_token":
                scopes = tuple(fields.get("scope", "").split()) or None
                grant = self.tokens.refresh(client_id, fields.get("refresh_token", ""), scopes)
            else:
                raise OAuthError("unsupported_grant_type", f"Invalid grant_type: {grant_type}")
        except OAuthError as exc:
            return _oauth_error(exc)
        return _token_response(grant)

    async def revoke(self, request: Request) -> Response:
        token = request.query_params.get("token")
        if token is None and request.method == "POST":
            token = str((await request.form()).get("token") or "")
        if not token or not self.tokens.revoke(token):
            return _oauth_error(OAuthError("invalid_token", "Token expired or revoked"))
        return JSONResponse({})

    async def tokeninfo(self, request: Request) -> Response:
        token = request.query_params.get("access_token")
        if token is None and request.method == "POST":
            token = str((await request.form()).get("access_token") or "")
        info = self.tokens.tokeninfo(token or "")
        if info is None:
            return _oauth_error(OAuthError("invalid_token", "Invalid Value"))
        return JSONResponse(info)

    def _authenticate_client(self, request: Request, fields: dict[str, str]) -> str:
        client_id, secret = fields.get("client_id", ""), fields.get("client_secret")
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            try:
                client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            except ValueError:
                raise OAuthError("invalid_client", "Unauthorized", 401) from None
        expected = self.tokens.client_secret(client_id)
        if expected is None:
            raise OAuthError("invalid_client", "The OAuth client was not found.", 401)
        if secret is None and expected:
            raise OAuthError("invalid_request", "client_secret is missing.")
        if secret is not None and not secrets.compare_digest(secret, expected):
            raise OAuthError("invalid_client", "Unauthorized", 401)
        return client_id


def _token_response(grant: Grant) -> JSONResponse:
    body: dict[str, object] = {
        "access_token": grant.access_token,
        "expires_in": grant.expires_in,
        "scope": " ".join(grant.scopes),
        "token_type": "Bearer",
    }
    if grant.refresh_token:
        body["refresh_token"] = grant.refresh_token
    return JSONResponse(body, headers={"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate"})


def _redirect(uri: str, params: dict[str, str | None]) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return RedirectResponse(f"{uri}{'&' if '?' in uri else '?'}{query}", status_code=302)
