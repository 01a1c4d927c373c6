"""Filters end to end: a token that carries `gmail.settings.basic` (a grant the sandbox issues for the test), a
filter made through the side-effect guard, applied by the sandbox to mail Sam sends Alex afterwards, and deleted."""

from __future__ import annotations

from typing import Any

import pytest

from aide_sandbox.app import SandboxHandle
from aide_sandbox.testing import ME, SAM

pytestmark = pytest.mark.anyio

MAIL = "https://mail.google.com/"
G = "https://www.googleapis.com/auth/"
SETTINGS = G + "gmail.settings.basic"
RECEIPTS = {"query": f"from:{SAM} subject:receipt", "add": ["Receipts", "archive"]}


async def deliver(sam: Any, subject: str) -> None:
    """Sam sends Alex a message through Sam's own Gmail server."""
    sent = await sam.call("send_email", to=[ME], subject=subject, body="Paid, thanks.")
    assert sent["status"] == "done"


async def row(alex: Any, subject: str) -> dict[str, Any]:
    [found] = (await alex.call("search_emails", query=f'subject:"{subject}"'))["emails"]
    return found


async def test_a_filter_made_through_the_guard_labels_later_mail_until_it_is_deleted(
    gmail_server: Any, sandbox: SandboxHandle
) -> None:
    alex_grant = sandbox.authorized_user(ME, scopes=(MAIL, SETTINGS))
    async with (
        gmail_server(tier="extended", authorized_user=alex_grant, confirm="token") as alex,
        gmail_server(authorized_user=sandbox.authorized_user(SAM)) as sam,
    ):
        assert {"list_filters", "manage_filter"} <= set(await alex.tools())
        assert (await alex.call("list_filters"))["filters"] == []

        asked = await alex.call("manage_filter", **RECEIPTS)
        assert asked["status"] == "confirmation_required"
        assert asked["preview"] == (
            "Create a filter that adds ['Receipts', 'archive'] and removes [], "
            f"on mail matching 'from:{SAM} subject:receipt', now and in future"
        )
        assert (await alex.call("list_filters"))["filters"] == []  # nothing made before the confirmation
        made = await alex.call("manage_filter", **RECEIPTS, confirmation_token=asked["confirmation_token"])
        assert made["status"] == "done"
        created = made["result"]
        assert created["criteria"] == {"query": f"from:{SAM} subject:receipt"}
        assert created["add_labels"] == ["Receipts"] and created["remove_labels"] == ["INBOX"]
        again = await alex.call("manage_filter", **RECEIPTS)  # the same call twice makes one filter
        assert again["status"] == "replayed" and again["result"]["id"] == created["id"]
        assert (await alex.call("list_filters"))["filters"] == [created]

        await deliver(sam, "Your receipt for order 4711")
        await deliver(sam, "Board games at Marta's on Friday")
        filtered = await row(alex, "Your receipt for order 4711")
        unfiltered = await row(alex, "Board games at Marta's on Friday")
        assert "Receipts" in filtered["labels"] and "INBOX" not in filtered["labels"]
        assert "INBOX" in unfiltered["labels"] and "Receipts" not in unfiltered["labels"]

        asked = await alex.call("manage_filter", delete_id=created["id"])
        assert asked["status"] == "confirmation_required" and asked["preview"] == f"Delete filter {created['id']}"
        deleted = await alex.call(
            "manage_filter", delete_id=created["id"], confirmation_token=asked["confirmation_token"]
        )
        assert deleted["status"] == "done" and deleted["result"]["id"] == created["id"]
        assert (await alex.call("list_filters"))["filters"] == []
        await deliver(sam, "Your receipt for order 4712")
        after = await row(alex, "Your receipt for order 4712")
        assert "INBOX" in after["labels"] and "Receipts" not in after["labels"]


async def test_deleting_a_filter_that_does_not_exist_names_the_tool_that_lists_them(
    gmail_server: Any, sandbox: SandboxHandle
) -> None:
    grant = sandbox.authorized_user(ME, scopes=(MAIL, SETTINGS))
    async with gmail_server(tier="extended", authorized_user=grant) as alex:
        missing = await alex.error("manage_filter", delete_id="ANe1BmjNoSuch")
        unknown_label = await alex.error("manage_filter", query="from:x@example.com", add=["No such label"])
    assert "No filter ANe1BmjNoSuch" in missing and "list_filters" in missing
    assert "No label named 'No such label'" in unknown_label and "Receipts" in unknown_label


@pytest.mark.parametrize(
    ("scopes", "listed"),
    [
        ((MAIL,), {"list_filters"}),  # what the sandbox's seeded tokens carry
        ((G + "gmail.readonly",), {"list_filters"}),
        ((SETTINGS,), set()),  # filters, but not the labels both tools name
        ((G + "gmail.modify", SETTINGS), {"list_filters", "manage_filter"}),
    ],
)
async def test_the_filter_tools_are_listed_only_for_grants_whose_calls_would_all_succeed(
    gmail_server: Any, sandbox: SandboxHandle, scopes: tuple[str, ...], listed: set[str]
) -> None:
    grant = sandbox.authorized_user(ME, scopes=scopes)
    async with gmail_server(tier="extended", authorized_user=grant) as alex:
        names = set(await alex.tools())
        if "list_filters" in listed:
            assert (await alex.call("list_filters"))["filters"] == []  # and the calls do succeed
    assert names & {"list_filters", "manage_filter"} == listed


@pytest.mark.parametrize(
    "arguments",
    [
        {"query": "from:x", "add": ["trash"]},
        {"query": "from:x", "add": ["SPAM"]},
        {"query": "from:x\n\n" + " " * 2100, "add": ["trash"]},
        {"query": "from:x\r\nsubject:y", "add": ["Receipts"]},
    ],
)
async def test_a_filter_never_trashes_or_spams_arriving_mail_and_its_query_is_one_line(
    gmail_server: Any, sandbox: SandboxHandle, arguments: dict[str, Any]
) -> None:
    grant = sandbox.authorized_user(ME, scopes=(MAIL, SETTINGS))
    async with gmail_server(tier="extended", confirm="token", authorized_user=grant) as server:
        error = await server.error("manage_filter", **arguments)
        assert (await server.call("list_filters"))["filters"] == []
    assert "A filter cannot add" in error or "query contains a control character" in error
