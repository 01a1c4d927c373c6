"""What starting the Notion server costs: a stdio host waits for `tools/list`, so the Notion client, httpx,
markdown-it and the retry library load only when a tool is called."""

from __future__ import annotations

from pathlib import Path

from aide_core.testing import start_fresh

#: Each needed only once a tool runs; the fuzz libraries never. (`cryptography` is not listed: the SDK loads it.)
HEAVY = (
    "notion_client", "httpx", "markdown_it", "tenacity", "keyring", "jeepney", "secretstorage",
    "hypothesis", "hypothesis_jsonschema", "aide_notion.filters", "aide_notion.markdown", "aide_notion.render",
)  # fmt: skip


def test_starting_and_listing_tools_loads_none_of_the_heavy_libraries(tmp_path: Path) -> None:
    started = start_fresh("notion", HEAVY, tmp_path / "home", tmp_path / "config.toml")
    assert started.loaded == []
    assert len(started.tools) == 12
