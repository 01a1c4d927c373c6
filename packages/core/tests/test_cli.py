"""The `aide` command, run in-process with typer's runner (and once as a real process for `serve`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from typer.testing import CliRunner

from aide_core import registry
from aide_core.cli import app
from aide_core.cli.inspect import parse_arguments
from aide_core.errors import ConfigError

runner = CliRunner()


def test_tools_reports_what_each_tool_costs_a_model(with_example: None) -> None:
    result = runner.invoke(app, ["tools", "example", "activity", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["tool"]: row for row in json.loads(result.stdout)["tools"]}
    assert set(rows) == {"echo", "whoami", "fail", "outbox_size", "send", "list_activity"}
    send = rows["send"]
    assert send["server"] == "example" and send["description"] == "Send a message."
    compact_schema = json.dumps(send["input_schema"], separators=(",", ":"), ensure_ascii=False)
    assert send["input_schema"]["required"] == ["to", "text"]
    assert send["bytes"] == len("send") + len("Send a message.") + len(compact_schema.encode())
    assert send["tokens"] == (send["bytes"] + 3) // 4
    assert send["output_schema_bytes"] > 0


def test_tools_shows_the_prompts_each_server_offers_in_every_format(with_example: None) -> None:
    as_json = runner.invoke(app, ["tools", "example", "--json"])
    markdown = runner.invoke(app, ["tools", "example", "--markdown"])
    table = runner.invoke(app, ["tools", "example"], env={"COLUMNS": "200"})
    assert as_json.exit_code == markdown.exit_code == table.exit_code == 0, table.output
    assert json.loads(as_json.stdout)["prompts"] == [
        {
            "server": "example",
            "prompt": "announce",
            "title": "Announce",
            "description": "Send an announcement.",
            "arguments": [{"name": "to", "description": "Who hears it.", "required": True}],
        },
        {
            "server": "example",
            "prompt": "greet",
            "title": "Greet someone",
            "description": "Echo a greeting.",
            "arguments": [
                {"name": "name", "description": "Whom to greet.", "required": True},
                {"name": "mood", "description": "How (default: warmly).", "required": False},
            ],
        },
    ]
    assert markdown.stdout.split("\n\n", 1)[1] == (
        "| server | prompt | arguments (* required) | what it does |\n"
        "|---|---|---|---|\n"
        "| example | `announce` | to* | Send an announcement. |\n"
        "| example | `greet` | name*, mood | Echo a greeting. |\n"
    )
    assert "│ example │ greet    │ name*, mood            │ Echo a greeting." in table.stdout
    assert "2 prompts: hosts show them as slash commands" in table.stdout


def test_a_server_that_has_not_landed_is_reported_not_a_crash(planned_server: str) -> None:
    result = runner.invoke(app, ["tools", planned_server, "activity", "--json"])
    assert result.exit_code == 0
    assert "planned: not available yet" in result.stderr
    listed = json.loads(result.stdout)
    assert ([row["tool"] for row in listed["tools"]], listed["prompts"]) == (["list_activity"], [])


def test_call_passes_json_values_as_json_and_the_rest_as_strings() -> None:
    assert parse_arguments(["limit=5", "query=from:ann", 'tags=["a"]', "flag=true", "text=hello world"]) == {
        "limit": 5,
        "query": "from:ann",
        "tags": ["a"],
        "flag": True,
        "text": "hello world",
    }


def test_call_prints_the_structured_result(with_example: None) -> None:
    result = runner.invoke(app, ["call", "example", "echo", "text=hi there", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"text": "hi there"}


def test_call_refuses_a_confirmation_when_there_is_no_terminal_shows_what_it_was_and_fails(with_example: None) -> None:
    result = runner.invoke(app, ["call", "example", "send", "to=ann@example.com", "text=hi", "--json"])
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    preview, line = result.stderr.rstrip("\n").rsplit("\n", 1)
    assert "Send 'hi' to ann@example.com" in preview
    assert line == (
        "aide: confirmation needed but there is no terminal to ask on, so it was declined. Pass --yes to approve it."
    )


def test_call_reports_a_tool_error_and_exits_1(with_example: None) -> None:
    result = runner.invoke(app, ["call", "example", "fail", "kind=input"])
    assert result.exit_code == 1
    assert "kind 'input' is always refused" in result.stderr


def test_call_reads_each_value_by_the_tools_schema(with_example: None) -> None:
    schema = {"properties": {"query": {"type": "string"}, "limit": {"type": "integer"}, "note": {"type": "string"}}}
    assert parse_arguments(["query=123", "limit=5", "note=null", "other=[1]"], schema) == {
        "query": "123",
        "limit": 5,
        "note": "null",
        "other": [1],
    }
    result = runner.invoke(app, ["call", "example", "echo", "text=123", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"text": "123"}


def test_a_name_that_is_no_server_or_tool_lists_the_ones_there_are_and_exits_2(with_example: None) -> None:
    tools = runner.invoke(app, ["tools", "exmaple"])
    call = runner.invoke(app, ["call", "exmaple", "echo"])
    tool = runner.invoke(app, ["call", "example", "ecko", "text=hi"])
    assert (tools.exit_code, call.exit_code, tool.exit_code) == (2, 2, 2)
    assert tools.stdout == "" and tools.stderr.startswith("aide: no server is named 'exmaple' (servers: ")
    assert call.stderr.startswith("aide: no server is named 'exmaple' (servers: ")
    assert tool.stderr == "aide: example has no tool 'ecko' (tools: echo, fail, outbox_size, send, whoami)\n"


def test_a_tool_error_is_one_line_with_no_log_lines_before_it(with_example: None) -> None:
    result = runner.invoke(app, ["call", "example", "echo", "text=hi", "colour=red"])
    assert result.exit_code == 1
    assert result.stderr == "aide: Error executing tool echo: unknown argument 'colour'; it takes text.\n"


def test_claude_desktop_config_spawns_each_available_server_with_this_python_and_this_data_folder(
    settings: Any, planned_server: str
) -> None:
    result = runner.invoke(app, ["config", "claude-desktop"])
    assert result.exit_code == 0
    servers = json.loads(result.stdout)["mcpServers"]
    assert servers["aide-activity"] == {
        "command": sys.executable,
        "args": ["-m", "aide_core.launch", "activity"],
        "env": {"AIDE_HOME": str(settings.home), "AIDE_CONFIG": str(settings.config_file)},
    }
    assert "aide-planned" not in servers  # not available yet


def test_config_shows_the_files_and_the_http_token(settings: Any) -> None:
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    token = (settings.home / "http-token").read_text().strip()
    assert f"http token:    {token}" in result.stdout
    assert str(settings.config_file) in result.stdout


def test_doctor_has_one_line_per_server(planned_server: str) -> None:
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    for name in registry.installed():
        assert sum(f" {name} " in line for line in lines) == 1
    assert any(" planned " in line and "not available yet" in line for line in lines)


def test_serve_refuses_a_public_address_without_auth_before_binding() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "aide_core.cli", "serve", "--host", "0.0.0.0", "--no-auth"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "refusing to serve on 0.0.0.0 without authentication" in done.stderr
    assert "Traceback" not in done.stderr


def test_serve_over_stdio_needs_exactly_one_server() -> None:
    result = runner.invoke(app, ["serve", "--transport", "stdio"])
    assert isinstance(result.exception, ConfigError)  # main() turns it into one line and exit 2
    assert "stdio serves exactly one server" in str(result.exception)


def test_call_tools_and_doctor_run_against_the_sandbox_with_no_account() -> None:
    from aide_sandbox import entry

    try:
        found = runner.invoke(app, ["call", "gmail", "search_emails", "query=postmortem", "--sandbox", "--json"])
        listed = runner.invoke(app, ["tools", "gmail", "--sandbox", "--json"])
        doctor = runner.invoke(app, ["doctor", "--sandbox"])
    finally:
        while entry._RUNNING:  # pyright: ignore[reportPrivateUsage]
            entry._RUNNING.pop().stop()  # pyright: ignore[reportPrivateUsage]
    assert found.exit_code == 0, found.output
    assert "postmortem" in json.dumps(json.loads(found.stdout)["emails"]).lower()
    assert listed.exit_code == 0 and "send_email" in [row["tool"] for row in json.loads(listed.stdout)["tools"]]
    assert [row["prompt"] for row in json.loads(listed.stdout)["prompts"]] == ["draft_reply", "triage_inbox"]
    [gmail_row] = [line for line in doctor.stdout.splitlines() if line.startswith("│ gmail ")]
    assert doctor.exit_code == 0 and "│ ok " in gmail_row and gmail_row.count("ok") >= 2  # signed in, reachable


def test_a_port_in_use_is_one_line_before_anything_starts() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "aide_core.cli", "serve", "--sandbox", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            env=dict(os.environ),
        )
    assert done.returncode == 1
    assert done.stderr == (
        f"aide: cannot listen on 127.0.0.1:{port} (Address already in use). Stop what uses it, or choose another "
        "port with --port (0 picks a free one).\n"
    )  # and no "sandbox: emulators on ..." line: nothing was started


def test_call_yes_confirms_for_a_script_and_tools_json_carries_input_schemas(with_example: None) -> None:
    sent = runner.invoke(app, ["call", "example", "send", "to=ann@example.com", "text=hi", "--json", "--yes"])
    listed = runner.invoke(app, ["tools", "example", "--json"])
    assert sent.exit_code == 0, sent.output
    assert json.loads(sent.stdout)["status"] == "done"
    assert "Send 'hi' to ann@example.com" in sent.stderr and "confirmed (--yes)" in sent.stderr
    schemas = {row["tool"]: row["input_schema"] for row in json.loads(listed.stdout)["tools"]}
    assert schemas["echo"] == {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}


@pytest.mark.anyio
async def test_claude_desktops_sandbox_entries_start_together_on_one_seeded_state() -> None:
    import anyio
    from mcp import Client, StdioServerParameters

    printed = runner.invoke(app, ["config", "claude-desktop", "gmail", "calendar", "--sandbox"])
    assert printed.exit_code == 0, printed.output
    entries = json.loads(printed.stdout)["mcpServers"]
    assert entries["aide-gmail"]["args"] == ["-m", "aide_core.launch", "gmail", "--sandbox"]
    results: dict[str, Any] = {}

    async def run(name: str, tool: str, arguments: dict[str, Any]) -> None:
        entry = entries[f"aide-{name}"]
        env = {"PATH": os.environ["PATH"], "AIDE_CREDENTIAL_BACKEND": "file"} | entry["env"]
        params = StdioServerParameters(command=entry["command"], args=entry["args"], env=env)
        with anyio.fail_after(60):
            async with Client(params) as client:
                results[name] = await client.call_tool(tool, arguments)

    async with anyio.create_task_group() as group:  # as a host spawns them: at once, on one data folder
        group.start_soon(run, "gmail", "search_emails", {"query": 'subject:"Q4 offsite planning"', "limit": 20})
        group.start_soon(run, "calendar", "list_calendars", {})
    mail, calendars = results["gmail"], results["calendar"]
    assert not mail.is_error and not calendars.is_error, (mail.content, calendars.content)
    threads = {row["thread_id"] for row in mail.structured_content["emails"]}
    assert len(threads) == 1  # the seed was written once, not once per process
    assert any(row["primary"] for row in calendars.structured_content["calendars"])
