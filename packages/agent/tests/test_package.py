"""The package's shape: its public names, and that it reaches servers through MCP only."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aide_agent

SOURCE = Path(aide_agent.__file__).parent


def test_every_public_name_is_importable_from_the_package() -> None:
    assert sorted(aide_agent.__all__) == aide_agent.__all__
    assert all(hasattr(aide_agent, name) for name in aide_agent.__all__)


def test_the_agent_imports_no_server_package_it_talks_mcp_only() -> None:
    imported: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
    assert {name for name in imported if name.startswith("aide_")} <= {"aide_agent", "aide_core"}


def test_prompts_are_package_data_not_code() -> None:
    assert {p.stem for p in (SOURCE / "prompts").glob("*.md")} == {
        "system", "context", "extract", "summarise", "scheduled", "morning-digest", "free-time", "reminder"
    }  # fmt: skip


def test_importing_the_package_does_no_work(fresh_import: Callable[[str], dict[str, Any]]) -> None:
    report = fresh_import("aide_agent")
    assert report["all"] == aide_agent.__all__
    assert report["missing"] == []
    assert report["threads"] == []
    assert report["files"] == []
