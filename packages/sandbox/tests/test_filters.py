"""users.settings.filters through google-api-python-client: the Filter resource, and filters acting on mail
that arrives afterwards (here: mail Sam sends to Alex)."""

from __future__ import annotations

from typing import Any

import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.errors import HttpError

from aide_sandbox.app import SandboxHandle
from aide_sandbox.google.auth import FULL_SCOPES
from aide_sandbox.testing import ME, SAM, mail, raw

SETTINGS = "https://www.googleapis.com/auth/gmail.settings.basic"


@pytest.fixture
def gmail(sandbox: SandboxHandle) -> Any:
    """Alex's Gmail with a token that may also manage settings: creating a filter needs gmail.settings.basic, which
    mail.google.com (all the seeded tokens carry) does not cover."""
    info = sandbox.authorized_user(ME, scopes=(*FULL_SCOPES, SETTINGS))
    return sandbox.gmail(credentials=Credentials(token=info["token"]))


SKIP_INBOX = {
    "criteria": {"from": SAM, "subject": "receipt"},
    "action": {"addLabelIds": ["Label_2"], "removeLabelIds": ["INBOX"]},  # Label_2: the seeded "Receipts"
}


def deliver(sandbox: SandboxHandle, subject: str) -> dict[str, Any]:
    """Sam sends Alex a message; Alex's copy, in full."""
    sam, alex = sandbox.gmail(SAM), sandbox.gmail(ME)
    message = mail(subject, "Paid.", sender=SAM, to=ME)
    sam.users().messages().send(userId="me", body={"raw": raw(message)}).execute()
    query = f"rfc822msgid:{message['Message-ID']}"
    found = alex.users().messages().list(userId="me", q=query, includeSpamTrash=True).execute()
    [ref] = found["messages"]
    return alex.users().messages().get(userId="me", id=ref["id"], format="minimal").execute()


def test_a_filter_is_created_listed_fetched_and_deleted(gmail: Any) -> None:
    filters = gmail.users().settings().filters()
    created = filters.create(userId="me", body=SKIP_INBOX).execute()
    assert created["criteria"] == SKIP_INBOX["criteria"] and created["action"] == SKIP_INBOX["action"]
    assert filters.list(userId="me").execute()["filter"] == [created]
    assert filters.get(userId="me", id=created["id"]).execute() == created
    filters.delete(userId="me", id=created["id"]).execute()
    assert filters.list(userId="me").execute().get("filter") is None
    with pytest.raises(HttpError) as gone:
        filters.get(userId="me", id=created["id"]).execute()
    assert gone.value.status_code == 404


def test_a_matching_filter_labels_arriving_mail_and_skips_the_inbox(sandbox: SandboxHandle, gmail: Any) -> None:
    gmail.users().settings().filters().create(userId="me", body=SKIP_INBOX).execute()
    filtered = deliver(sandbox, "Your receipt for October")
    assert "INBOX" not in filtered["labelIds"] and "Label_2" in filtered["labelIds"]
    unfiltered = deliver(sandbox, "Dinner on Friday?")
    assert "INBOX" in unfiltered["labelIds"] and "Label_2" not in unfiltered["labelIds"]


def test_a_negated_query_keeps_mail_out_of_a_filter(sandbox: SandboxHandle, gmail: Any) -> None:
    body = {"criteria": {"query": "paid", "negatedQuery": "urgent"}, "action": {"addLabelIds": ["STARRED"]}}
    gmail.users().settings().filters().create(userId="me", body=body).execute()
    assert "STARRED" in deliver(sandbox, "Gas bill settled")["labelIds"]
    assert "STARRED" not in deliver(sandbox, "Urgent water bill settled")["labelIds"]


@pytest.mark.parametrize(
    "body",
    [
        {"criteria": {}, "action": {"addLabelIds": ["STARRED"]}},
        {"criteria": {"from": SAM}, "action": {}},
        {"criteria": {"from": SAM}, "action": {"addLabelIds": ["Label_999"]}},
    ],
)
def test_a_filter_without_criteria_action_or_known_labels_is_refused(gmail: Any, body: dict[str, Any]) -> None:
    with pytest.raises(HttpError) as refused:
        gmail.users().settings().filters().create(userId="me", body=body).execute()
    assert refused.value.status_code == 400


def test_a_grant_of_chosen_scopes_is_a_new_token_pair_carrying_exactly_them(sandbox: SandboxHandle) -> None:
    info = sandbox.authorized_user(SAM, scopes=(SETTINGS,))
    assert info["scopes"] == [SETTINGS] and info["account"] == SAM
    assert info["token"] != sandbox.authorized_user(SAM)["token"]
    granted = sandbox.sandbox.tokens.tokeninfo(info["token"])
    assert granted is not None and granted["scope"] == SETTINGS and granted["email"] == SAM


def test_the_seeded_token_may_list_filters_but_not_create_them(sandbox: SandboxHandle) -> None:
    filters = sandbox.gmail(ME).users().settings().filters()
    assert filters.list(userId="me").execute() == {}
    with pytest.raises(HttpError) as denied:
        filters.create(userId="me", body=SKIP_INBOX).execute()
    assert denied.value.status_code == 403
