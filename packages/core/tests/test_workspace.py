"""Rules of the workspace that no single module can check: a README that matches the servers (layering is in
test_architecture.py)."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from aide_core.cli import app

ROOT = Path(__file__).resolve().parents[3]


def test_the_readme_quick_start_is_exactly_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Quick start", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    assert block.splitlines() == ["uv run aide serve --sandbox", "uv run pytest"]


def test_the_readme_tools_and_prompts_tables_match_the_servers() -> None:
    readme = (ROOT / "README.md").read_text()
    tools = re.search(r"<!-- tools:start -->\n(.*?)<!-- tools:end -->", readme, re.S)
    prompts = re.search(r"<!-- prompts:start -->\n(.*?)<!-- prompts:end -->", readme, re.S)
    assert tools is not None and prompts is not None
    generated = CliRunner().invoke(app, ["tools", "--markdown"]).stdout
    assert f"{tools.group(1)}\n{prompts.group(1)}" == generated, (
        "README tools or prompts table is stale: paste `uv run aide tools --markdown` (tools, a blank line, prompts)"
    )


def test_ci_runs_exactly_the_readme_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text().splitlines()
    assert "uv run pytest" in script
