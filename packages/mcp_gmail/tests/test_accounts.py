"""Google sign-in against the sandbox's OAuth endpoint, tokens kept and refreshed in the credential store, several
accounts, tools listed by what an account's sign-in allows, and accounts kept per person on a shared HTTP server."""

from __future__ import annotations

import json
import threading
import webbrowser
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import anyio
import httpx
import pytest
from mcp import Client
from mcp.client.subscriptions import ToolsListChanged
from oauthlib.oauth2.rfc6749.errors import MismatchingStateError
from typer.testing import CliRunner

from aide_core.credentials import open_credentials
from aide_core.http import build_app
from aide_core.settings import AideSettings
from aide_core.testing import ToolClient, connected, serving
from aide_google.accounts import AccountStore, stored_credentials
from aide_google.scopes import sign_in_scopes
from aide_google.signin import add_service_account, sign_in
from aide_sandbox.app import SandboxHandle
from aide_sandbox.testing import ME, SAM

DEFAULT_TIER = [
    "search_emails", "read_email", "read_thread", "draft_email", "send_email", "reply", "send_draft",
    "label_emails", "trash_emails",
]  # fmt: skip


@pytest.fixture
def accounts(settings: AideSettings, monkeypatch: pytest.MonkeyPatch) -> AccountStore:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the sandbox's OAuth endpoint is plain HTTP
    return AccountStore(open_credentials(settings))


def browser(tamper: Callable[[str], str] = lambda url: url) -> tuple[Callable[[str], None], list[str]]:
    """A browser for the loopback flow: it opens the authorization URL (the sandbox approves at once) and follows
    the redirect to the flow's loopback server, on its own thread while the flow waits."""
    opened: list[str] = []

    def visit(url: str) -> None:
        opened.append(url)
        with httpx.Client(follow_redirects=False, timeout=10) as http:
            location = http.get(tamper(url)).headers["location"]
            http.get(location)

    def open_url(url: str) -> None:
        threading.Thread(target=visit, args=(url,), daemon=True).start()

    return open_url, opened


def oauth_config(sandbox: SandboxHandle) -> dict[str, Any]:
    return {"installed": sandbox.oauth_client() | {"redirect_uris": ["http://127.0.0.1"]}}


def signed_in(
    sandbox: SandboxHandle, accounts: AccountStore, name: str = "work", level: str = "send", who: str = ME
) -> list[str]:
    open_url, opened = browser()
    sign_in(
        accounts, account=name, level=level, config=oauth_config(sandbox), open_url=open_url, login_hint=who,
        timeout_seconds=10,
    )  # fmt: skip
    return opened


async def call(server: Any, tool: str, **arguments: Any) -> Any:
    async with Client(server) as client:
        return await client.call_tool(tool, arguments)


def text(result: Any) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content)


def test_sign_in_runs_the_pkce_loopback_flow_and_stores_the_account_encrypted(
    sandbox: SandboxHandle, accounts: AccountStore, settings: AideSettings
) -> None:
    opened = signed_in(sandbox, accounts)
    query = parse_qs(urlsplit(opened[0]).query)
    assert query["access_type"] == ["offline"] and query["prompt"] == ["consent"]
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["redirect_uri"][0].startswith("http://127.0.0.1:") and query["state"][0]
    stored = accounts.get("work")
    assert stored is not None and stored.level == "send" and stored.email == ME
    assert stored.data["token"].startswith("ya29.") and stored.data["refresh_token"].startswith("1//")
    assert "https://www.googleapis.com/auth/gmail.send" in stored.scopes
    secrets_file = settings.home / "secrets" / "credentials.enc"
    assert stored.data["refresh_token"].encode() not in secrets_file.read_bytes()


