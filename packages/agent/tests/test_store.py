"""Conversations are per user: one file, each user's store sees only their own."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from aide_agent.messages import Message
from aide_agent.store import SCHEMA_VERSION, ConversationStore
from aide_core.errors import StoreUnavailable


def test_a_user_never_lists_reads_resumes_adds_to_or_deletes_another_users_conversation(tmp_path: Path) -> None:
    path = tmp_path / "conversations.sqlite3"
    ann, bob = ConversationStore(path, user="ann"), ConversationStore(path, user="bob")
    anns = ann.create(model="m")
    ann.append(anns, [Message.user("my surprise party is on Friday")])
    bobs = bob.create(model="m")
    bob.append(bobs, [Message.user("hello")])
    with pytest.raises(KeyError, match=repr(anns)):
        bob.append(anns, [Message.user("cancelled")])
    assert [info.id for info in bob.list()] == [bobs]
    assert bob.messages(anns) == [] and not bob.exists(anns) and not bob.delete(anns)
    assert [info.title for info in ann.list()] == ["my surprise party is on Friday"]
    assert [m.text for m in ann.messages(anns)] == ["my surprise party is on Friday"]


def test_conversations_saved_before_users_become_the_default_users(tmp_path: Path) -> None:
    path = tmp_path / "conversations.sqlite3"
    with sqlite3.connect(path) as db:  # the schema an older aide wrote, without a version
        db.executescript(
            """
            CREATE TABLE conversations (id TEXT PRIMARY KEY, title TEXT NOT NULL DEFAULT '',
                model TEXT NOT NULL DEFAULT '', created_at REAL NOT NULL, updated_at REAL NOT NULL);
            CREATE TABLE messages (conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
                seq INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (conversation_id, seq));
            INSERT INTO conversations VALUES ('old1', 'an old chat', 'm', 1.0, 2.0);
            """
        )
    db.close()
    mine, ann = ConversationStore(path), ConversationStore(path, user="ann")
    assert [info.id for info in mine.list()] == ["old1"] and ann.list() == []
    mine.append("old1", [Message.user("still here")])
    assert [m.text for m in mine.messages("old1")] == ["still here"]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()


def test_a_conversation_file_from_a_newer_aide_asks_for_an_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "conversations.sqlite3"
    ConversationStore(path)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version=99")
    db.close()
    with pytest.raises(StoreUnavailable, match=r"was written by a newer aide \(schema 99\)"):
        ConversationStore(path)
