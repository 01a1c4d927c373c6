"""A server package from outside the workspace gets everything a ServerSpec declares, with no edit to core.

`fixtures/aide_notes` is a package of its own (its pyproject names an `aide.servers` and an `aide.auth` entry
point) and no workspace member: this test process cannot import it. Each test "installs" it for child processes only,
the way an installer does it for `importlib.metadata`: a `.dist-info` folder whose `entry_points.txt` is generated
from the fixture's own pyproject, on the children's PYTHONPATH next to the fixture's `src`. That takes milliseconds
and no network or build backend, where a `uv venv` with the workspace installed into it would cost seconds a test
and prove nothing more: entry-point discovery reads exactly that folder either way.

Everything goes through real processes and the official clients: the `aide` command line, `aide serve` over stdio
and HTTP, and `aide_agent` spawning the launcher.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from aide_agent import Assistant, ScriptedModel, call, stdio

FIXTURE = Path(__file__).parent / "fixtures" / "aide_notes"
TOKEN = "notes-bearer-token"
NOTES_TABLE = """\
[notes]
shelf = "desk"
confirm = "never"
never_share_with = ["mallory@example.com"]
"""


def install(site: Path) -> None:
    """What an installer leaves for `importlib.metadata`: the fixture's metadata and entry points (its pyproject's)."""
    project = tomllib.loads((FIXTURE / "pyproject.toml").read_text())["project"]
    dist_info = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
    )
    groups = project["entry-points"]
    (dist_info / "entry_points.txt").write_text(
        "".join(
            f"[{group}]\n" + "".join(f"{name} = {target}\n" for name, target in points.items()) + "\n"
            for group, points in groups.items()
        )
    )


@pytest.fixture
def notes_env(tmp_path: Path, aide_env: Path) -> dict[str, str]:
    """The environment of a child process in which aide_notes is installed, with a config file holding `[notes]`.
    (This process keeps its own, empty config: here no installed server owns a `[notes]` table.)"""
    install(tmp_path / "site")
    config = tmp_path / "notes-config.toml"
    config.write_text(NOTES_TABLE)
    inherited = {k: v for k, v in os.environ.items() if k.startswith("AIDE_") or k in ("PATH", "HOME")}
    return inherited | {
        "AIDE_CONFIG": str(config),
        "AIDE_HTTP__TOKEN": TOKEN,
        "PYTHONPATH": os.pathsep.join([str(tmp_path / "site"), str(FIXTURE / "src")]),
        "PYTHONUNBUFFERED": "1",
    }


def aide(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aide_core.cli", *args], env=env, capture_output=True, text=True, timeout=30, check=False
    )


def test_this_process_does_not_see_the_fixture_so_only_the_children_prove_anything() -> None:
    from importlib.metadata import entry_points

    assert "notes" not in {point.name for point in entry_points(group="aide.servers")}


def test_aide_tools_lists_the_external_servers_tools_with_its_own_settings_table(notes_env: dict[str, str]) -> None:
    done = aide(notes_env, "tools", "notes", "--json")
    assert done.returncode == 0, done.stderr
    assert [(row["server"], row["tool"]) for row in json.loads(done.stdout)["tools"]] == [
        ("notes", "list_notes"),
        ("notes", "share_note"),
    ]


def test_a_key_its_settings_model_does_not_know_is_one_line_naming_the_key(
    notes_env: dict[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "misspelt.toml"
    config.write_text('[notes]\nshelff = "desk"\n')
    done = aide(notes_env | {"AIDE_CONFIG": str(config)}, "tools", "notes")
    assert (done.returncode, done.stderr.splitlines()) == (
        2,
        [f"aide: invalid setting 'notes.shelff' in {config}: unknown setting"],
    )


@pytest.mark.anyio
async def test_over_stdio_its_own_policy_refuses_what_its_own_setting_forbids(notes_env: dict[str, str]) -> None:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "aide_core.cli", "serve", "notes", "--transport", "stdio"], env=notes_env
    )
    async with Client(params) as client:
        refused = await client.call_tool("share_note", {"recipient": "Mallory@example.com", "text": "the plan"})
        allowed = await client.call_tool("share_note", {"recipient": "ann@example.com", "text": "lunch?"})
        listed = await client.call_tool("list_notes", {})
    assert refused.is_error
    assert "Notes may not be shared with Mallory@example.com." in refused.content[0].text  # type: ignore[union-attr]
    assert allowed.structured_content == {
        "status": "done",
        "message": "Done.",
        "result": {"recipient": "ann@example.com", "text": "lunch?"},
        "preview": "Share 'lunch?' with ann@example.com",
        "confirmation_token": None,
    }
    assert listed.structured_content == {"shelf": "desk", "notes": ["shared with ann@example.com: lunch?"]}


@pytest.fixture
def served(notes_env: dict[str, str]) -> Iterator[str]:
    """`aide serve notes --transport http` on a free loopback port; yields the server's base URL once it listens
    (its first line names the port, and it prints it after the socket listens)."""
    with subprocess.Popen(
        [sys.executable, "-m", "aide_core.cli", "serve", "notes", "--transport", "http", "--port", "0"],
        env=notes_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            assert proc.stdout is not None
            first = proc.stdout.readline()
            found = re.search(r"on (http://127\.0\.0\.1:\d+)", first)
            assert found, f"unexpected start-up line {first!r}"
            yield f"{found.group(1)}/notes"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def signature(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_over_http_its_route_checks_the_secret_its_auth_command_stored_and_mcp_needs_the_token(
    notes_env: dict[str, str], served: str
) -> None:
    body = b"from the hook"
    hello = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}},
    }
    accept = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    with httpx2.Client(timeout=10) as http:
        before_auth = http.post(f"{served}/hook", content=body, headers={"X-Signature": signature(body, "s3")})
        signed_in = aide(notes_env, "auth", "notes", "--secret", "s3")
        signed = http.post(f"{served}/hook", content=body, headers={"X-Signature": signature(body, "s3")})
        forged = http.post(f"{served}/hook", content=body, headers={"X-Signature": signature(body, "guess")})
        bearer_only = http.post(f"{served}/hook", content=body, headers={"Authorization": f"Bearer {TOKEN}"})
        mcp_without_token = http.post(f"{served}/mcp", json=hello, headers=accept)
        mcp_with_token = http.post(f"{served}/mcp", json=hello, headers=accept | {"Authorization": f"Bearer {TOKEN}"})
    assert before_auth.status_code == 401  # no secret stored yet: the route's own auth fails closed
    assert (signed_in.returncode, signed_in.stdout.strip()) == (0, "notes: hook secret stored")
    assert (signed.status_code, signed.json()) == (200, {"count": 1})
    assert [forged.status_code, bearer_only.status_code, mcp_without_token.status_code] == [401, 401, 401]
    assert mcp_with_token.status_code == 200


@pytest.mark.anyio
async def test_over_http_a_client_with_the_token_calls_its_tools(served: str) -> None:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"})
    async with http, Client(streamable_http_client(f"{served}/mcp", http_client=http)) as client:
        listed = await client.call_tool("list_notes", {})
    assert listed.structured_content == {"shelf": "desk", "notes": []}


@pytest.mark.anyio
async def test_aide_agent_composes_it_through_the_launcher_and_reads_its_tool_result(
    notes_env: dict[str, str],
) -> None:
    notes = stdio("notes", sys.executable, "-m", "aide_core.launch", "notes", env=notes_env)
    model = ScriptedModel([[call("notes__list_notes")], lambda messages, _: messages[-1].text])
    async with Assistant([notes], model, retrieve=None, learn=None) as assistant:
        result = await assistant.run("what is on my shelf?")
    assert "notes__share_note" in {spec.name for spec in model.requests[0][1]}
    assert json.loads(result.text) == {"shelf": "desk", "notes": []}


def test_its_sign_in_joins_aide_auth_beside_googles_and_replaces_neither(notes_env: dict[str, str]) -> None:
    listed = aide(notes_env, "auth", "--help")
    assert listed.returncode == 0, listed.stderr
    commands = {
        line.split()[1] for line in listed.stdout.splitlines() if line.startswith("│ ") and len(line.split()) > 2
    }
    assert {"google", "list", "logout", "notes"} <= commands
