"""aide's own databases are private to the user and, when they cannot be used, say which file and what to do."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from aide_core.activity import spec as activity
from aide_core.errors import StoreUnavailable
from aide_core.guard_store import GuardStore
from aide_core.server import ServerSpec
from aide_core.settings import AideSettings
from aide_core.stores import connect, immediate, opened, private_file, use_wal

pytestmark = pytest.mark.anyio


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that lets everyone read everything: the modes must not depend on the user's umask."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("open_umask")
def test_the_guard_database_and_its_wal_files_are_0600_in_a_0700_home(settings: AideSettings) -> None:
    store = GuardStore(settings.home / "guard.sqlite3")
    store.audit("gmail", "send_email", "digest", "done", subject="default")
    files = sorted(path.name for path in settings.home.iterdir())
    assert mode(settings.home) == 0o700
    assert {name: mode(settings.home / name) for name in files} == dict.fromkeys(files, 0o600)
    assert "guard.sqlite3" in files


def test_a_database_left_readable_by_others_is_tightened_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    connect(path, what="test").close()
    path.chmod(0o644)
    private_file(path)
    assert mode(path) == 0o600


async def test_a_corrupt_guard_database_is_named_with_what_to_do_not_an_internal_error(settings: AideSettings) -> None:
    settings.home.mkdir(mode=0o700)
    path = settings.home / "guard.sqlite3"
    path.write_bytes(b"this is not a database, just garbage " * 200)
    async with Client(activity.build(settings)) as client:
        result = await client.call_tool("list_activity", {})
    assert result.is_error
    assert result.content[0].text == (  # type: ignore[union-attr]
        f"Error executing tool list_activity: The guard database {path} is damaged or is not an SQLite database "
        "(file is not a database). The user must move the file away (aide then starts a new, empty one) or restore it "
        "from a backup."
    )


async def test_an_unreadable_guard_database_is_named_with_what_to_do(settings: AideSettings) -> None:
    path = settings.home / "guard.sqlite3"
    path.mkdir(parents=True)  # a folder where the file should be: unreadable as a database even to root
    async with Client(activity.build(settings)) as client:
        result = await client.call_tool("list_activity", {})
    assert result.is_error
    assert result.content[0].text == (  # type: ignore[union-attr]
        f"Error executing tool list_activity: Cannot open the guard database {path} (unable to open database file). "
        "The user must make it a file, in a folder, that the account running aide can read and write."
    )


def test_a_guard_database_from_a_newer_aide_asks_for_an_upgrade(settings: AideSettings) -> None:
    path = settings.home / "guard.sqlite3"
    connection = connect(path, what="guard")
    connection.execute("PRAGMA user_version=99")
    connection.close()
    with pytest.raises(StoreUnavailable) as refused:
        GuardStore(path).audit_entries()
    assert str(refused.value) == (
        f"The guard database {path} was written by a newer aide (schema 99). The user must upgrade aide."
    )


async def test_a_corrupt_guard_database_stops_an_action_with_the_same_clear_message(
    example_app: ServerSpec[Any], settings: AideSettings
) -> None:
    """The guard reads its store before any action's body runs (in the SDK's resolver, where an exception would be
    the SDK's bare error): the action is refused naming the file, and nothing is sent."""
    settings.home.mkdir(mode=0o700)
    path = settings.home / "guard.sqlite3"
    path.write_bytes(b"this is not a database, just garbage " * 200)
    async with Client(example_app.build(settings)) as client:
        result = await client.call_tool("send", {"to": "ann@example.com", "text": "hi"})
        outbox = await client.call_tool("outbox_size", {})
    assert result.is_error
    assert result.content[0].text == (  # type: ignore[union-attr]
        f"Error executing tool send: The guard database {path} is damaged or is not an SQLite database "
        "(file is not a database). The user must move the file away (aide then starts a new, empty one) or restore "
        "it from a backup."
    )
    assert outbox.structured_content == {"to": "", "count": 0}


def test_an_immediate_transaction_commits_on_success_and_rolls_back_on_any_exception(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    with opened(path, what="test", wal=True) as db:
        db.execute("CREATE TABLE t (x INTEGER)")
        with immediate(db):
            db.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(KeyboardInterrupt), immediate(db):
            db.execute("INSERT INTO t VALUES (2)")
            raise KeyboardInterrupt
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with opened(path, what="test") as db:
        assert db.execute("SELECT x FROM t").fetchall() == [(1,)]


def test_a_file_that_fails_after_opening_is_named_as_unavailable_and_closed(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    with opened(path, what="test") as db:
        db.execute("CREATE TABLE t (x INTEGER)")
    kept: list[sqlite3.Connection] = []
    with pytest.raises(StoreUnavailable) as refused, opened(path, what="test") as db:
        kept.append(db)
        path.write_bytes(b"garbage " * 1000)  # what a damaged disk or another program leaves
        db.execute("SELECT x FROM t").fetchall()
    assert str(path) in str(refused.value)
    with pytest.raises(Exception, match="closed"):
        kept[0].execute("SELECT 1")


def test_the_switch_to_wal_waits_for_another_process_switching_it(tmp_path: Path) -> None:
    """SQLite answers a clash over the switch with "database is locked" at once, whatever the busy timeout: the switch
    is tried again after a pause (the pause is injected here: it lets the other holder go)."""
    path = tmp_path / "t.db"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("CREATE TABLE t (x INTEGER)")
    other.execute("BEGIN EXCLUSIVE")  # as another process does while it switches the file
    paused: list[float] = []

    def pause(seconds: float) -> None:
        paused.append(seconds)
        other.execute("COMMIT")

    mine = sqlite3.connect(path, timeout=0, isolation_level=None)
    use_wal(mine, sleep=pause)
    assert mine.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert paused == [0.01]
    mine.close()
    other.close()
