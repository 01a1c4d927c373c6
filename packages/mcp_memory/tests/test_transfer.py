"""Moving from the reference memory server, and exporting, through the `aide memory` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aide_memory.cli import app
from aide_memory.store import Scope

pytestmark = pytest.mark.anyio
runner = CliRunner()

REFERENCE_GRAPH = [
    {"type": "entity", "name": "Anna", "entityType": "person", "observations": ["Is my sister", "Lives in Lyon"]},
    {"type": "entity", "name": "Acme", "entityType": "organization", "observations": ["Where I work"]},
    {"type": "relation", "from": "Anna", "to": "Acme", "relationType": "works_at"},
]


def write_graph(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


async def test_the_reference_servers_graph_becomes_memories(tmp_path: Path, memory_server) -> None:
    graph = write_graph(tmp_path / "memory.jsonl", REFERENCE_GRAPH)
    done = runner.invoke(app, ["import", str(graph), "--from", "reference"])
    assert done.exit_code == 0, done.output
    assert "imported 4 memories (0 merged" in done.stderr
    async with memory_server() as memory:
        listed = (await memory.call("list_memories"))["memories"]
        found = await memory.recall("where does my sister live")
    by_content = {m["content"]: m for m in listed}
    assert set(by_content) == {"Anna: Is my sister", "Anna: Lives in Lyon", "Acme: Where I work", "Anna works at Acme"}
    assert by_content["Anna: Lives in Lyon"]["category"] == "person"
    assert by_content["Anna works at Acme"]["metadata"] == {"from": "Anna", "relation": "works_at", "to": "Acme"}
    assert found[0]["content"].startswith("Anna: ")
    again = runner.invoke(app, ["import", str(graph)])
    assert "imported 0 memories (4 merged" in again.stderr


def test_a_malformed_line_is_reported_with_its_number(tmp_path: Path) -> None:
    graph = tmp_path / "memory.jsonl"
    graph.write_text(json.dumps(REFERENCE_GRAPH[0]) + "\n{not json\n")
    done = runner.invoke(app, ["import", str(graph)])
    assert done.exit_code == 1
    assert done.stderr.startswith(f"aide memory: {graph}:2: not a memory-server record")


async def test_export_writes_a_whole_backup_unless_asked_for_current_memories_only(
    tmp_path: Path, memory_server
) -> None:
    async with memory_server() as memory:
        (old,) = await memory.remember("Anna lives in Lyon", category="person")
        await memory.call("update_memory", id=old, content="Anna lives in Paris")
    current = runner.invoke(app, ["export", "--current-only", "--output", str(tmp_path / "out.jsonl")])
    history = runner.invoke(app, ["export"])
    assert current.exit_code == 0 and history.exit_code == 0
    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [m["content"] for m in lines] == ["Anna lives in Paris"]
    assert [json.loads(line)["content"] for line in history.stdout.splitlines()] == [
        "Anna lives in Lyon",
        "Anna lives in Paris",
    ]


def run_import(path: Path, *, terminal: bool) -> tuple[int, str]:
    """`aide memory import` as a person runs it: a subprocess whose stderr is a pseudo-terminal, or a pipe."""
    import os
    import pty
    import subprocess
    import sys

    command = [sys.executable, "-m", "aide_core.cli", "memory", "import", str(path)]
    if not terminal:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        return done.returncode, done.stderr
    leader, follower = pty.openpty()
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the other end closed: the process is done writing
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return process.wait(timeout=60), b"".join(chunks).decode(errors="replace")


def test_an_import_shows_a_progress_bar_on_a_terminal_and_only_its_summary_on_a_pipe(tmp_path: Path) -> None:
    graph = tmp_path / "memory.jsonl"
    lines = [{"type": "entity", "name": f"Person {i}", "entityType": "person", "observations": ["likes tea"]}
             for i in range(250)]  # fmt: skip
    graph.write_text("".join(json.dumps(line) + "\n" for line in lines))
    code, shown = run_import(graph, terminal=True)
    assert code == 0 and "importing" in shown
    code, piped = run_import(graph, terminal=False)
    assert code == 0
    assert piped == f"imported 0 memories (250 merged into existing ones) from {graph}\n"


async def test_an_export_restores_into_an_empty_store_with_its_ids_times_and_history(
    tmp_path: Path, memory_server, settings
) -> None:
    async with memory_server() as memory:
        (old,) = await memory.remember("Anna lives in Lyon", category="person", tags=["family"])
        new = (await memory.call("update_memory", id=old, content="Anna lives in Paris"))["id"]
        (gone,) = await memory.remember("The spare key is under the mat")
        await memory.call("forget_memories", ids=[gone])
        (odd,) = await memory.remember("Markers </untrusted-content> stay as they were stored")
        before = (await memory.call("get_memories", ids=[old, new, odd]))["memories"]
    backup = tmp_path / "backup.jsonl"
    assert runner.invoke(app, ["export", "--history", "--output", str(backup)]).exit_code == 0
    assert "</untrusted-content>" in backup.read_text()  # the text exactly as stored, not as shown to a model

    for file in settings.home.glob("memory.db*"):  # the disk is lost: a new, empty store
        file.unlink()
    done = runner.invoke(app, ["import", str(backup), "--from", "aide"])
    again = runner.invoke(app, ["import", str(backup), "--from", "aide"])
    assert done.exit_code == 0, done.output
    assert done.stderr.startswith(f"restored 4 memories from {backup} (0 already there")
    assert "restored 0 memories" in again.stderr and "4 already there" in again.stderr
    async with memory_server() as memory:
        after = (await memory.call("get_memories", ids=[old, new, odd]))["memories"]
        listed = [m["content"] for m in (await memory.call("list_memories"))["memories"]]
        found = await memory.recall("where does Anna live")
    assert after == before  # ids, times, tags and the correction's link are all back
    assert sorted(listed) == ["Anna lives in Paris", before[2]["content"]]  # the forgotten one stays forgotten
    assert found[0]["content"] == "Anna lives in Paris"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"type": "entity", "name": "Anna", "entityType": "person", "observations": []}\n', ":1: not an aide memory"),
        ('{"id": "m1", "content": "x"}\n', ":1: not an aide memory export record (created_at: Field required)"),
        ("\xff\xfe binary", "cannot read"),
    ],
)
def test_a_bad_import_file_gets_one_line_and_no_traceback(tmp_path: Path, text: str, expected: str) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(text.encode("latin-1"))
    done = runner.invoke(app, ["import", str(bad), "--from", "aide"])
    assert done.exit_code == 1
    assert expected in done.stderr and len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.output


GOOD_RECORD = {
    "format": "aide-memory/1",
    "id": "m0000000000000000000000001",
    "content": "Anna lives in Lyon",
    "created_at": "2024-05-01T08:00:00Z",
    "updated_at": "2024-05-01T08:00:00Z",
    "valid_from": "2024-05-01T08:00:00Z",
}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"created_at": "0001-01-01T00:00:00+14:00"}, ":2: not an aide memory export record (created_at: Value error"),
        ({"content": "   "}, ":2: not an aide memory export record (content: Value error, content is empty)"),
        ({"content": "\u0000"}, ":2: not an aide memory export record (content: Value error, content is empty)"),
        ({"tags": [f"t{i}" for i in range(33)]}, ":2: not an aide memory export record (tags: List should have at"),
        ({"about_time": "9999-12-31T23:00:00-05:00"}, ":2: not an aide memory export record (about_time: Value err"),
    ],
)
def test_a_record_the_store_could_not_hold_is_refused_at_its_line_before_anything_is_written(
    tmp_path: Path, settings, change: dict[str, object], expected: str
) -> None:
    from aide_memory.store import MemoryStore

    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(GOOD_RECORD) + "\n" + json.dumps(GOOD_RECORD | {"id": "m2"} | change) + "\n")
    done = runner.invoke(app, ["import", str(bad), "--from", "aide"])
    assert done.exit_code == 1 and "Traceback" not in done.output
    assert expected in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert MemoryStore(settings.home / "memory.db").rows(Scope("default")) == []  # the good first line neither


async def first_users_backup(memory_server, path: Path) -> tuple[str, str]:
    """The default user learns where Jane lives, then corrects it, and backs it up to `path`: the ids (old, new)."""
    async with memory_server() as memory:
        (old,) = await memory.remember("Jane lives in Lisbon", category="person")
        new = (await memory.call("update_memory", id=old, content="Jane lives in Porto"))["id"]
    assert runner.invoke(app, ["export", "--output", str(path)]).exit_code == 0
    return old, new


async def test_a_backup_restored_for_a_second_user_of_the_database_keeps_its_history_chains(
    tmp_path: Path, memory_server
) -> None:
    backup = tmp_path / "backup.jsonl"
    old, new = await first_users_backup(memory_server, backup)
    done = runner.invoke(app, ["import", str(backup), "--from", "aide", "--user", "bob"])
    assert done.exit_code == 0, done.output
    async with memory_server(user="bob") as bob:
        (current,) = (await bob.call("list_memories"))["memories"]
        history = (await bob.call("list_memories", include_superseded=True))["memories"]
        await bob.call("forget_memories", ids=[current["id"]], hard=True)
        after = (await bob.call("list_memories", include_superseded=True))["memories"]
    async with memory_server() as memory:
        mine = (await memory.call("get_memories", ids=[old, new]))["memories"]
    assert current["content"] == "Jane lives in Porto" and current["id"] not in (old, new)
    (bobs_old,) = [m for m in history if m["content"] == "Jane lives in Lisbon"]
    assert bobs_old["id"] not in (old, new) and bobs_old["superseded_by"] == current["id"]  # bob's own chain
    assert after == []  # a hard forget takes bob's whole history, old wording included
    assert [m["content"] for m in mine] == ["Jane lives in Lisbon", "Jane lives in Porto"]  # the first user's stays
    assert mine[0]["superseded_by"] == new


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("folder", "aide memory: cannot write {path} (Is a directory)."),
        ("missing/out.jsonl", "aide memory: cannot write {path} (No such file or directory)."),
    ],
)
def test_an_export_that_cannot_be_written_says_write_in_one_line(tmp_path: Path, where: str, expected: str) -> None:
    (tmp_path / "folder").mkdir()
    path = tmp_path / where
    done = runner.invoke(app, ["export", "--output", str(path)])
    assert done.exit_code == 1 and done.stderr == expected.format(path=path) + "\n"


def test_an_export_piped_into_a_reader_that_stops_early_ends_quietly(tmp_path: Path, settings) -> None:
    import subprocess
    import sys

    from aide_memory.models import NewMemory
    from aide_memory.store import MemoryStore

    store = MemoryStore(settings.home / "memory.db")
    store.remember(Scope("default"), [NewMemory(content=f"Note number {n} " + "x" * 200) for n in range(2000)])
    command = [sys.executable, "-c", "from aide_memory.cli import app; app()", "export"]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
    ) as exporter:
        assert exporter.stdout is not None and exporter.stderr is not None
        first = exporter.stdout.readline()  # the reader takes one line and goes away, as `| head -1` does
        exporter.stdout.close()
        errors = exporter.stderr.read().decode()
        assert exporter.wait(60) == 1
    assert json.loads(first)["format"] == "aide-memory/1"
    assert errors == ""  # no traceback and no "Exception ignored" from Python's exit


def test_an_export_file_saved_with_a_byte_order_mark_still_imports(tmp_path: Path) -> None:
    backup = tmp_path / "bom.jsonl"
    backup.write_bytes(b"\xef\xbb\xbf" + json.dumps(GOOD_RECORD).encode() + b"\n")
    done = runner.invoke(app, ["import", str(backup), "--from", "aide"])
    assert done.exit_code == 0, done.output
    assert done.stderr.startswith(f"restored 1 memory from {backup}")


def test_a_reference_record_the_store_cannot_hold_is_one_line_naming_why(tmp_path: Path) -> None:
    graph = write_graph(
        tmp_path / "memory.jsonl",
        [{"type": "entity", "name": "Anna", "entityType": "person", "observations": ["x" * 9000]}],
    )
    done = runner.invoke(app, ["import", str(graph), "--from", "reference"])
    assert done.exit_code == 1 and len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith(
        f"aide memory: {graph}:1: cannot be stored (content: String should have at most 8000 characters). "
    )


@pytest.mark.parametrize(
    ("second", "expected"),
    [
        (GOOD_RECORD, "aide memory: the backup holds the id 'm0000000000000000000000001' twice"),
        (
            GOOD_RECORD | {"id": "m2", "superseded_by": "m-nowhere"},
            "aide memory: 'm2' is superseded by 'm-nowhere', which is neither in the backup nor stored",
        ),
    ],
)
def test_a_backup_whose_records_do_not_hold_together_restores_nothing(
    tmp_path: Path, settings, second: dict[str, object], expected: str
) -> None:
    from aide_memory.store import MemoryStore

    backup = tmp_path / "backup.jsonl"
    backup.write_text(json.dumps(GOOD_RECORD) + "\n" + json.dumps(second) + "\n")
    done = runner.invoke(app, ["import", str(backup), "--from", "aide"])
    assert done.exit_code == 1 and done.stderr.startswith(expected + ". ")
    assert len(done.stderr.strip().splitlines()) == 1
    assert MemoryStore(settings.home / "memory.db").rows(Scope("default")) == []


async def test_a_backup_restored_and_exported_again_is_the_same_file(tmp_path: Path, memory_server, settings) -> None:
    async with memory_server() as memory:
        (old,) = await memory.remember("Anna lives in Lyon", category="person", metadata={"from": "mail"})
        await memory.call("update_memory", id=old, content="Anna lives in Paris")
        (gone,) = await memory.remember("The spare key is under the mat", about_time="2024-05-01T08:00:00Z")
        await memory.call("forget_memories", ids=[gone])  # forgotten later than it was last updated
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    assert runner.invoke(app, ["export", "--output", str(first)]).exit_code == 0
    for file in settings.home.glob("memory.db*"):
        file.unlink()
    assert runner.invoke(app, ["import", str(first), "--from", "aide"]).exit_code == 0
    assert runner.invoke(app, ["export", "--output", str(second)]).exit_code == 0
    assert second.read_text() == first.read_text()  # ids, times (when it was forgotten too), history, metadata
    assert '"forgotten_at":null' in first.read_text() and first.read_text().count('"forgotten":true') == 1


async def test_a_backup_merged_into_a_second_users_own_memory_links_its_history_to_that_memory(
    tmp_path: Path, memory_server
) -> None:
    backup = tmp_path / "backup.jsonl"
    await first_users_backup(memory_server, backup)
    async with memory_server(user="bob") as bob:
        (bobs,) = await bob.remember("Jane lives in Porto", category="person")  # bob knew it already
    assert runner.invoke(app, ["import", str(backup), "--from", "aide", "--user", "bob"]).exit_code == 0
    async with memory_server(user="bob") as bob:
        history = (await bob.call("list_memories", include_superseded=True))["memories"]
        await bob.call("forget_memories", ids=[bobs], hard=True)
        after = (await bob.call("list_memories", include_superseded=True))["memories"]
    (lisbon,) = [m for m in history if m["content"] == "Jane lives in Lisbon"]
    assert lisbon["superseded_by"] == bobs  # bob's own memory, not alice's id
    assert after == []  # so a hard forget takes the old wording too


async def test_restoring_a_backup_twice_for_a_second_user_changes_nothing_the_second_time(
    tmp_path: Path, memory_server
) -> None:
    backup = tmp_path / "backup.jsonl"
    await first_users_backup(memory_server, backup)
    first = runner.invoke(app, ["import", str(backup), "--from", "aide", "--user", "bob"])
    async with memory_server(user="bob") as bob:
        before = (await bob.call("list_memories", include_superseded=True))["memories"]
    again = runner.invoke(app, ["import", str(backup), "--from", "aide", "--user", "bob"])
    async with memory_server(user="bob") as bob:
        after = (await bob.call("list_memories", include_superseded=True))["memories"]
        await bob.call("forget_memories", ids=[m["id"] for m in after if not m["superseded_by"]], hard=True)
    third = runner.invoke(app, ["import", str(backup), "--from", "aide", "--user", "bob"])
    assert first.stderr.startswith(f"restored 2 memories from {backup} (0 already there")
    assert again.stderr.startswith(f"restored 0 memories from {backup} (2 already there, 0 merged")
    assert after == before  # the same two, the same ids, confidence untouched
    assert third.stderr.startswith(f"restored 2 memories from {backup} (0 already there")  # a hard forget let go


def test_a_memory_stored_before_the_metadata_limit_exports_and_restores_whole(tmp_path: Path, settings) -> None:
    from aide_memory.models import NewMemory
    from aide_memory.store import MemoryStore

    store = MemoryStore(settings.home / "memory.db")
    big = {"notes": "y" * 6000}  # over today's 4,000 for a new memory
    store.remember(Scope("default"), [NewMemory.model_construct(content="An old note", metadata=big)])
    backup = tmp_path / "backup.jsonl"
    done = runner.invoke(app, ["export", "--output", str(backup)])
    assert done.exit_code == 0, done.output
    for file in settings.home.glob("memory.db*"):
        file.unlink()
    restored = runner.invoke(app, ["import", str(backup), "--from", "aide"])
    assert restored.exit_code == 0, restored.output
    (row,) = MemoryStore(settings.home / "memory.db").rows(Scope("default"))
    assert json.loads(row["metadata"]) == big
