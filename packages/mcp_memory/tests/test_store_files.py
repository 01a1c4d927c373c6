"""The memory database is private to the user, and a damaged or unreadable one is reported through the tool call
with the file's name and what to do, not as an internal error."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from aide_core.settings import AideSettings

pytestmark = pytest.mark.anyio


async def test_the_memory_database_is_0600_in_a_0700_folder_whatever_the_umask(
    memory_server, settings: AideSettings
) -> None:
    previous = os.umask(0)
    try:
        async with memory_server() as memory:
            await memory.remember("Likes jazz")
    finally:
        os.umask(previous)
    names = sorted(path.name for path in settings.home.iterdir())
    assert stat.S_IMODE(settings.home.stat().st_mode) == 0o700
    assert "memory.db" in names
    modes = {name: stat.S_IMODE((settings.home / name).stat().st_mode) for name in names}
    # Files 0600; the one folder is the cached tool definitions' (aide_core.tool_cache), 0700 like the home.
    assert modes == {name: 0o700 if (settings.home / name).is_dir() else 0o600 for name in names}
    assert [name for name in names if (settings.home / name).is_dir()] == ["cache"]


async def test_a_memory_database_left_world_readable_is_tightened(memory_server, settings: AideSettings) -> None:
    async with memory_server() as memory:
        await memory.remember("Likes jazz")
    (settings.home / "memory.db").chmod(0o644)
    async with memory_server() as memory:
        assert [hit["content"] for hit in await memory.recall("jazz")] == ["Likes jazz"]
    assert stat.S_IMODE((settings.home / "memory.db").stat().st_mode) == 0o600


async def test_a_corrupt_memory_database_is_named_with_what_to_do(memory_server, settings: AideSettings) -> None:
    settings.home.mkdir(mode=0o700)
    path = settings.home / "memory.db"
    path.write_bytes(b"not a database, just garbage " * 300)
    async with memory_server() as memory:
        first = await memory.error("recall", query="jazz")
        again = await memory.error("memory_stats")
    expected = (
        f"The memory database {path} is damaged or is not an SQLite database (file is not a database). The user "
        "must move the file away (aide then starts a new, empty one) or restore it from a backup."
    )
    assert first == f"Error executing tool recall: {expected}"
    assert again == f"Error executing tool memory_stats: {expected}"


async def test_an_unreadable_memory_database_is_named_with_what_to_do(memory_server, tmp_path: Path) -> None:
    path = tmp_path / "elsewhere" / "memory.db"
    path.mkdir(parents=True)  # a folder where the file should be: unreadable as a database even to root
    async with memory_server(database=str(path)) as memory:
        refused = await memory.error("remember", items=[{"content": "Likes jazz"}])
    assert refused == (
        f"Error executing tool remember: Cannot open the memory database {path} (unable to open database file). "
        "The user must make it a file, in a folder, that the account running aide can read and write."
    )