def test_signing_in_again_keeps_the_refresh_token_and_skips_the_consent_prompt(
    sandbox: SandboxHandle, accounts: AccountStore
) -> None:
    signed_in(sandbox, accounts)
    first = accounts.get("work")
    assert first is not None
    opened = signed_in(sandbox, accounts, level="full")
    assert "prompt" not in parse_qs(urlsplit(opened[0]).query)
    again = accounts.get("work")
    assert again is not None and again.level == "full" and again.has_refresh_token


def test_a_redirect_with_a_forged_state_is_refused(sandbox: SandboxHandle, accounts: AccountStore) -> None:
    def forge(url: str) -> str:
        parts = urlsplit(url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()} | {"state": "forged"}
        return urlunsplit(parts._replace(query=urlencode(query)))

    open_url, _ = browser(forge)
    with pytest.raises(MismatchingStateError):
        sign_in(accounts, account="work", config=oauth_config(sandbox), open_url=open_url, timeout_seconds=10)
    assert accounts.get("work") is None


@pytest.mark.anyio
async def test_an_expired_token_is_refreshed_written_back_and_still_there_after_a_restart(
    sandbox: SandboxHandle, accounts: AccountStore, server: Callable[..., Any]
) -> None:
    signed_in(sandbox, accounts)
    before = accounts.get("work")
    assert before is not None
    first = server()
    assert not (await call(first, "search_emails", query="subject:invitation", limit=1)).is_error
    assert sandbox.expire_tokens(ME) >= 1
    refreshed = await call(first, "search_emails", query="subject:invitation", limit=1)
    assert not refreshed.is_error, text(refreshed)
    after = accounts.get("work")
    assert after is not None and after.data["token"] != before.data["token"] and after.data["expiry"]
    restarted = server()  # a new server process would read the same store
    assert not (await call(restarted, "search_emails", query="subject:invitation", limit=1)).is_error
    latest = accounts.get("work")
    assert latest is not None and latest.data["token"] == after.data["token"]  # no second refresh was needed


@pytest.mark.anyio
async def test_a_revoked_sign_in_answers_with_the_command_that_signs_in_again(
    sandbox: SandboxHandle, accounts: AccountStore, server: Callable[..., Any]
) -> None:
    signed_in(sandbox, accounts)
    stored = accounts.get("work")
    assert stored is not None
    assert sandbox.revoke(stored.data["refresh_token"])
    result = await call(server(), "search_emails", query="x")
    assert result.is_error
    assert "sign-in for account 'work' has expired or was revoked" in text(result)
    assert "Ask the user to run: aide auth google --account work" in text(result)


@pytest.mark.anyio
async def test_before_any_sign_in_the_default_tier_is_listed_and_calls_say_how_to_sign_in(
    server: Callable[..., Any],
) -> None:
    built = server()
    async with Client(built) as client:
        names = [tool.name for tool in (await client.list_tools()).tools]
        result = await client.call_tool("search_emails", {"query": "x"})
    assert names == DEFAULT_TIER
    assert result.is_error and "Gmail has no signed-in account. Ask the user to run: aide auth google" in text(result)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("readonly", ["search_emails", "read_email", "read_thread"]),
        ("organize", ["search_emails", "read_email", "read_thread", "label_emails", "trash_emails"]),
        ("compose", ["search_emails", "read_email", "read_thread", "draft_email", "label_emails", "trash_emails"]),
        ("send", DEFAULT_TIER),
    ],
)
async def test_only_the_tools_an_accounts_sign_in_allows_are_listed(
    sandbox: SandboxHandle, accounts: AccountStore, server: Callable[..., Any], level: str, expected: list[str]
) -> None:
    signed_in(sandbox, accounts, level=level)
    async with Client(server()) as client:
        names = [tool.name for tool in (await client.list_tools()).tools]
    assert names == expected


