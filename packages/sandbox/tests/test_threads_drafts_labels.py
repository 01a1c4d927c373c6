"""users.threads, users.drafts, users.labels and users.history through google-api-python-client."""

from __future__ import annotations

from typing import Any

import pytest
from googleapiclient.errors import HttpError

from aide_sandbox.testing import error_of, headers_of, mail, raw


def offsite_thread(gmail: Any) -> str:
    threads = gmail.users().threads().list(userId="me", q="subject:offsite planning").execute()["threads"]
    assert len(threads) == 1
    return threads[0]["id"]


def test_the_long_seeded_thread_holds_ten_quoted_replies_in_order(gmail: Any) -> None:
    thread = gmail.users().threads().get(userId="me", id=offsite_thread(gmail), format="full").execute()
    messages = thread["messages"]
    assert len(messages) == 10
    assert [int(m["internalDate"]) for m in messages] == sorted(int(m["internalDate"]) for m in messages)
    assert headers_of(messages[0]["payload"])["Subject"] == "Q4 offsite planning"
    assert all(headers_of(m["payload"])["Subject"] == "Re: Q4 offsite planning" for m in messages[1:])
    assert int(thread["historyId"]) == max(int(m["historyId"]) for m in messages)
    last = messages[-1]["payload"]["body"]["data"]
    from aide_sandbox.testing import unb64

    assert b"\n> " in unb64(last)


def test_a_reply_with_references_joins_the_thread_and_a_new_subject_does_not(gmail: Any) -> None:
    thread_id = offsite_thread(gmail)
    thread = gmail.users().threads().get(userId="me", id=thread_id, format="metadata").execute()
    parent = headers_of(thread["messages"][-1]["payload"])["Message-ID"]
    reply = mail("Re: Q4 offsite planning", "One more thing.", headers={"In-Reply-To": parent, "References": parent})
    sent = gmail.users().messages().send(userId="me", body={"raw": raw(reply), "threadId": thread_id}).execute()
    assert sent["threadId"] == thread_id
    other = mail("Something else", "Unrelated.", headers={"In-Reply-To": parent})
    unrelated = gmail.users().messages().send(userId="me", body={"raw": raw(other), "threadId": thread_id}).execute()
    assert unrelated["threadId"] == unrelated["id"] != thread_id


def test_thread_modify_trash_and_untrash_touch_every_message(gmail: Any) -> None:
    threads = gmail.users().threads()
    thread_id = offsite_thread(gmail)
    modified = threads.modify(userId="me", id=thread_id, body={"addLabelIds": ["STARRED"]}).execute()
    assert all("STARRED" in m["labelIds"] for m in modified["messages"])
    assert len(modified["messages"]) == 10
    trashed = threads.trash(userId="me", id=thread_id).execute()
    assert all("TRASH" in m["labelIds"] for m in trashed["messages"])
    assert threads.list(userId="me", q="subject:offsite planning").execute().get("threads") is None
    restored = threads.untrash(userId="me", id=thread_id).execute()
    assert not any("TRASH" in m["labelIds"] for m in restored["messages"])


def test_thread_list_gives_one_entry_per_thread_with_a_snippet(gmail: Any) -> None:
    listed = gmail.users().threads().list(userId="me", maxResults=20).execute()
    ids = [t["id"] for t in listed["threads"]]
    assert len(ids) == len(set(ids)) == 20
    assert all(t["snippet"] and t["historyId"] for t in listed["threads"])
    assert "nextPageToken" in listed


def test_a_draft_is_created_listed_updated_sent_and_gone(gmail: Any) -> None:
    drafts = gmail.users().drafts()
    created = drafts.create(userId="me", body={"message": {"raw": raw(mail("Draft one", "first"))}}).execute()
    assert created["message"]["labelIds"] == ["DRAFT"]
    assert created["id"] in [d["id"] for d in drafts.list(userId="me").execute()["drafts"]]
    updated = drafts.update(
        userId="me", id=created["id"], body={"id": created["id"], "message": {"raw": raw(mail("Draft two", "second"))}}
    ).execute()
    assert updated["id"] == created["id"] and updated["message"]["id"] != created["message"]["id"]
    fetched = drafts.get(userId="me", id=created["id"], format="full").execute()
    assert headers_of(fetched["message"]["payload"])["Subject"] == "Draft two"
    assert [d["id"] for d in drafts.list(userId="me", q="subject:two").execute()["drafts"]] == [created["id"]]
    sent = drafts.send(userId="me", body={"id": created["id"]}).execute()
    assert sent["labelIds"] == ["SENT"]
    assert drafts.list(userId="me").execute().get("drafts") is None
    with pytest.raises(HttpError) as gone:
        drafts.get(userId="me", id=created["id"]).execute()
    assert gone.value.status_code == 404


def test_a_deleted_draft_takes_its_message_along(gmail: Any) -> None:
    drafts = gmail.users().drafts()
    created = drafts.create(userId="me", body={"message": {"raw": raw(mail("Scrap", "no"))}}).execute()
    assert drafts.delete(userId="me", id=created["id"]).execute() == ""
    with pytest.raises(HttpError) as gone:
        gmail.users().messages().get(userId="me", id=created["message"]["id"]).execute()
    assert gone.value.status_code == 404


