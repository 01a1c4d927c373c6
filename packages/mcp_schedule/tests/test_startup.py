"""What starting the schedule server costs: a stdio host waits for `tools/list`, so nothing heavy may load before it."""

from __future__ import annotations

from pathlib import Path

from aide_core.testing import start_fresh

#: dateparser (phrases) and dateutil (recurrence) load at the first reminder or due_work; the agent
#: (the runner) never loads in the server.
HEAVY = ("dateparser", "dateutil", "aide_agent", "hypothesis", "hypothesis_jsonschema")


def test_starting_loads_none_of_the_heavy_libraries_and_lists_the_models_tools(tmp_path: Path) -> None:
    started = start_fresh("schedule", HEAVY, tmp_path / "home", tmp_path / "config.toml")
    assert started.loaded == []
    assert started.tools == ["cancel_reminder", "list_jobs", "list_reminders", "remind_me", "run_job"]
