"""The `[twilio]` table as the README shows it is what the settings model accepts, and so is what the sandbox gives."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from aide_sandbox.app import SandboxHandle
from aide_twilio.settings import TwilioSettings

README = Path(__file__).resolve().parents[3] / "README.md"


def test_the_readme_example_table_is_valid() -> None:
    block = re.search(r"```toml\n(\[twilio\]\n.*?)```", README.read_text(), re.S)
    assert block is not None
    table = tomllib.loads(block.group(1))["twilio"]
    config = TwilioSettings.model_validate(table)
    assert config.users["ann"].senders == ["+14155552671"]
    assert (config.quiet_hours.start.hour, config.quiet_hours.end.hour, config.quiet_hours.timezone) == (21, 8, None)


def test_the_sandbox_table_is_accepted(sandbox: SandboxHandle) -> None:
    table = {k: v for k, v in sandbox.twilio_credentials().items() if k != "auth_token"}
    config = TwilioSettings.model_validate(table | {"base_url": sandbox.urls["twilio"]})
    assert config.numbers == ["+14155550100", "+14155550111"]


def test_an_unknown_time_zone_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="is not an IANA time zone"):
        TwilioSettings.model_validate({"quiet_hours": {"zones": {"+14155552671": "Mars/Olympus"}}})
