"""A Notion public integration's OAuth: the authorization redirect, the token endpoint's two grants through
notion-client's `oauth.token` (raw bodies through httpx), expiry, rotation, and the journal's hold."""

from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from notion_client import APIErrorCode, APIResponseError, Client
from notion_client.errors import HTTPResponseError

from aide_sandbox.app import SandboxHandle
from aide_sandbox.notion.journal import Seen
from aide_sandbox.notion.oauth import workspace_id
from aide_sandbox.seed.notion import ALEX_USER

CLIENT, SECRET = "client-123", "secret-456"
BACK, OTHER = "http://localhost:8765/callback", "http://localhost:8766/callback"


@pytest.fixture
def client(sandbox: SandboxHandle) -> dict[str, str]:
    return sandbox.notion_oauth_client([BACK, OTHER], client_id=CLIENT, client_secret=SECRET)


@pytest.fixture
def anonymous(sandbox: SandboxHandle) -> Any:
    """A notion-client without a token, as an app holds one before the exchange."""
    notion = Client(base_url=sandbox.urls["notion"], retry=False)
    yield notion
    notion.close()


def token(notion: Any, secret: str = SECRET, **body: Any) -> dict[str, Any]:
    return notion.oauth.token(CLIENT, secret, **body)


def refused(notion: Any, secret: str = SECRET, **body: Any) -> tuple[int, dict[str, Any]]:
    """The status and error object of a token request Notion refuses (its codes are unknown to notion-client)."""
    with pytest.raises(HTTPResponseError) as caught:
        token(notion, secret, **body)
    answer = json.loads(caught.value.body)
    assert answer.pop("request_id")
    return caught.value.status, answer


def api(sandbox: SandboxHandle, access_token: str) -> Any:
    notion = Client(auth=access_token, base_url=sandbox.urls["notion"], retry=False)
    sandbox._closers.append(notion.close)  # pyright: ignore[reportPrivateUsage]
    return notion


def test_the_authorization_url_redirects_back_with_a_code_that_buys_tokens_once(
    sandbox: SandboxHandle, client: dict[str, str], anonymous: Any
) -> None:
    query = {"client_id": CLIENT, "response_type": "code", "owner": "user", "redirect_uri": BACK, "state": "s1"}
    answer = httpx.get(client["authorize_url"], params=query)
    assert answer.status_code == 302
    location = urlsplit(answer.headers["location"])
    back = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert (location.netloc, location.path, back["state"]) == ("localhost:8765", "/callback", "s1")

    granted = token(anonymous, grant_type="authorization_code", code=back["code"], redirect_uri=BACK)
    alex = next(u for u in sandbox.notion().users.list()["results"] if u["id"] == ALEX_USER)
    assert {k: v for k, v in granted.items() if k not in ("access_token", "refresh_token", "bot_id", "request_id")} == {
        "token_type": "bearer",
        "workspace_id": workspace_id("rivera-home"),
        "workspace_name": "Rivera Home",
        "workspace_icon": None,
        "owner": {"type": "user", "user": alex},
        "duplicated_template_id": None,
    }
    assert granted["access_token"].startswith("ntn_") and granted["refresh_token"]
    me = api(sandbox, granted["access_token"]).users.me()
    assert (me["id"], me["type"], me["name"], me["bot"]["workspace_name"]) == (
        granted["bot_id"], "bot", "aide", "Rivera Home",
    )  # fmt: skip
    found = api(sandbox, granted["access_token"]).search(query="Trip to")["results"]
    assert [r["id"] for r in found] == [r["id"] for r in sandbox.notion().search(query="Trip to")["results"]]

    again = refused(anonymous, grant_type="authorization_code", code=back["code"], redirect_uri=BACK)
    revoked = "Invalid code: this code has been revoked."
    assert again == (400, {"object": "error", "status": 400, "code": "invalid_grant", "message": revoked})


def test_a_second_sign_in_of_the_same_client_is_the_same_bot(sandbox: SandboxHandle, client: dict[str, str]) -> None:
    first, second = sandbox.notion_grant(CLIENT), sandbox.notion_grant(CLIENT)
    assert first["bot_id"] == second["bot_id"] and first["access_token"] != second["access_token"]
    northwind = sandbox.notion_grant(CLIENT, workspace=1)
    assert (northwind["workspace_name"], northwind["bot_id"] != first["bot_id"]) == ("Northwind", True)
    bots = [u["id"] for u in sandbox.notion().users.list()["results"] if u["type"] == "bot"]
    assert bots.count(first["bot_id"]) == 1


@pytest.mark.parametrize(
    ("secret", "client_id"), [("wrong", CLIENT), (SECRET, "nobody")], ids=["wrong secret", "unknown client"]
)
def test_a_client_that_does_not_authenticate_is_invalid_client(
    sandbox: SandboxHandle, client: dict[str, str], anonymous: Any, secret: str, client_id: str
) -> None:
    code = sandbox.notion_authorization_code(CLIENT, BACK)
    with pytest.raises(HTTPResponseError) as caught:
        anonymous.oauth.token(client_id, secret, grant_type="authorization_code", code=code, redirect_uri=BACK)
    assert (caught.value.status, json.loads(caught.value.body)["code"]) == (401, "invalid_client")
    assert token(anonymous, grant_type="authorization_code", code=code, redirect_uri=BACK)["workspace_name"]


