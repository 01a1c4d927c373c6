"""The `[schedule]` table as the README shows it is what the settings model accepts; a zone or a schedule that
cannot be read is refused when the settings load."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from aide_core.errors import ConfigError
from aide_core.settings import AideSettings, server_settings
from aide_schedule.settings import UNATTENDED_ACTIONS, ScheduleSettings

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


def test_a_file_or_webhook_delivery_is_for_one_person_only() -> None:
    job = {"name": "digest", "when": "every day at 08:00", "what": "morning-digest", "users": ["ann", "bob"]}
    with pytest.raises(ValidationError, match="would get each one's private digest"):
        ScheduleSettings.model_validate({"jobs": [job | {"deliver": ["sms", "file:~/digest.txt"]}]})
    shared_by_text = ScheduleSettings.model_validate({"jobs": [job | {"deliver": ["sms", "mail"]}]})
    alone = ScheduleSettings.model_validate(
        {"jobs": [job | {"users": ["ann"], "deliver": ["webhook:https://x.example"]}]}
    )
    assert [j.deliver for j in (*shared_by_text.jobs, *alone.jobs)] == [["sms", "mail"], ["webhook:https://x.example"]]


def test_a_job_may_only_allow_actions_that_stay_with_the_user(settings: AideSettings) -> None:
    job = {"name": "tidy", "when": "every day at 08:00", "what": "Tidy my inbox."}
    allowed = ScheduleSettings.model_validate({"jobs": [job | {"allow": sorted(UNATTENDED_ACTIONS)}]})
    with pytest.raises(ConfigError) as refused:
        server_settings(settings.with_tables(schedule={"jobs": [job | {"allow": ["memory.remember", "gmail.reply"]}]}),
                        "schedule", ScheduleSettings)  # fmt: skip
    assert allowed.jobs[0].allow == sorted(UNATTENDED_ACTIONS)
    message = str(refused.value)
    assert "\n" not in message and "schedule.jobs.0.allow" in message
    assert (
        "job 'tidy' allows 'gmail.reply', but a run nobody watches may only take actions that stay with the user: "
        "memory.remember; memory.update_memory; calendar.add_task; calendar.update_task; calendar.complete_task; "
        "twilio.mark_read; calendar.create_event without attendees, in their primary calendar; "
        "gmail.draft_email; gmail.send_email to their own address; twilio.send_sms to their own phone" in message
    )