@pytest.mark.anyio
async def test_signing_in_while_the_server_runs_changes_its_tools_and_tells_the_client(
    sandbox: SandboxHandle, accounts: AccountStore, server: Callable[..., Any]
) -> None:
    async with Client(server()) as client, client.listen(tools_list_changed=True) as changes:
        before = [tool.name for tool in (await client.list_tools()).tools]
        await anyio.to_thread.run_sync(lambda: signed_in(sandbox, accounts, level="readonly"))
        after = [tool.name for tool in (await client.list_tools()).tools]
        with anyio.fail_after(5):
            event = await anext(aiter(changes))
        unlisted = await client.call_tool("send_email", {"to": [SAM], "subject": "s", "body": "b"})
        unchanged = [tool.name for tool in (await client.list_tools()).tools]
    assert before == DEFAULT_TIER
    assert after == unchanged == ["search_emails", "read_email", "read_thread"]
    assert isinstance(event, ToolsListChanged)
    assert unlisted.is_error and "Unknown tool: send_email" in text(unlisted)


@pytest.mark.anyio
async def test_readonly_scopes_alone_never_list_a_tool_that_would_get_403(
    sandbox: SandboxHandle, accounts: AccountStore, server: Callable[..., Any]
) -> None:
    signed_in(sandbox, accounts, level="readonly")
    stored = accounts.get("work")
    assert stored is not None
    stored.data["level"] = "full"  # even when the level would allow more, the granted scopes decide
    accounts.save(stored)
    async with Client(server(tier="extended")) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        listed = await client.call_tool("list_labels", {})
    assert names == {
        "search_emails", "read_email", "read_thread", "list_drafts", "list_labels", "get_attachment", "history_since",
        "list_filters",
    }  # fmt: skip
    assert not listed.is_error


@pytest.mark.anyio
async def test_every_tool_takes_an_account_and_the_accounts_resource_lists_them(
    sandbox: SandboxHandle, accounts: AccountStore, server: Callable[..., Any]
) -> None:
    signed_in(sandbox, accounts, name="personal", who=SAM, level="readonly")
    built = server(authorized_user=sandbox.authorized_user())  # plus the sandbox's account, as "default"
    async with Client(built) as client:
        tools = (await client.list_tools()).tools
        sam = await client.call_tool("search_emails", {"query": "subject:membership", "account": "personal"})
        by_address = await client.call_tool("search_emails", {"query": "subject:membership", "account": SAM})
        alex = await client.call_tool("search_emails", {"query": "subject:membership"})
        unknown = await client.call_tool("search_emails", {"query": "x", "account": "nobody"})
        listing = await client.read_resource("gmail://accounts")
    assert all("account" in tool.input_schema["properties"] for tool in tools)
    assert sam.structured_content is not None and by_address.structured_content is not None
    assert [r["subject"] for r in sam.structured_content["emails"]] == ["Your membership renewal"]
    assert by_address.structured_content == sam.structured_content
    assert alex.structured_content is not None and alex.structured_content["emails"] == []
    assert unknown.is_error and "No account named 'nobody'" in text(unknown) and "default, personal" in text(unknown)
    shown = json.loads(getattr(listing.contents[0], "text", ""))
    assert {(a["name"], a["email"], a["level"]) for a in shown["accounts"]} == {
        ("personal", SAM, "readonly"),
        ("default", ME, "full"),
    }
    personal = next(a for a in shown["accounts"] if a["name"] == "personal")
    assert "https://www.googleapis.com/auth/gmail.readonly" in personal["scopes"]
    assert shown["default"] == "default"


@pytest.mark.anyio
async def test_account_is_listed_only_to_someone_with_a_second_account(
    sandbox: SandboxHandle, accounts: AccountStore, server: Callable[..., Any]
) -> None:
    signed_in(sandbox, accounts, name="work", level="readonly")
    async with Client(server()) as client, client.listen(tools_list_changed=True) as changes:
        one = (await client.list_tools()).tools
        named = await client.call_tool("search_emails", {"query": "subject:invitation", "account": "work"})
        await anyio.to_thread.run_sync(lambda: signed_in(sandbox, accounts, name="personal", who=SAM, level="readonly"))
        two = (await client.list_tools()).tools
        with anyio.fail_after(5):
            event = await anext(aiter(changes))
    assert [tool.name for tool in one] == [tool.name for tool in two] == ["search_emails", "read_email", "read_thread"]
    assert not any("account" in tool.input_schema["properties"] for tool in one)
    assert not named.is_error  # not listed, still taken: it can only name the one account
    assert all(tool.input_schema["properties"]["account"] == {"type": "string"} for tool in two)
    assert isinstance(event, ToolsListChanged)


