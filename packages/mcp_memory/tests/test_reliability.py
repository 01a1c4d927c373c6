"""Several processes on one database, and a writer killed mid-batch: nothing lost, nothing half-written."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

WORKER = Path(__file__).with_name("store_worker.py")


def test_four_processes_of_500_concurrent_remembers_store_exactly_2000(tmp_path: Path) -> None:
    database = str(tmp_path / "shared.db")
    env = dict(os.environ)
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), "concurrent", database, str(worker), "500"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for worker in range(4)
    ]
    outputs = [proc.communicate(timeout=240) for proc in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert out.strip() == "failures=0", (out, err[-3000:])
        assert "database is locked" not in err
    with sqlite3.connect(database) as db:
        count, distinct = db.execute("SELECT COUNT(*), COUNT(DISTINCT content) FROM memories").fetchone()
        indexed = db.execute("SELECT COUNT(*) FROM memories_fts WHERE memories_fts MATCH 'worker'").fetchone()[0]
    assert (count, distinct, indexed) == (2000, 2000, 2000)


def test_a_writer_killed_mid_batch_leaves_a_consistent_database(tmp_path: Path) -> None:
    database = str(tmp_path / "killed.db")
    with subprocess.Popen(
        [sys.executable, str(WORKER), "kill", database],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "mid-batch"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        db.execute("INSERT INTO memories_fts(memories_fts) VALUES ('integrity-check')")
        first = db.execute("SELECT COUNT(*) FROM memories WHERE content LIKE 'first batch %'").fetchone()[0]
        second = db.execute("SELECT COUNT(*) FROM memories WHERE content LIKE 'second batch %'").fetchone()[0]
    assert (first, second) == (100, 0)
