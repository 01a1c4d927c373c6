"""Rules of the workspace that no single module can check: layering, and a README that matches the servers."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from typer.testing import CliRunner

from aide_core.cli import app

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = {
    "core": "aide_core",
    "google": "aide_google",
    "mcp_gmail": "aide_gmail",
    "mcp_calendar": "aide_calendar",
    "mcp_notion": "aide_notion",
    "mcp_twilio": "aide_twilio",
    "mcp_memory": "aide_memory",
    "sandbox": "aide_sandbox",
    "agent": "aide_agent",
}
SERVERS = {"aide_gmail", "aide_calendar", "aide_notion", "aide_twilio", "aide_memory"}


def imported_modules(package_dir: Path) -> set[str]:
    found: set[str] = set()
    for path in (package_dir / "src").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


def test_servers_depend_on_core_only_and_the_agent_talks_to_servers_only_through_mcp() -> None:
    for folder, module in PACKAGES.items():
        imports = imported_modules(ROOT / "packages" / folder)
        if module == "aide_core":
            assert not imports & (set(PACKAGES.values()) - {"aide_core"}), "core imports a package built on it"
        elif module == "aide_google":
            assert not imports & SERVERS, "the Google library imports a server"
        elif module in SERVERS or module == "aide_agent":
            assert not imports & (SERVERS - {module}), f"{module} imports another server"


def test_the_readme_quick_start_is_exactly_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Quick start", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    assert block.splitlines() == ["uv run aide serve --sandbox", "uv run pytest"]


def test_the_readme_tools_table_matches_the_servers() -> None:
    readme = (ROOT / "README.md").read_text()
    table = re.search(r"<!-- tools:start -->\n(.*?)<!-- tools:end -->", readme, re.S)
    assert table is not None
    generated = CliRunner().invoke(app, ["tools", "--markdown"]).stdout
    assert table.group(1) == generated, "README tools table is stale: paste `uv run aide tools --markdown`"


def test_ci_runs_exactly_the_readme_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text().splitlines()
    assert "uv run pytest" in script
