"""The seeded service account with domain-wide delegation, driven by google-auth's service-account credentials:
the JWT-bearer grant at the sandbox's token endpoint, impersonating a seeded mailbox."""

from __future__ import annotations

import time
from typing import Any

import pytest
from google.auth import jwt
from google.auth.crypt import RSASigner
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request
from google.oauth2 import _client, service_account

from aide_sandbox.app import SandboxHandle
from aide_sandbox.google.service_accounts import GOOGLE_TOKEN_ENDPOINT, ServiceAccount
from aide_sandbox.testing import ME, SAM

GMAIL = "https://www.googleapis.com/auth/gmail.readonly"


def delegated(sandbox: SandboxHandle, subject: str, scopes: list[str] | None = None) -> Any:
    info = sandbox.service_account_info()
    credentials = service_account.Credentials.from_service_account_info(info, scopes=scopes or [GMAIL])
    return credentials.with_subject(subject)


def test_the_announced_key_points_at_the_sandbox(sandbox: SandboxHandle) -> None:
    info = sandbox.credentials["service_account"]
    assert info["type"] == "service_account" and info["token_uri"] == sandbox.urls["oauth"] + "token"
    assert info["private_key"].startswith("-----BEGIN PRIVATE KEY-----")


@pytest.mark.parametrize("subject", [ME, SAM])
def test_a_delegated_service_account_reads_the_mailbox_of_its_subject(sandbox: SandboxHandle, subject: str) -> None:
    gmail = sandbox.gmail(credentials=delegated(sandbox, subject))
    assert gmail.users().getProfile(userId="me").execute()["emailAddress"] == subject
    assert gmail.users().messages().list(userId="me", maxResults=1).execute()["messages"]


def test_an_unknown_subject_is_refused(sandbox: SandboxHandle) -> None:
    with pytest.raises(RefreshError, match="invalid_grant"):
        delegated(sandbox, "nobody@example.com").refresh(Request())


def test_a_scope_outside_the_delegation_is_refused(sandbox: SandboxHandle) -> None:
    with pytest.raises(RefreshError, match="unauthorized_client"):
        delegated(sandbox, ME, ["https://www.googleapis.com/auth/drive"]).refresh(Request())


def test_a_key_whose_delegation_was_withdrawn_is_refused_as_an_unauthorized_client(sandbox: SandboxHandle) -> None:
    sandbox.delegate(())
    with pytest.raises(RefreshError, match="unauthorized_client"):
        delegated(sandbox, ME).refresh(Request())


def test_a_delegation_narrower_than_the_scopes_asked_for_is_refused(sandbox: SandboxHandle) -> None:
    sandbox.delegate((GMAIL,))
    delegated(sandbox, ME).refresh(Request())  # what was delegated still works
    modify = "https://www.googleapis.com/auth/gmail.modify"
    with pytest.raises(RefreshError, match="unauthorized_client"):
        delegated(sandbox, ME, [GMAIL, modify]).refresh(Request())


def test_an_assertion_signed_by_another_key_is_refused(sandbox: SandboxHandle) -> None:
    info = sandbox.service_account_info() | {"private_key": ServiceAccount.generate().private_key}
    forged = service_account.Credentials.from_service_account_info(info, scopes=[GMAIL]).with_subject(ME)
    with pytest.raises(RefreshError, match="Invalid JWT Signature"):
        forged.refresh(Request())


@pytest.mark.parametrize(
    ("claims", "error"),
    [
        ({"aud": "https://elsewhere.example/token"}, "audience"),
        ({"exp": 1_000_000_000, "iat": 999_999_000}, "short-lived"),
        ({"scope": ""}, "invalid_scope"),
        ({"iss": "stranger@elsewhere.iam.gserviceaccount.com"}, "issuer"),
    ],
)
def test_an_assertion_with_a_wrong_claim_is_refused(sandbox: SandboxHandle, claims: dict[str, Any], error: str) -> None:
    info = sandbox.service_account_info()
    now = int(time.time())
    payload = {"iss": info["client_email"], "aud": GOOGLE_TOKEN_ENDPOINT, "iat": now, "exp": now + 3600}
    payload |= {"scope": GMAIL, "sub": ME} | claims
    assertion = jwt.encode(RSASigner.from_service_account_info(info), payload)
    with pytest.raises(RefreshError, match=error):
        _client.jwt_grant(Request(), info["token_uri"], assertion)
