"""A seeded Google service account with domain-wide delegation, and the token endpoint's JWT-bearer grant for it.

Why: servers deployed for a Workspace domain sign in as a service account that impersonates a user
(`Credentials.from_service_account_info(key).with_subject(user)`), which signs a JWT with its private key and
trades it at the token endpoint (`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`). The sandbox makes an
RSA key pair when it seeds (with `cryptography`), announces the service account's JSON key (with `token_uri`
pointing at the sandbox), and checks an assertion as Google does: RS256 signature by the account's key, `iss` the
account, `aud` Google's token endpoint (what google-auth always puts there) or the sandbox's, `exp` in the future
and at most an hour after `iat`, a `scope` the delegation allows, and `sub` a seeded mailbox. The token it issues
acts as `sub` (or as the service account itself without one) and cannot be refreshed: the client signs a new JWT.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

SCHEMA = """
CREATE TABLE IF NOT EXISTS oauth_service_accounts (
    email TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    key_id TEXT NOT NULL,
    private_key TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS oauth_delegations (
    client_id TEXT PRIMARY KEY,
    scopes TEXT NOT NULL
);
"""

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GOOGLE_TOKEN_ENDPOINT = "https://oauth2.googleapis.com/token"
SERVICE_ACCOUNT = "aide-sandbox-robot@aide-sandbox.iam.gserviceaccount.com"
SERVICE_ACCOUNT_CLIENT_ID = "100000000000000000001"
PROJECT_ID = "aide-sandbox"
#: The scopes seeding delegates to the seeded service account (the Gmail, Calendar and Tasks families), as prefixes.
DELEGATED_PREFIXES = (
    "https://mail.google.com/",
    "https://www.googleapis.com/auth/gmail.",
    "https://www.googleapis.com/auth/calendar",
    "https://www.googleapis.com/auth/tasks",
)
_MAX_LIFETIME = 3600


class AssertionRejected(Exception):
    """An assertion Google would refuse: `error` and `description` as its token endpoint words them."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass(frozen=True)
class ServiceAccount:
    email: str
    client_id: str
    key_id: str
    private_key: str  # PKCS#8 PEM

    @staticmethod
    def generate(email: str = SERVICE_ACCOUNT, client_id: str = SERVICE_ACCOUNT_CLIENT_ID) -> ServiceAccount:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
        return ServiceAccount(email, client_id, hashlib.sha1(public).hexdigest(), pem)

    def json_key(self, token_uri: str) -> dict[str, str]:
        """The JSON key file Google's console would download, pointed at the sandbox's token endpoint."""
        return {
            "type": "service_account",
            "project_id": PROJECT_ID,
            "private_key_id": self.key_id,
            "private_key": self.private_key,
            "client_email": self.email,
            "client_id": self.client_id,
            "auth_uri": token_uri.removesuffix("token") + "authorize",
            "token_uri": token_uri,
            "universe_domain": "googleapis.com",
        }

    def verify(self, signing_input: bytes, signature: bytes) -> bool:
        key = serialization.load_pem_private_key(self.private_key.encode(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            return False
        try:
            key.public_key().verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            return False
        return True


def _segment(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def unverified_claims(assertion: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """(header, claims, signing input, signature) of a compact JWS, not yet verified."""
    try:
        header_b64, claims_b64, signature_b64 = assertion.split(".")
        header = json.loads(_segment(header_b64))
        claims = json.loads(_segment(claims_b64))
        signature = _segment(signature_b64)
    except ValueError:
        raise AssertionRejected("invalid_grant", "Invalid JWT: malformed.") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise AssertionRejected("invalid_grant", "Invalid JWT: malformed.")
    return header, claims, f"{header_b64}.{claims_b64}".encode(), signature  # pyright: ignore[reportUnknownVariableType]


def check_assertion(
    lookup: Callable[[str], ServiceAccount | None],
    assertion: str,
    audiences: tuple[str, ...],
    now: float,
    delegation: Callable[[ServiceAccount], tuple[str, ...]] = lambda _: DELEGATED_PREFIXES,
) -> tuple[ServiceAccount, str | None, tuple[str, ...]]:
    """The (issuing service account, subject, scopes) of a valid assertion; `AssertionRejected` otherwise.
    `delegation(account)` is what the admin authorized for the account's client id (scope prefixes)."""
    header, claims, signing_input, signature = unverified_claims(assertion)
    issuer = claims.get("iss")
    account = lookup(issuer) if isinstance(issuer, str) and issuer else None
    if account is None:
        raise AssertionRejected("invalid_grant", "Invalid issuer: unknown service account.")
    if header.get("alg") != "RS256" or not account.verify(signing_input, signature):
        raise AssertionRejected("invalid_grant", "Invalid JWT Signature.")
    if claims.get("aud") not in audiences:
        raise AssertionRejected("invalid_grant", "Invalid JWT: Failed audience check.")
    expires, issued = claims.get("exp"), claims.get("iat")
    if not isinstance(expires, int | float) or not isinstance(issued, int | float):
        raise AssertionRejected("invalid_grant", "Invalid JWT: exp and iat are required.")
    if expires <= now or expires - issued > _MAX_LIFETIME:
        raise AssertionRejected(
            "invalid_grant",
            "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.",
        )
    scopes = tuple(str(claims.get("scope") or "").split())
    if not scopes:
        raise AssertionRejected("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
    allowed = delegation(account)
    if not allowed or not all(scope.startswith(allowed) for scope in scopes):
        raise AssertionRejected(
            "unauthorized_client",
            "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any "
            "of the scopes requested.",
        )
    subject = claims.get("sub")
    return account, (str(subject) if subject else None), scopes
