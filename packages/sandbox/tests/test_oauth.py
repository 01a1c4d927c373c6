"""Google OAuth through google-auth and google-auth-oauthlib: PKCE code flow, refresh after expiry, revocation,
scopes. The only hand-made request is the browser's visit to the authorization URL."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httplib2
import httpx
import pytest
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import Request as GoogleRequest
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from google_auth_oauthlib.flow import Flow
from googleapiclient.errors import HttpError
from oauthlib.oauth2.rfc6749.errors import InvalidGrantError, OAuth2Error

from aide_sandbox.app import SandboxHandle
from aide_sandbox.google.client import build_service
from aide_sandbox.testing import ME, SAM, error_of, mail, raw

READONLY = "https://www.googleapis.com/auth/gmail.readonly"


@pytest.fixture
def flow(sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the sandbox speaks plain HTTP on loopback
    config = {"installed": sandbox.oauth_client() | {"redirect_uris": ["http://127.0.0.1"]}}
    flow = Flow.from_client_config(config, scopes=[READONLY], redirect_uri="http://127.0.0.1:9/callback")
    yield flow
    flow.oauth2session.close()


def authorize(flow: Any, **params: str) -> tuple[str, dict[str, list[str]]]:
    """The browser's part: open the authorization URL, read where the sandbox redirects."""
    url, state = flow.authorization_url(**params)
    response = httpx.get(url, follow_redirects=False)
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == "http://127.0.0.1:9/callback"
    return state, parse_qs(location.query)


def test_the_pkce_code_flow_gives_credentials_for_the_hinted_account_and_scope(
    sandbox: SandboxHandle, flow: Any
) -> None:
    state, query = authorize(flow, login_hint=SAM, access_type="offline")
    assert query["state"] == [state]
    assert query["scope"] == [READONLY]
    flow.fetch_token(code=query["code"][0])
    credentials = flow.credentials
    assert credentials.refresh_token and credentials.token.startswith("ya29.")
    gmail = sandbox.gmail(credentials=credentials)
    assert gmail.users().getProfile(userId="me").execute()["emailAddress"] == SAM
    with pytest.raises(HttpError) as denied:
        gmail.users().messages().send(userId="me", body={"raw": raw(mail("x", "y"))}).execute()
    error = error_of(denied.value)
    assert denied.value.status_code == 403
    assert error["errors"][0]["reason"] == "insufficientPermissions"
    assert error["status"] == "PERMISSION_DENIED"
    assert error["message"] == "Request had insufficient authentication scopes."


def test_a_code_is_single_use_and_bound_to_its_verifier(flow: Any) -> None:
    _, query = authorize(flow)
    verifier = flow.code_verifier
    flow.code_verifier = "x" * 64
    with pytest.raises(InvalidGrantError, match="Invalid code verifier"):
        flow.fetch_token(code=query["code"][0])
    flow.code_verifier = verifier
    with pytest.raises(InvalidGrantError):
        flow.fetch_token(code=query["code"][0])  # the failed attempt used it up


def test_an_expired_token_is_refreshed_by_google_auth_and_the_call_succeeds(sandbox: SandboxHandle) -> None:
    credentials = sandbox.google_credentials()
    gmail = sandbox.gmail(credentials=credentials)
    seeded = credentials.token
    assert gmail.users().getProfile(userId="me").execute()["emailAddress"] == ME
    assert sandbox.expire_tokens(ME) == 1
    assert gmail.users().getProfile(userId="me").execute()["emailAddress"] == ME
    assert credentials.token != seeded and credentials.token.startswith("ya29.")
    assert credentials.expiry is not None


def test_an_expired_token_without_refresh_is_answered_401_with_googles_body(sandbox: SandboxHandle) -> None:
    sandbox.expire_tokens()
    http = AuthorizedHttp(Credentials(token="ya29.sandbox-alex-rivera-access"), refresh_status_codes=())
    gmail = build_service("gmail", "v1", sandbox.urls["gmail"], http=http)
    with pytest.raises(HttpError) as expired:
        gmail.users().getProfile(userId="me").execute()
    assert expired.value.status_code == 401
    assert error_of(expired.value)["errors"][0]["reason"] == "authError"
    assert error_of(expired.value)["status"] == "UNAUTHENTICATED"
    gmail.close()


def test_a_request_without_credentials_is_answered_401_login_required(sandbox: SandboxHandle) -> None:
    gmail = build_service("gmail", "v1", sandbox.urls["gmail"], http=httplib2.Http())
    with pytest.raises(HttpError) as missing:
        gmail.users().getProfile(userId="me").execute()
    assert missing.value.status_code == 401
    assert error_of(missing.value)["errors"][0]["message"] == "Login Required."
    gmail.close()


