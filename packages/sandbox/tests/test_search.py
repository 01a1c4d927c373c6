"""Every search operator of `q`, on a known set of messages inserted next to the seed (each carries the word
"quokka", which no seeded message does), plus a few checks on the seed itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from aide_sandbox.testing import NOW, PDF, PNG, mail, raw

MESSAGES: dict[str, dict[str, Any]] = {
    "Budget review": {
        "sender": "Ana Ortiz <ana@alpha.example>",
        "cc": "carl@gamma.example",
        "text": "quokka budget numbers attached",
        "attachments": [("report.pdf", "application/pdf", PDF)],
        "date": datetime(2026, 10, 1, 9, tzinfo=UTC),
        "labels": ["INBOX", "UNREAD", "IMPORTANT"],
    },
    "Holiday photos": {
        "sender": "Ben Brook <ben@beta.example>",
        "text": "quokka beach day",
        "attachments": [("beach.png", "image/png", PNG)],
        "date": datetime(2026, 10, 15, 9, tzinfo=UTC),
        "labels": ["INBOX", "STARRED", "CATEGORY_PERSONAL"],
    },
    "Re: Budget review": {
        "to": "Ana Ortiz <ana@alpha.example>",
        "text": "quokka looks good",
        "date": datetime(2026, 10, 2, 9, tzinfo=UTC),
        "labels": ["SENT"],
    },
    "Trash me": {
        "sender": "dana@delta.example",
        "text": "quokka old stuff",
        "date": datetime(2026, 9, 1, 9, tzinfo=UTC),
        "labels": ["TRASH"],
    },
    "Exact phrase": {
        "sender": "eve@epsilon.example",
        "text": "the quokka smiled widely at noon",
        "date": datetime(2026, 10, 20, 9, tzinfo=UTC),
        "labels": ["INBOX", "Label_1"],  # the seeded user label "Work"
    },
    "Fresh news": {
        "sender": "fred@zeta.example",
        "text": "quokka fresh",
        "date": NOW - timedelta(days=1),
        "labels": ["INBOX", "UNREAD"],
    },
}


@pytest.fixture
def quokkas(gmail: Any) -> Any:
    for subject, spec in MESSAGES.items():
        message = mail(
            subject,
            spec["text"],
            sender=spec.get("sender", "alex.rivera@example.com"),
            to=spec.get("to", "alex.rivera@example.com"),
            cc=spec.get("cc"),
            attachments=spec.get("attachments"),
            date=spec["date"],
        )
        body = {"raw": raw(message), "labelIds": spec["labels"]}
        gmail.users().messages().insert(userId="me", body=body, internalDateSource="dateHeader").execute()
    return gmail


def subjects(gmail: Any, query: str, **params: Any) -> set[str]:
    found = gmail.users().messages().list(userId="me", q=query, maxResults=500, **params).execute()
    result: set[str] = set()
    for ref in found.get("messages", []):
        message = (
            gmail.users().messages().get(userId="me", id=ref["id"], format="metadata", metadataHeaders=["Subject"])
        )
        result.add(message.execute()["payload"]["headers"][0]["value"])
    return result


ALL_BUT_TRASH = {"Budget review", "Holiday photos", "Re: Budget review", "Exact phrase", "Fresh news"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("quokka", ALL_BUT_TRASH),
        ("QUOKKA", ALL_BUT_TRASH),
        ('"quokka smiled"', {"Exact phrase"}),
        ('"smiled quokka"', set()),
        ("quokka from:ana@alpha.example", {"Budget review"}),
        ("quokka from:ana", {"Budget review"}),
        ("quokka to:ana", {"Re: Budget review"}),
        ("quokka cc:carl", {"Budget review"}),
        ("quokka subject:budget", {"Budget review", "Re: Budget review"}),
        ('quokka subject:"holiday photos"', {"Holiday photos"}),
        ("quokka subject:(budget review)", {"Budget review", "Re: Budget review"}),
        ("quokka label:work", {"Exact phrase"}),
        ("quokka label:Label_1", {"Exact phrase"}),
        ("quokka is:unread", {"Budget review", "Fresh news"}),
        ("quokka is:read", {"Holiday photos", "Re: Budget review", "Exact phrase"}),
        ("quokka is:starred", {"Holiday photos"}),
        ("quokka is:important", {"Budget review"}),
        ("quokka in:inbox", {"Budget review", "Holiday photos", "Exact phrase", "Fresh news"}),
        ("quokka in:sent", {"Re: Budget review"}),
        ("quokka in:trash", {"Trash me"}),
        ("quokka in:anywhere", ALL_BUT_TRASH | {"Trash me"}),
        ("quokka has:attachment", {"Budget review", "Holiday photos"}),
        ("quokka filename:pdf", {"Budget review"}),
        ("quokka filename:beach.png", {"Holiday photos"}),
        ("quokka after:2026/10/10", {"Holiday photos", "Exact phrase", "Fresh news"}),
        ("quokka before:2026-10-10", {"Budget review", "Re: Budget review"}),
        ("quokka newer_than:3d", {"Fresh news"}),
        ("quokka older_than:3d", ALL_BUT_TRASH - {"Fresh news"}),
        ("quokka (from:ana OR from:ben)", {"Budget review", "Holiday photos"}),
        ("quokka {from:ana from:ben}", {"Budget review", "Holiday photos"}),
        ("quokka -from:ana", ALL_BUT_TRASH - {"Budget review"}),
        ("quokka -(is:unread OR is:starred)", {"Re: Budget review", "Exact phrase"}),
        ("quokka smiled OR fresh", {"Exact phrase", "Fresh news"}),
        ("smiled OR quokka beach", {"Holiday photos"}),  # OR binds tighter: (smiled OR quokka) beach
        ("quokka from:me", {"Re: Budget review"}),
        ("quokka to:me", ALL_BUT_TRASH - {"Re: Budget review"}),
        ("quokka -to:me", {"Re: Budget review"}),
        ("quokka category:primary", {"Holiday photos"}),
        ("quokka (budget", {"Budget review", "Re: Budget review"}),
    ],
)
def test_search_operator(quokkas: Any, query: str, expected: set[str]) -> None:
    assert subjects(quokkas, query) == expected


def test_include_spam_trash_brings_trash_back(quokkas: Any) -> None:
    assert subjects(quokkas, "quokka", includeSpamTrash=True) == ALL_BUT_TRASH | {"Trash me"}


def test_the_seed_answers_searches_a_person_would_make(gmail: Any) -> None:
    assert subjects(gmail, "subject:Überweisung") == {
        "Überweisung bestätigt — your September statement is ready",
        "Überweisung bestätigt — your October statement is ready",
    }
    assert len(subjects(gmail, "label:projects-offsite")) == 2  # the thread's first subject and its "Re:"
    assert "Action required: your mailbox is almost full" in subjects(gmail, '"ignore previous instructions"')
    assert subjects(gmail, "filename:ics") == {
        "Invitation: Q4 offsite: Konstanz @ Fri 04 Dec 2026 09:00 (UTC)",
        "Invitation: Coffee with Siobhán @ Wed 25 Nov 2026 10:00 (UTC)",
        "Invitation: Postmortem review @ Sun 22 Nov 2026 11:00 (UTC)",
    }
    assert subjects(gmail, "from:山田") == {"来週の打ち合わせについて", "Re: 来週の打ち合わせについて"}
    assert subjects(gmail, "in:spam") == {"Overdue invoice #88213 - immediate payment needed"}


def test_a_date_means_midnight_pacific_and_epoch_seconds_are_exact(gmail: Any) -> None:
    evening_in_california = datetime(2026, 10, 10, 3, 0, tzinfo=UTC)  # 2026-10-09 20:00 PDT
    message = mail("Late wombat", "wombat", date=evening_in_california)
    gmail.users().messages().insert(
        userId="me", body={"raw": raw(message), "labelIds": ["INBOX"]}, internalDateSource="dateHeader"
    ).execute()
    epoch = int(evening_in_california.timestamp())
    assert subjects(gmail, "wombat after:2026/10/10") == set()
    assert subjects(gmail, "wombat before:2026/10/10") == {"Late wombat"}
    assert subjects(gmail, "wombat after:2026/10/09") == {"Late wombat"}
    assert subjects(gmail, f"wombat after:{epoch}") == {"Late wombat"}
    assert subjects(gmail, f"wombat after:{epoch + 1}") == set()
    assert subjects(gmail, f"wombat before:{epoch + 1}") == {"Late wombat"}


def test_excluding_trash_keeps_spam_hidden(gmail: Any) -> None:
    assert subjects(gmail, "overdue in:spam") == {"Overdue invoice #88213 - immediate payment needed"}
    assert subjects(gmail, "overdue -in:trash") == set()
