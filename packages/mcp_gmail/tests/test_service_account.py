"""A Google Workspace service account with domain-wide delegation, registered with `aide auth google
--service-account KEY --subject ADDRESS` and driven through the Gmail server: google-auth signs a JWT with the key,
the sandbox's token endpoint checks the delegation and issues a token that acts as the subject."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from typer.testing import CliRunner

from aide_core.credentials import open_credentials
from aide_core.settings import AideSettings
from aide_google.accounts import AccountStore
from aide_google.scopes import sign_in_scopes
from aide_google.signin import add_service_account
from aide_sandbox.app import SandboxHandle
from aide_sandbox.testing import ME, SAM

GMAIL_READONLY = "https://www.googleapis.com/auth/gmail.readonly"


@pytest.fixture
def accounts(settings: AideSettings) -> AccountStore:
    return AccountStore(open_credentials(settings))


@pytest.fixture
def key_file(sandbox: SandboxHandle, tmp_path: Path) -> Path:
    """The sandbox's service account key, as the Cloud console downloads it (its token_uri is the sandbox's)."""
    path = tmp_path / "robot.json"
    path.write_text(json.dumps(sandbox.service_account_info()))
    return path


def text(result: Any) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content)


def register(runner: CliRunner, key_file: Path, *extra: str, subject: str = SAM) -> Any:
    from aide_google.cli import app

    return runner.invoke(
        app, ["google", "--account", "company", "--service-account", str(key_file), "--subject", subject, *extra]
    )


@pytest.mark.anyio
async def test_a_service_account_registered_with_aide_auth_google_searches_and_reads_its_subjects_mail(
    sandbox: SandboxHandle,
    accounts: AccountStore,
    settings: AideSettings,
    key_file: Path,
    server: Callable[..., Any],
) -> None:
    registered = register(CliRunner(), key_file, "--scopes", "organize")
    assert registered.exit_code == 0, registered.output
    robot = sandbox.service_account_info()["client_email"]
    said = " ".join(registered.stdout.split())
    assert f"Registered account 'company': {robot} acting as {SAM} at level organize" in said
    stored = accounts.get("company")
    assert stored is not None and stored.kind == "service_account" and stored.email == SAM
    assert stored.scopes == list(sign_in_scopes("organize"))
    private_key = sandbox.service_account_info()["private_key"]
    assert private_key.splitlines()[1].encode() not in (settings.home / "secrets" / "credentials.enc").read_bytes()

    async with Client(server()) as client:
        names = [tool.name for tool in (await client.list_tools()).tools]
        found = await client.call_tool("search_emails", {"query": "subject:membership"})
        assert not found.is_error, text(found)
        assert found.structured_content is not None
        [row] = found.structured_content["emails"]
        read = await client.call_tool("read_email", {"id": row["id"]})
        labelled = await client.call_tool("label_emails", {"ids": [row["id"]], "add": ["star"]})
        listing = await client.read_resource("gmail://accounts")
    assert names == ["search_emails", "read_email", "read_thread", "label_emails", "trash_emails"]
    assert row["subject"] == "Your membership renewal"  # Sam's mail, not Alex's
    assert not read.is_error and read.structured_content is not None
    assert read.structured_content["subject"] == "Your membership renewal"
    assert not labelled.is_error, text(labelled)
    sams = sandbox.gmail(SAM).users().messages().get(userId="me", id=row["id"], format="minimal").execute()
    assert "STARRED" in sams["labelIds"]  # the change was made in the subject's mailbox
    [shown] = json.loads(getattr(listing.contents[0], "text", ""))["accounts"]
    assert (shown["name"], shown["email"], shown["level"]) == ("company", SAM, "organize")


@pytest.mark.anyio
async def test_a_service_account_whose_admin_delegated_only_gmail_still_works_for_gmail(
    sandbox: SandboxHandle, accounts: AccountStore, key_file: Path, server: Callable[..., Any]
) -> None:
    add_service_account(accounts, account="company", key_file=key_file, subject=ME, level="send")
    sandbox.delegate(("https://www.googleapis.com/auth/gmail.",))  # no Calendar: Gmail asks only for its scopes
    async with Client(server()) as client:
        sent = await client.call_tool("send_email", {"to": [SAM], "subject": "From the robot", "body": "Hi Sam"})
    assert not sent.is_error, text(sent)
    inbox = sandbox.gmail(SAM).users().messages().list(userId="me", q='subject:"From the robot"').execute()
    assert len(inbox["messages"]) == 1


@pytest.mark.anyio
async def test_a_key_whose_delegation_is_refused_answers_with_what_the_admin_must_authorize(
    sandbox: SandboxHandle, accounts: AccountStore, key_file: Path, server: Callable[..., Any]
) -> None:
    add_service_account(accounts, account="company", key_file=key_file, subject=SAM, level="send")
    sandbox.delegate((GMAIL_READONLY,))  # the admin authorized less than the account asks for
    client_id = sandbox.service_account_info()["client_id"]
    async with Client(server()) as client:
        refused = await client.call_tool("search_emails", {"query": "subject:membership"})
    assert refused.is_error
    said = text(refused)
    assert f"its client id {client_id} is not authorized by domain-wide delegation" in said
    assert f"so it cannot act as {SAM}" in said
    gmail_scopes = [s for s in sign_in_scopes("send") if "/gmail." in s]
    assert f"authorize client id {client_id} with exactly these scopes" in said
    assert ",".join(gmail_scopes) in said and "calendar" not in said  # only what Gmail asks for
    assert "Domain-wide delegation" in said
    assert f"aide auth google --account company --service-account KEY.json --subject {SAM} --scopes readonly" in said

    sandbox.delegate(("https://www.googleapis.com/auth/gmail.",))  # once the admin has fixed it, the next call works
    async with Client(server()) as client:
        fixed = await client.call_tool("search_emails", {"query": "subject:membership"})
    assert not fixed.is_error, text(fixed)


@pytest.mark.anyio
async def test_a_subject_outside_the_domain_answers_with_the_command_that_registers_the_key_again(
    accounts: AccountStore, key_file: Path, server: Callable[..., Any]
) -> None:
    add_service_account(accounts, account="company", key_file=key_file, subject="nobody@example.com", level="send")
    async with Client(server()) as client:
        refused = await client.call_tool("search_emails", {"query": "x"})
    assert refused.is_error
    said = text(refused)
    assert "cannot act as nobody@example.com for account 'company': there is no such user" in said
    assert "aide auth google --account company --service-account KEY.json --subject ADDRESS --scopes send" in said


@pytest.mark.anyio
async def test_a_key_google_no_longer_accepts_answers_with_how_to_make_and_register_a_new_one(
    sandbox: SandboxHandle, accounts: AccountStore, tmp_path: Path, server: Callable[..., Any]
) -> None:
    from aide_sandbox.google.service_accounts import ServiceAccount

    deleted = tmp_path / "old-key.json"  # the same account, but a key Google does not know (deleted, say)
    deleted.write_text(
        json.dumps(sandbox.service_account_info() | {"private_key": ServiceAccount.generate().private_key})
    )
    add_service_account(accounts, account="company", key_file=deleted, subject=SAM, level="readonly")
    async with Client(server()) as client:
        refused = await client.call_tool("search_emails", {"query": "x"})
    assert refused.is_error
    said = text(refused)
    assert "Google refused the key of the service account" in said and "Invalid JWT Signature" in said
    assert "create a new one in the Google Cloud console" in said
    assert f"aide auth google --account company --service-account KEY.json --subject {SAM} --scopes readonly" in said


def test_aide_auth_google_checks_the_delegation_and_stores_nothing_when_it_is_refused(
    sandbox: SandboxHandle, accounts: AccountStore, key_file: Path
) -> None:
    sandbox.delegate(())
    runner = CliRunner()
    refused = register(runner, key_file)
    assert refused.exit_code == 1
    said = " ".join(refused.stderr.split())
    assert "Google refused the service account" in said and "not authorized by domain-wide delegation" in said
    assert accounts.get("company") is None

    unchecked = register(runner, key_file, "--no-check")  # e.g. registered before the admin has authorized it
    assert unchecked.exit_code == 0, unchecked.output
    assert accounts.get("company") is not None


def test_aide_auth_google_stores_a_key_delegated_for_gmail_only_and_warns_what_calendar_needs(
    sandbox: SandboxHandle, accounts: AccountStore, key_file: Path
) -> None:
    sandbox.delegate(("https://mail.google.com/", "https://www.googleapis.com/auth/gmail."))
    registered = register(CliRunner(), key_file, "--scopes", "readonly")
    assert registered.exit_code == 0, registered.output
    warned = " ".join(registered.stderr.split())
    client_id = sandbox.service_account_info()["client_id"]
    assert warned.startswith("warning: Google refused the service account") and "for Calendar" in warned
    assert f"authorize client id {client_id} with exactly these scopes" in warned
    assert warned.count("https://www.googleapis.com/auth/calendar.readonly") == 1 and "auth/gmail" not in warned
    assert accounts.get("company") is not None


def test_aide_auth_google_refuses_a_service_account_without_a_subject_or_with_a_file_that_is_no_key(
    accounts: AccountStore, key_file: Path, tmp_path: Path
) -> None:
    from aide_core.errors import ConfigError
    from aide_google.cli import app

    runner = CliRunner()
    no_subject = runner.invoke(app, ["google", "--service-account", str(key_file)])
    assert no_subject.exit_code == 2 and "--service-account needs --subject" in no_subject.output
    not_a_key = tmp_path / "client_secret.json"
    not_a_key.write_text(json.dumps({"installed": {"client_id": "x"}}))
    wrong = register(runner, not_a_key)
    assert isinstance(wrong.exception, ConfigError) and "not a service account key file" in str(wrong.exception)
    no_address = register(runner, key_file, subject="sam")
    assert isinstance(no_address.exception, ConfigError) and "is not an address" in str(no_address.exception)
    assert accounts.names() == []


@pytest.mark.anyio
async def test_a_malformed_stored_key_answers_with_how_to_register_it_again_not_an_internal_error(
    accounts: AccountStore, server: Callable[..., Any]
) -> None:
    from aide_google.accounts import GoogleAccount

    data = {"type": "service_account", "info": {"type": "service_account"}, "subject": SAM, "email": SAM}
    accounts.save(GoogleAccount("company", data | {"level": "readonly", "scopes": [GMAIL_READONLY]}))
    async with Client(server()) as client:
        found = await client.call_tool("search_emails", {"query": "x"})
    assert found.is_error
    assert text(found) == (
        "Error executing tool search_emails: Gmail cannot use account 'company': its stored key lacks client_email, "
        "private_key, token_uri; register it again. Ask the user to run: aide auth google --account company "
        f"--service-account KEY.json --subject {SAM} --scopes readonly"
    )