def test_after_revocation_refreshing_fails_with_invalid_grant(sandbox: SandboxHandle) -> None:
    credentials = sandbox.google_credentials()
    gmail = sandbox.gmail(credentials=credentials)
    assert credentials.refresh_token is not None
    assert sandbox.revoke(credentials.refresh_token)
    with pytest.raises(RefreshError, match="invalid_grant"):
        gmail.users().getProfile(userId="me").execute()
    assert not sandbox.revoke("never-issued")


def test_a_refresh_can_narrow_the_scopes_and_a_calendar_only_token_cannot_read_mail(sandbox: SandboxHandle) -> None:
    seeded = sandbox.authorized_user()
    narrow = Credentials(
        token=None,
        refresh_token=seeded["refresh_token"],
        token_uri=seeded["token_uri"],
        client_id=seeded["client_id"],
        client_secret=seeded["client_secret"],
        scopes=["https://www.googleapis.com/auth/calendar"],
    )
    gmail = sandbox.gmail(credentials=narrow)
    with pytest.raises(HttpError) as denied:
        gmail.users().messages().list(userId="me", maxResults=1).execute()
    assert denied.value.status_code == 403
    assert narrow.token is not None  # google-auth refreshed first (no token yet), with the narrower scope
    wider = Credentials(
        None,
        refresh_token=seeded["refresh_token"],
        token_uri=seeded["token_uri"],
        client_id=seeded["client_id"],
        client_secret=seeded["client_secret"],
        scopes=[READONLY],
    )
    with pytest.raises(RefreshError, match="invalid_scope"):
        sandbox.gmail(credentials=wider).users().getProfile(userId="me").execute()


def test_each_token_sees_only_its_own_mailbox(sandbox: SandboxHandle) -> None:
    alex, sam = sandbox.gmail(ME), sandbox.gmail(SAM)
    assert sam.users().getProfile(userId="me").execute()["emailAddress"] == SAM
    alex_total = alex.users().getProfile(userId="me").execute()["messagesTotal"]
    assert sam.users().getProfile(userId="me").execute()["messagesTotal"] < alex_total
    alex_id = alex.users().messages().list(userId="me", maxResults=1).execute()["messages"][0]["id"]
    with pytest.raises(HttpError) as hidden:
        sam.users().messages().get(userId="me", id=alex_id).execute()
    assert hidden.value.status_code == 404
    with pytest.raises(HttpError) as delegation:
        sam.users().getProfile(userId=ME).execute()
    assert delegation.value.status_code == 403
    assert error_of(delegation.value)["message"] == f"Delegation denied for {SAM}"


def test_without_access_type_offline_no_refresh_token_is_issued(flow: Any) -> None:
    # Flow.authorization_url always adds access_type=offline; its OAuth session builds the URL without it
    url, _ = flow.oauth2session.authorization_url(flow.client_config["auth_uri"])
    assert "access_type" not in url
    location = urlsplit(httpx.get(url, follow_redirects=False).headers["location"])
    flow.code_verifier = None
    flow.fetch_token(code=parse_qs(location.query)["code"][0])
    assert flow.credentials.token and flow.credentials.refresh_token is None


def test_the_code_exchange_needs_the_client_secret_and_the_redirect_uri(flow: Any) -> None:
    _, query = authorize(flow)
    with pytest.raises(OAuth2Error, match="client_secret is missing"):
        flow.oauth2session.fetch_token(
            flow.client_config["token_uri"],
            code=query["code"][0],
            code_verifier=flow.code_verifier,
            include_client_id=True,
        )
    _, query = authorize(flow)
    flow.redirect_uri = None
    with pytest.raises(OAuth2Error, match="redirect_uri"):
        flow.fetch_token(code=query["code"][0])


def test_an_unknown_code_challenge_method_is_an_invalid_request(flow: Any) -> None:
    _, query = authorize(flow, code_challenge="abc", code_challenge_method="S512")
    assert query["error"] == ["invalid_request"] and "code" not in query


def test_s256_is_enforced_so_the_challenge_itself_is_no_verifier(flow: Any) -> None:
    url, _ = flow.authorization_url()
    challenge = parse_qs(urlsplit(url).query)["code_challenge"][0]
    assert parse_qs(urlsplit(url).query)["code_challenge_method"] == ["S256"]
    _, query = authorize(flow)
    flow.code_verifier = challenge  # what would pass were the method taken for `plain`
    with pytest.raises(InvalidGrantError, match="Invalid code verifier"):
        flow.fetch_token(code=query["code"][0])


def test_a_refresh_does_not_rotate_the_refresh_token(sandbox: SandboxHandle) -> None:
    credentials = sandbox.google_credentials()
    original = credentials.refresh_token
    credentials.refresh(GoogleRequest())
    first = credentials.token
    credentials.refresh(GoogleRequest())
    assert credentials.refresh_token == original and credentials.token != first
    again = sandbox.google_credentials()
    again.refresh(GoogleRequest())  # the original refresh token still works
    assert again.refresh_token == original