def test_labels_are_listed_counted_created_renamed_and_deleted(gmail: Any) -> None:
    labels = gmail.users().labels()
    listed = {label["name"]: label for label in labels.list(userId="me").execute()["labels"]}
    assert {"INBOX", "SENT", "UNREAD", "Work", "Projects/Offsite"} <= set(listed)
    assert listed["INBOX"]["type"] == "system" and listed["Work"]["type"] == "user"
    inbox = labels.get(userId="me", id="INBOX").execute()
    assert inbox["messagesTotal"] > inbox["messagesUnread"] > 0
    assert inbox["threadsTotal"] <= inbox["messagesTotal"]

    created = labels.create(userId="me", body={"name": "Taxes 2026", "labelListVisibility": "labelShow"}).execute()
    assert created["type"] == "user" and created["name"] == "Taxes 2026"
    with pytest.raises(HttpError) as duplicate:
        labels.create(userId="me", body={"name": "taxes 2026"}).execute()
    assert duplicate.value.status_code == 409
    renamed = labels.patch(userId="me", id=created["id"], body={"name": "Taxes"}).execute()
    assert renamed["name"] == "Taxes" and renamed["id"] == created["id"]

    message_id = gmail.users().messages().list(userId="me", maxResults=1).execute()["messages"][0]["id"]
    gmail.users().messages().modify(userId="me", id=message_id, body={"addLabelIds": [created["id"]]}).execute()
    assert labels.get(userId="me", id=created["id"]).execute()["messagesTotal"] == 1
    assert labels.delete(userId="me", id=created["id"]).execute() == ""
    after = gmail.users().messages().get(userId="me", id=message_id, format="minimal").execute()
    assert created["id"] not in after["labelIds"]
    with pytest.raises(HttpError) as system:
        labels.delete(userId="me", id="INBOX").execute()
    assert system.value.status_code == 400


def test_history_replays_additions_label_changes_and_deletions(gmail: Any) -> None:
    start = gmail.users().getProfile(userId="me").execute()["historyId"]
    messages = gmail.users().messages()
    sent = messages.send(userId="me", body={"raw": raw(mail("History", "h"))}).execute()
    messages.modify(userId="me", id=sent["id"], body={"addLabelIds": ["STARRED"]}).execute()
    messages.modify(userId="me", id=sent["id"], body={"removeLabelIds": ["STARRED"]}).execute()
    messages.delete(userId="me", id=sent["id"]).execute()

    history = gmail.users().history().list(userId="me", startHistoryId=start).execute()
    kinds = [next(k for k in record if k not in ("id", "messages")) for record in history["history"]]
    assert kinds == ["messagesAdded", "labelsAdded", "labelsRemoved", "messagesDeleted"]
    assert history["history"][1]["labelsAdded"][0]["labelIds"] == ["STARRED"]
    assert int(history["historyId"]) == int(start) + 4
    added = gmail.users().history().list(userId="me", startHistoryId=start, historyTypes=["messageAdded"]).execute()
    assert [r["messagesAdded"][0]["message"]["id"] for r in added["history"]] == [sent["id"]]
    paged = gmail.users().history().list(userId="me", startHistoryId=start, maxResults=3).execute()
    rest = gmail.users().history().list(userId="me", startHistoryId=start, pageToken=paged["nextPageToken"]).execute()
    assert len(paged["history"]) == 3 and len(rest["history"]) == 1


def test_history_from_before_the_oldest_record_is_not_found(gmail: Any) -> None:
    with pytest.raises(HttpError) as old:
        gmail.users().history().list(userId="me", startHistoryId="5").execute()
    assert old.value.status_code == 404
    assert error_of(old.value)["errors"][0]["reason"] == "notFound"


def test_history_can_be_narrowed_to_one_label(gmail: Any) -> None:
    start = gmail.users().getProfile(userId="me").execute()["historyId"]
    messages = gmail.users().messages()
    ids = [m["id"] for m in messages.list(userId="me", maxResults=2).execute()["messages"]]
    messages.modify(userId="me", id=ids[0], body={"addLabelIds": ["STARRED"]}).execute()
    messages.modify(userId="me", id=ids[1], body={"addLabelIds": ["Label_2"]}).execute()
    starred = gmail.users().history().list(userId="me", startHistoryId=start, labelId="STARRED").execute()
    assert [r["messages"][0]["id"] for r in starred["history"]] == [ids[0]]


def test_a_thread_id_without_references_starts_a_new_thread(gmail: Any) -> None:
    thread_id = offsite_thread(gmail)
    bare = mail("Re: Q4 offsite planning", "No headers pointing anywhere.")
    sent = gmail.users().messages().send(userId="me", body={"raw": raw(bare), "threadId": thread_id}).execute()
    assert sent["threadId"] == sent["id"] != thread_id


def test_references_without_a_thread_id_start_a_new_thread_on_send(gmail: Any) -> None:
    thread_id = offsite_thread(gmail)
    thread = gmail.users().threads().get(userId="me", id=thread_id, format="metadata").execute()
    parent = headers_of(thread["messages"][-1]["payload"])["Message-ID"]
    reply = mail("Re: Q4 offsite planning", "Forgot the id.", headers={"In-Reply-To": parent, "References": parent})
    sent = gmail.users().messages().send(userId="me", body={"raw": raw(reply)}).execute()
    assert sent["threadId"] == sent["id"] != thread_id


def test_a_draft_message_cannot_be_relabelled_but_its_thread_can(gmail: Any) -> None:
    draft = gmail.users().drafts().create(userId="me", body={"message": {"raw": raw(mail("Later", "Hm."))}}).execute()
    message_id = draft["message"]["id"]
    with pytest.raises(HttpError) as refused:
        gmail.users().messages().modify(userId="me", id=message_id, body={"addLabelIds": ["STARRED"]}).execute()
    assert refused.value.status_code == 400
    threads = gmail.users().threads()
    threads.modify(userId="me", id=draft["message"]["threadId"], body={"addLabelIds": ["STARRED"]}).execute()
    assert gmail.users().messages().get(userId="me", id=message_id, format="minimal").execute()["labelIds"] == ["DRAFT"]
