"""`aide schedule run`: one line for what happened, never a traceback, never a prompt."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import typer
from typer.testing import CliRunner

from aide_agent.schedule.cli import app as schedule_app
from aide_core.settings import AideSettings

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
    script = tmp_path / "script.json"
    script.write_text("[]")
    result = CliRunner().invoke(
        app, ["schedule", "run", "--once", "--model", f"scripted:{script}"], env={"AIDE_CONFIG": str(config)}
    )
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


def test_aide_serve_runs_the_runner_only_when_the_schedule_table_asks(settings: AideSettings) -> None:
    from aide_agent.schedule.serve import background as schedule_background
    from aide_core.cli.serve import background

    (point,) = entry_points(group="aide.background", name="schedule")
    assert point.load() is schedule_background
    assert background(settings) == []
    asked = settings.with_tables(schedule={"run_in_serve": True})
    [(name, task)] = background(asked)
    assert name == "schedule" and getattr(task, "__name__", "") == "run"


def test_two_runner_processes_on_one_store_run_a_due_job_once(tmp_path: Path) -> None:
    """Two `aide schedule run --once` processes at the same moment, one aide home: one of them runs the job."""
    from datetime import UTC, datetime, timedelta

    script = tmp_path / "script.json"
    script.write_text(json.dumps(["Weekly: all quiet."]))
    out = tmp_path / "week.txt"
    due = (datetime.now(UTC) - timedelta(minutes=5)).strftime("%H:%M")  # due now, within the grace period
    config = tmp_path / "runner.toml"
    config.write_text(
        f'[schedule]\ntimezone = "UTC"\n\n[[schedule.jobs]]\nname = "week"\nwhen = "every day at {due}"\n'
        f'what = "Summarise my week."\nservers = []\ndeliver = ["file:{out}"]\n'
    )
    command = [sys.executable, "-m", "aide_core.cli", "schedule", "run", "--once", "--model", f"scripted:{script}"]
    env = {**os.environ, "AIDE_CONFIG": str(config)}
    runners = [
        subprocess.Popen(
            command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    said = [runner.communicate(timeout=60) for runner in runners]
    assert [runner.returncode for runner in runners] == [0, 0], said
    lines = sorted(stdout.strip() for stdout, _ in said)
    assert lines[0] == "" and lines[1].startswith("job:week for default at ") and ": done, file:" in lines[1]
    assert out.read_text().count("Weekly: all quiet.") == 1


def due_job(tmp_path: Path) -> tuple[Path, str]:
    """A configuration whose one job is due now (within the grace period), and the time it is due for."""
    from datetime import UTC, datetime, timedelta

    moment = (datetime.now(UTC) - timedelta(minutes=5)).replace(second=0, microsecond=0)
    config = tmp_path / "runner.toml"
    config.write_text(
        f'[schedule]\ntimezone = "UTC"\n\n[[schedule.jobs]]\nname = "week"\nwhen = "every day at {moment:%H:%M}"\n'
        f'what = "Summarise my week."\nservers = []\ndeliver = ["file:{tmp_path / "week.txt"}"]\n'
    )
    return config, f"{moment:%Y-%m-%dT%H:%M:%S}Z"


def test_a_model_for_the_jobs_that_cannot_be_built_is_one_line_before_anything_runs(tmp_path: Path) -> None:
    config, _ = due_job(tmp_path)
    missing = tmp_path / "missing.json"
    expected = {
        "bogus": "aide schedule: the jobs' model bogus: model 'bogus': expected 'provider:model', e.g. "
        "'openai:gpt-4o-mini'",
        f"scripted:{missing}": f"aide schedule: the jobs' model scripted:{missing}: cannot read the script {missing} "
        "(No such file or directory)",
        "": "aide schedule: the jobs' model anthropic:claude-sonnet-4-5: set ANTHROPIC_API_KEY, or choose another "
        "model with --model",  # no --model and no key
    }
    said = {}
    for model in expected:
        chosen = ["--model", model] if model else []
        result = CliRunner().invoke(app, ["schedule", "run", "--once", *chosen], env={"AIDE_CONFIG": str(config)})
        said[model] = (result.exit_code, result.stdout, result.stderr)
    assert said == {model: (2, "", line + "\n") for model, line in expected.items()}
    assert not (tmp_path / "week.txt").exists()


def test_reminders_alone_need_no_model(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[schedule]\ntimezone = "UTC"\n')
    result = CliRunner().invoke(app, ["schedule", "run", "--once"], env={"AIDE_CONFIG": str(config)})
    assert (result.exit_code, result.stderr) == (0, "aide schedule: nothing due\n")


def test_a_job_that_fails_when_it_runs_is_one_line_in_the_log_and_the_run_exits_1(tmp_path: Path) -> None:
    config, scheduled = due_job(tmp_path)
    script = tmp_path / "script.json"
    script.write_text("[]")  # a model that cannot answer: the run fails, not the configuration
    done = subprocess.run(
        [sys.executable, "-m", "aide_core.cli", "schedule", "run", "--once", "--model", f"scripted:{script}"],
        env={**os.environ, "AIDE_CONFIG": str(config)},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    failure = (
        "ScriptExhausted: scripted: the script has no turn left for request 1 (add one: a string answers, a list of "
        '{"tool": "server__tool", "arguments": {...}} calls tools)'
    )
    assert done.returncode == 1
    assert done.stdout == f"job:week for default at {scheduled}: failed: {failure}\n"
    logged = done.stderr.split(" ", 2)[2]  # after the date and time
    assert logged == f"WARNING aide.schedule: job:week for default failed: {failure}\n"
