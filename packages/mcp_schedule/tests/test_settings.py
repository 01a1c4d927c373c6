"""The `[schedule]` table as the README shows it is what the settings model accepts; a zone or a schedule that
cannot be read is refused when the settings load."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from aide_schedule.settings import ScheduleSettings

README = Path(__file__).resolve().parents[3] / "README.md"


def test_the_readme_example_table_is_valid() -> None:
    block = re.search(r"```toml\n(\[schedule\]\n.*?)```", README.read_text(), re.S)
    assert block is not None
    config = ScheduleSettings.model_validate(tomllib.loads(block.group(1))["schedule"])
    assert [job.name for job in config.jobs] == ["morning-digest", "free-time", "week-in-mail"]
    assert config.person("ann").timezone == "America/Los_Angeles" and config.person("ann").email is None
    assert config.person("default").phone == "+491701234567"
    assert config.jobs[1].deliver == ["sms"] and config.jobs[2].allow == []


def test_an_unknown_time_zone_is_refused_when_the_settings_load() -> None:
    with pytest.raises(ValidationError, match="Unknown time zone 'Mars/Olympus'"):
        ScheduleSettings.model_validate({"timezone": "Mars/Olympus"})
    with pytest.raises(ValidationError, match="Unknown time zone"):
        ScheduleSettings.model_validate({"people": {"ann": {"timezone": "Nowhere"}}})