@pytest.mark.anyio
async def test_a_call_an_account_is_not_signed_in_for_names_the_command_that_grants_it(
    sandbox: SandboxHandle, accounts: AccountStore, server: Callable[..., Any]
) -> None:
    signed_in(sandbox, accounts, name="personal", who=SAM, level="readonly")
    built = server(authorized_user=sandbox.authorized_user())
    result = await call(built, "draft_email", to=[ME], subject="x", body="y", account="personal")
    assert result.is_error
    assert "Ask the user to run: aide auth google --account personal --scopes compose" in text(result)


def test_a_service_account_with_delegation_is_stored_and_acts_as_its_subject(
    accounts: AccountStore, tmp_path: Path
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    key_file = tmp_path / "sa.json"
    key_file.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "p",
                "private_key_id": "k1",
                "private_key": pem.decode(),
                "client_email": "aide@p.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": "https://oauth2.googleapis.com/token",
            }
        )
    )
    add_service_account(accounts, account="company", key_file=key_file, subject="alex@company.example", level="send")
    stored = accounts.get("company")
    assert stored is not None and stored.kind == "service_account" and stored.email == "alex@company.example"
    credentials = stored_credentials(accounts, stored)
    assert type(credentials).__module__ == "google.oauth2.service_account"
    assert credentials._subject == "alex@company.example"  # type: ignore[attr-defined]
    assert "https://www.googleapis.com/auth/gmail.send" in (credentials.scopes or [])  # type: ignore[attr-defined]


def test_aide_auth_lists_and_removes_accounts(sandbox: SandboxHandle, accounts: AccountStore) -> None:
    from aide_google.cli import app

    signed_in(sandbox, accounts, name="personal", who=SAM, level="readonly")
    runner = CliRunner()
    listed = runner.invoke(app, ["list"])
    assert listed.exit_code == 0, listed.output
    assert listed.stdout.split()[:3] == ["personal", SAM, "readonly"]
    removed = runner.invoke(app, ["logout", "--account", "personal"])
    assert removed.exit_code == 0 and accounts.get("personal") is None


class FollowingBrowser:
    """What `webbrowser.get()` returns in place of the system browser: it follows the authorization URL with an
    HTTP client (see `browser`)."""

    def __init__(self) -> None:
        self.follow, self.opened = browser()

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        self.follow(url)
        return True