def test_the_redirect_uri_must_be_the_authorized_one(
    sandbox: SandboxHandle, client: dict[str, str], anonymous: Any
) -> None:
    code = sandbox.notion_authorization_code(CLIENT, BACK)
    missing = refused(anonymous, grant_type="authorization_code", code=code)
    other = refused(anonymous, grant_type="authorization_code", code=code, redirect_uri=OTHER)
    assert [(status, body["code"]) for status, body in (missing, other)] == [
        (400, "validation_error"),
        (400, "invalid_grant"),
    ]
    assert token(anonymous, grant_type="authorization_code", code=code, redirect_uri=BACK)["token_type"] == "bearer"


def test_a_client_with_one_redirect_uri_may_leave_it_out_and_then_must(sandbox: SandboxHandle, anonymous: Any) -> None:
    sandbox.notion_oauth_client([BACK], client_id=CLIENT, client_secret=SECRET)
    code = sandbox.notion_authorization_code(CLIENT)
    assert refused(anonymous, grant_type="authorization_code", code=code, redirect_uri=BACK)[1]["code"] == (
        "validation_error"
    )
    assert token(anonymous, grant_type="authorization_code", code=code)["workspace_name"] == "Rivera Home"


def test_an_expired_access_token_is_unauthorized_until_refreshed_and_the_refresh_token_rotates(
    sandbox: SandboxHandle, client: dict[str, str], anonymous: Any
) -> None:
    granted = sandbox.notion_grant(CLIENT)
    assert sandbox.expire_notion_tokens(granted["access_token"]) == 1
    with pytest.raises(APIResponseError) as caught:
        api(sandbox, granted["access_token"]).users.me()
    assert (caught.value.status, caught.value.code) == (401, APIErrorCode.Unauthorized)
    assert sandbox.notion().users.me()["name"] == "aide"  # the internal integration's token is another matter

    fresh = token(anonymous, grant_type="refresh_token", refresh_token=granted["refresh_token"])
    assert fresh["refresh_token"] != granted["refresh_token"] and fresh["bot_id"] == granted["bot_id"]
    assert api(sandbox, fresh["access_token"]).users.me()["id"] == granted["bot_id"]
    status, body = refused(anonymous, grant_type="refresh_token", refresh_token=granted["refresh_token"])
    assert (status, body["code"]) == (400, "invalid_grant")
    again = token(anonymous, grant_type="refresh_token", refresh_token=fresh["refresh_token"])
    assert api(sandbox, fresh["access_token"]).users.me()["id"] == granted["bot_id"]  # refreshing ends no access
    assert again["access_token"] not in (fresh["access_token"], granted["access_token"])


def test_a_body_that_does_not_match_is_refused_as_notion_validates(
    sandbox: SandboxHandle, client: dict[str, str], anonymous: Any
) -> None:
    assert [
        refused(anonymous, grant_type="client_credentials")[1]["code"],
        refused(anonymous, grant_type="refresh_token")[1]["code"],
        refused(anonymous, grant_type="refresh_token", refresh_token="never-issued")[1]["code"],
    ] == ["validation_error", "validation_error", "invalid_grant"]
    answer = httpx.post(client["token_url"], content=b"{", auth=(CLIENT, SECRET))
    assert (answer.status_code, answer.json()["code"]) == (400, "invalid_json")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"client_id": "nobody"}, "Invalid client_id: nobody."),
        ({"redirect_uri": "https://evil.example/cb"}, "is not one of the integration's redirect URIs"),
        ({"redirect_uri": None}, "redirect_uri is required"),
        ({"response_type": "token"}, "response_type should be `code`"),
    ],
    ids=["unknown client", "unregistered redirect", "no redirect of several", "implicit"],
)
def test_an_authorization_url_notion_refuses_redirects_nowhere(
    client: dict[str, str], change: dict[str, Any], message: str
) -> None:
    query = {"client_id": CLIENT, "response_type": "code", "owner": "user", "redirect_uri": BACK} | change
    answer = httpx.get(client["authorize_url"], params={k: v for k, v in query.items() if v is not None})
    assert (answer.status_code, "location" in answer.headers, answer.json()["code"]) == (400, False, "validation_error")
    assert message in answer.json()["message"]


def test_the_journal_records_answers_and_a_hold_keeps_a_token_request_until_its_condition(
    sandbox: SandboxHandle, client: dict[str, str], anonymous: Any
) -> None:
    granted = sandbox.notion_grant(CLIENT)
    sandbox.expire_notion_tokens()
    asked = threading.Event()

    def one_refusal(seen: list[Seen]) -> bool:
        asked.set()  # evaluated first when the token request arrives
        return any(s.status == 401 for s in seen)

    sandbox.hold_notion_token_requests(one_refusal)
    answers: list[dict[str, Any]] = []
    body = {"grant_type": "refresh_token", "refresh_token": granted["refresh_token"]}
    refresher = threading.Thread(target=lambda: answers.append(token(anonymous, **body)))
    refresher.start()
    assert asked.wait(10)
    with pytest.raises(APIResponseError):
        api(sandbox, granted["access_token"]).users.me()
    refresher.join(10)
    assert sandbox.notion_requests() == [
        Seen("GET", "/v1/users/me", granted["access_token"], 401, None),
        Seen("POST", "/v1/oauth/token", CLIENT, 200, body),
    ]
    assert [a["bot_id"] for a in answers] == [granted["bot_id"]]
    sandbox.reset()
    assert sandbox.notion_requests() == []
