"""`aide schedule run`: one line for what happened, never a traceback, never a prompt."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import typer
from typer.testing import CliRunner

from aide_agent.schedule.cli import app as schedule_app

app = typer.Typer()
app.add_typer(schedule_app, name="schedule")


def test_schedule_is_a_sub_command_of_aide() -> None:
    (point,) = entry_points(group="aide.commands", name="schedule")
    assert point.load() is schedule_app


def test_run_once_with_nothing_due_says_so_and_when_the_next_run_is(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[schedule]\ntimezone = "Europe/Berlin"\n\n[[schedule.jobs]]\nname = "weekly"\n'
        'when = "RRULE:FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1;BYHOUR=9"\nwhat = "Summarise what I sent this week"\n'
    )
    result = CliRunner().invoke(app, ["schedule", "run", "--once"], env={"AIDE_CONFIG": str(config)})
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("aide schedule: nothing due; next at ") and result.stderr.endswith(" UTC\n")


def test_a_job_whose_schedule_cannot_be_read_is_one_line_and_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[[schedule.jobs]]\nname = "weekly"\nwhen = "every so often"\nwhat = "hi"\n')
    done = subprocess.run(
        [sys.executable, "-m", "aide_core.cli", "schedule", "run", "--once"],
        env={**os.environ, "AIDE_CONFIG": str(config)},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert done.returncode == 2
    assert "Could not read the recurrence 'every so often'" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