@pytest.mark.anyio
async def test_aide_auth_google_signs_in_through_the_loopback_redirect_then_lists_and_logs_the_account_out(
    sandbox: SandboxHandle,
    accounts: AccountStore,
    settings: AideSettings,
    server: Callable[..., Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from aide_google.cli import app

    client_file = tmp_path / "client_secret.json"
    client_file.write_text(json.dumps(oauth_config(sandbox)))
    system_browser = FollowingBrowser()
    monkeypatch.setattr(webbrowser, "get", lambda using=None: system_browser)  # the one step a person would do
    runner = CliRunner()
    signed = runner.invoke(
        app,
        ["google", "--account", "work", "--scopes", "organize", "--client-secrets", str(client_file), "--email", ME],
    )
    assert signed.exit_code == 0, signed.output
    assert f"Signed in account 'work' ({ME}) at level organize" in " ".join(signed.stdout.split())
    query = parse_qs(urlsplit(system_browser.opened[0]).query)
    assert query["access_type"] == ["offline"] and query["code_challenge_method"] == ["S256"]
    assert query["login_hint"] == [ME] and set(query["scope"][0].split()) == set(sign_in_scopes("organize"))

    stored = accounts.get("work")
    assert stored is not None and stored.level == "organize" and stored.email == ME
    assert stored.data["refresh_token"].startswith("1//") and stored.data["token"].startswith("ya29.")
    on_disk = (settings.home / "secrets" / "credentials.enc").read_bytes()
    for secret in (stored.data["token"], stored.data["refresh_token"], stored.data["client_secret"], ME):
        assert secret.encode() not in on_disk
    tools = [tool.name for tool in (await server().list_tools())]
    assert "label_emails" in tools and "send_email" not in tools  # a server started now offers the organize tier

    listed = runner.invoke(app, ["list"])
    assert listed.exit_code == 0, listed.output
    assert len(listed.stdout.splitlines()) == 1
    assert listed.stdout.split() == ["work", ME, "organize", *sign_in_scopes("organize")]

    removed = runner.invoke(app, ["logout", "--account", "work"])
    assert removed.exit_code == 0 and "Removed account 'work'" in removed.stdout
    assert accounts.get("work") is None and "google.work" not in open_credentials(settings).names()
    assert runner.invoke(app, ["list"]).stdout == "No Google accounts signed in; sign one in with: aide auth google\n"
    assert "send_email" in [tool.name for tool in (await server().list_tools())]  # signed out: the default tier


@pytest.mark.anyio
async def test_a_403_for_a_missing_scope_names_the_command_that_grants_it(
    sandbox: SandboxHandle, accounts: AccountStore, server: Callable[..., Any]
) -> None:
    signed_in(sandbox, accounts, level="readonly")
    stored = accounts.get("work")
    assert stored is not None
    stored.data |= {"level": "full", "scopes": [*stored.scopes, "https://www.googleapis.com/auth/gmail.modify"]}
    accounts.save(stored)  # the record claims more than Google granted: Gmail itself answers 403
    result = await call(server(), "draft_email", to=[SAM], subject="x", body="y")
    assert result.is_error
    assert "Gmail denied access: Request had insufficient authentication scopes" in text(result)
    assert "Ask the user to run: aide auth google --account work --scopes full" in text(result)


@pytest.mark.anyio
async def test_a_confirmation_for_one_account_does_not_send_from_another(
    gmail_server: Any, sandbox: SandboxHandle, accounts: AccountStore
) -> None:
    signed_in(sandbox, accounts, name="sam", who=SAM)
    letter = {"to": ["friend@example.net"], "subject": "hello", "body": "text"}
    sam_sent_before = sandbox.gmail(SAM).users().messages().list(userId="me", q="in:sent").execute()
    async with gmail_server(confirm="token") as server:
        first = await server.call("send_email", **letter, account="default")
        assert first["preview"].startswith(f"Send 'hello' from {ME} to friend@example.net")
        other = await server.error(
            "send_email", **letter, account="sam", confirmation_token=first["confirmation_token"]
        )
        as_sam = await server.call("send_email", **letter, account="sam")
    assert "Cannot confirm" in other
    assert as_sam["preview"].startswith(f"Send 'hello' from {SAM} to friend@example.net")
    sam_sent = sandbox.gmail(SAM).users().messages().list(userId="me", q="in:sent").execute()
    assert sam_sent.get("resultSizeEstimate") == sam_sent_before.get("resultSizeEstimate")


# -- per person, over HTTP -----------------------------------------------------------------------------------------
TOKENS = {"ann": "ann-token", "bob": "bob-token"}
LETTER = {"to": ["friend@example.net"], "subject": "hello", "body": "text"}


@asynccontextmanager
async def ann_and_bob(settings: AideSettings, gmail: Any) -> AsyncIterator[str]:
    """`gmail` served over streamable HTTP, Ann and Bob each with a token of their own; yields the server's URL."""
    http = settings.http.model_copy(update={"users": TOKENS})
    async with serving(build_app({"gmail": gmail}, http, "main-token")) as base:
        yield f"{base}/gmail/mcp"


async def listed_accounts(client: ToolClient) -> list[tuple[str, str | None]]:
    (content,) = (await client.client.read_resource("gmail://accounts")).contents
    listing = json.loads(getattr(content, "text", ""))
    return [(account["name"], account["email"]) for account in listing["accounts"]]


@pytest.mark.anyio
async def test_over_http_anns_account_serves_only_ann_and_bob_is_told_to_sign_in_himself(
    sandbox: SandboxHandle, accounts: AccountStore, settings: AideSettings, server: Callable[..., Any]
) -> None:
    signed_in(sandbox, AccountStore(accounts.store, user="ann"), name="default", who=ME)
    async with ann_and_bob(settings, server(confirm="token")) as url:
        async with connected(url, TOKENS["ann"]) as ann:
            anns = await listed_accounts(ann)
            preview = await ann.call("send_email", **LETTER)
        async with connected(url, TOKENS["bob"]) as bob:
            bobs = await listed_accounts(bob)
            refused = await bob.error("send_email", **LETTER)
            named = await bob.error("search_emails", query="x", account=ME)
        async with connected(url, "main-token") as main:
            mains = await listed_accounts(main)
            unsigned = await main.error("search_emails", query="x")
    assert anns == [("default", ME)] and bobs == [] and mains == []
    assert preview["preview"].startswith(f"Send 'hello' from {ME} to friend@example.net")
    assert "Gmail has no signed-in account. Ask the user to run: aide auth google --user bob" in refused
    assert "aide auth google --user bob" in named and ME not in named
    assert "Ask the user to run: aide auth google" in unsigned and "--user" not in unsigned


@pytest.mark.anyio
async def test_over_http_ann_and_bob_each_use_their_own_default_account_through_one_server(
    sandbox: SandboxHandle, accounts: AccountStore, settings: AideSettings, server: Callable[..., Any]
) -> None:
    signed_in(sandbox, AccountStore(accounts.store, user="ann"), name="default", who=ME)
    signed_in(sandbox, AccountStore(accounts.store, user="bob"), name="default", who=SAM)
    previews: dict[str, list[str]] = {}
    async with ann_and_bob(settings, server(confirm="token")) as url:
        for _ in range(2):  # the second round reuses each user's kept client
            for user in ("ann", "bob"):
                async with connected(url, TOKENS[user]) as client:
                    preview = (await client.call("send_email", **LETTER))["preview"]
                    previews.setdefault(user, []).append(preview.split(" to ")[0])
                    assert await listed_accounts(client) == [("default", ME if user == "ann" else SAM)]
    assert previews == {"ann": [f"Send 'hello' from {ME}"] * 2, "bob": [f"Send 'hello' from {SAM}"] * 2}
    assert accounts.names() == []  # the configured user signed nothing in


@pytest.mark.anyio
async def test_over_http_each_person_is_listed_the_tools_their_own_accounts_allow(
    sandbox: SandboxHandle, accounts: AccountStore, settings: AideSettings, server: Callable[..., Any]
) -> None:
    signed_in(sandbox, AccountStore(accounts.store, user="ann"), name="default", who=ME, level="readonly")
    signed_in(sandbox, AccountStore(accounts.store, user="bob"), name="default", who=SAM, level="send")
    listed: dict[str, list[str]] = {}
    refused = ""
    async with ann_and_bob(settings, server(confirm="token")) as url:
        for _ in range(2):  # the second round is answered from each caller's kept set
            for user in ("ann", "bob"):
                async with connected(url, TOKENS[user]) as client:
                    listed[user] = [tool.name for tool in (await client.client.list_tools()).tools]
                    if user == "ann":
                        refused = await client.error("send_email", **LETTER)
    assert listed == {"ann": ["search_emails", "read_email", "read_thread"], "bob": DEFAULT_TIER}
    assert "Unknown tool: send_email" in refused


def test_aide_auth_signs_lists_and_logs_out_a_named_users_accounts_apart(
    sandbox: SandboxHandle, accounts: AccountStore, settings: AideSettings, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from aide_google.cli import app

    client_file = tmp_path / "client_secret.json"
    client_file.write_text(json.dumps(oauth_config(sandbox)))
    system_browser = FollowingBrowser()
    monkeypatch.setattr(webbrowser, "get", lambda using=None: system_browser)
    signed_in(sandbox, accounts, name="work", who=ME)
    runner = CliRunner()
    signed = runner.invoke(
        app, ["google", "--user", "ann", "--scopes", "readonly", "--client-secrets", str(client_file), "--email", SAM]
    )
    assert signed.exit_code == 0, signed.output
    assert f"Signed in account 'default' ({SAM}) for user 'ann' at level readonly" in " ".join(signed.stdout.split())
    anns = runner.invoke(app, ["list", "--user", "ann"])
    assert anns.stdout.split()[:3] == ["default", SAM, "readonly"]
    assert runner.invoke(app, ["list"]).stdout.split()[:2] == ["work", ME]
    assert runner.invoke(app, ["list", "--user", "bob"]).stdout == (
        "No Google accounts signed in for user 'bob'; sign one in with: aide auth google --user bob\n"
    )
    removed = runner.invoke(app, ["logout", "--user", "ann"])
    assert removed.exit_code == 0 and "Removed account 'default' of user 'ann'." in removed.stdout
    assert AccountStore(accounts.store, user="ann").names() == [] and accounts.names() == ["work"]


def cli_sign_in(
    sandbox: SandboxHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[Any, list[str]]:
    """`aide auth google --client-secrets FILE ...` in-process, with the URL it shows also visited by `browser()`."""
    import aide_google.cli as google_cli

    secrets = tmp_path / "client_secret.json"
    secrets.write_text(json.dumps(oauth_config(sandbox)))
    visit, opened = browser()
    made = google_cli._opener  # pyright: ignore[reportPrivateUsage]

    def opener(no_browser: bool) -> Callable[[str], None]:
        show = made(no_browser)
        assert show is not None, "the URL is shown, not handed to a browser"

        def shown_and_visited(url: str) -> None:
            show(url)
            visit(url)

        return shown_and_visited

    monkeypatch.setattr(google_cli, "_opener", opener)
    command = ["google", "--client-secrets", str(secrets), "--account", "work", "--scopes", "send", "--email", ME]
    return CliRunner().invoke(google_cli.app, [*command, *args]), opened


def test_no_browser_prints_the_url_once_with_the_words_that_fit(
    sandbox: SandboxHandle, accounts: AccountStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    done, opened = cli_sign_in(sandbox, tmp_path, monkeypatch, "--no-browser")
    assert done.exit_code == 0, done.output
    assert done.stdout == (
        f"Open this URL to sign in:\n{opened[0]}\nSigned in account 'work' ({ME}) at level send; restart running "
        "servers.\n"
    )
    assert accounts.get("work") is not None


def test_with_no_browser_on_the_machine_the_url_is_printed_instead_of_a_traceback(
    sandbox: SandboxHandle, accounts: AccountStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registered = webbrowser.get

    def no_browser(using: str | None = None) -> webbrowser.BaseBrowser:
        if using is None:  # as on a machine with none: only the one the sign-in registers can be had
            raise webbrowser.Error("could not locate runnable browser")
        return registered(using)

    monkeypatch.setattr(webbrowser, "get", no_browser)
    done, opened = cli_sign_in(sandbox, tmp_path, monkeypatch)
    assert done.exit_code == 0, done.output
    assert done.stdout == (
        f"No browser to open here; open this URL to sign in:\n{opened[0]}\nSigned in account 'work' ({ME}) at level "
        "send; restart running servers.\n"
    )
    assert accounts.get("work") is not None
