"""`aide chat`, run in-process with a scripted model (the JSON script form of `--model scripted:<file>`)."""

from __future__ import annotations

import json
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from aide_agent.cli import chat
from aide_core.errors import AideError
from aide_sandbox.app import SandboxHandle
from aide_sandbox.llm import Reply

app = typer.Typer()
app.command("chat")(chat)
app.command("other")(lambda: None)  # two commands, so typer keeps the sub-command name as in `aide chat`


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """A chat typed at a terminal: CliRunner's stdin is not one, and a chat without one is refused."""
    monkeypatch.setattr("aide_agent.cli.stdin_is_terminal", lambda: True)


def script(tmp_path: Path, turns: list[Any]) -> str:
    path = tmp_path / "script.json"
    path.write_text(json.dumps(turns))
    return f"scripted:{path}"


def test_chat_is_a_sub_command_of_aide() -> None:
    (point,) = entry_points(group="aide.commands", name="chat")
    assert point.load() is chat


def test_chat_p_answers_once_on_stdout_after_calling_tools(tmp_path: Path) -> None:
    model = script(tmp_path, [[{"tool": "memory__recall", "arguments": {"query": "tea"}}], "You like tea.", "[]"])
    result = CliRunner().invoke(app, ["chat", "-p", "What do I like?", "--model", model, "--servers", "memory"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "You like tea.\n"
    assert "memory.recall(query='tea')" in result.stderr


def test_without_a_key_chat_names_the_variables_and_the_model_option() -> None:
    result = CliRunner().invoke(app, ["chat", "-p", "hi"])
    assert result.exit_code == 2
    assert "ANTHROPIC_API_KEY" in result.stderr and "OPENAI_API_KEY" in result.stderr and "--model" in result.stderr


def test_an_interactive_chat_asks_approval_inline_and_answers_slash_commands(tmp_path: Path, terminal: None) -> None:
    remember = {
        "tool": "memory__remember",
        "arguments": {"items": [{"content": "Likes tea", "category": "preference"}]},
    }
    model = script(tmp_path, [[remember], "Saved.", "[]", "Fresh start.", "[]"])
    lines = ["/tools", "remember that I like tea", "y", "/memory", "/cost", "/new", "hello", "/quit"]
    result = CliRunner().invoke(app, ["chat", "--model", model, "--servers", "memory"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "memory__remember" in out and "memory__recall" in out  # /tools
    assert "memory: remember(" in out and "allow? [y/N]" in out  # the approval, inline
    assert "Saved." in out and "Fresh start." in out
    assert "Likes tea" in out  # /memory shows the profile
    assert "2 requests" in out or "requests" in out  # /cost
    assert "memory: 1 calls" in out


@pytest.mark.parametrize("answer", ["n", ""])
def test_anything_but_yes_declines(tmp_path: Path, answer: str, terminal: None) -> None:
    remember = {"tool": "memory__remember", "arguments": {"items": [{"content": "Likes tea"}]}}
    model = script(tmp_path, [[remember], "Not saved.", "[]"])
    result = CliRunner().invoke(
        app, ["chat", "--model", model, "--servers", "memory"], input=f"remember tea\n{answer}\n/memory\n/quit\n"
    )
    assert result.exit_code == 0, result.output
    assert "✗" in result.stdout and "declined" in result.stdout
    assert "No preferences or facts remembered yet." in result.stdout


def test_saved_conversations_are_listed_resumed_and_deleted(tmp_path: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(
        app, ["chat", "-p", "hello there", "--model", script(tmp_path, ["Hi."]), "--servers", "activity"]
    )
    assert first.exit_code == 0, first.output
    listed = runner.invoke(app, ["chat", "--list"])
    assert "hello there" in listed.stdout
    (conversation_id,) = [line.split()[1] for line in listed.stdout.splitlines() if "hello there" in line]
    model = script(tmp_path, ["Welcome back."])
    resumed = runner.invoke(
        app, ["chat", "-p", "again", "--resume", conversation_id, "--model", model, "--servers", "activity"]
    )
    assert resumed.exit_code == 0, resumed.output
    assert resumed.stdout == "Welcome back.\n"
    assert " 5 " in runner.invoke(app, ["chat", "--list"]).stdout  # system, user, assistant, user, assistant
    assert runner.invoke(app, ["chat", "--delete", conversation_id]).exit_code == 0
    assert "hello there" not in runner.invoke(app, ["chat", "--list"]).stdout
    assert runner.invoke(app, ["chat", "--delete", conversation_id]).exit_code == 2


def test_chat_with_the_sandbox_composes_gmail_and_memory_against_the_emulators(tmp_path: Path) -> None:
    # The seed is dated from the day it is made, so its ids change daily: the model searches instead of reading an id.
    search = {"tool": "gmail__search_emails", "arguments": {"query": "from:José postmortem"}}
    model = script(
        tmp_path, [[search, {"tool": "memory__recall", "arguments": {"query": "José"}}], "A postmortem.", "[]"]
    )
    result = CliRunner().invoke(app, ["chat", "-p", "What did José send?", "--sandbox", "--model", model])
    assert result.exit_code == 0, result.output
    assert result.stdout == "A postmortem.\n"
    assert "sandbox: emulators on http://127.0.0.1:" in result.stderr
    assert "not available" not in result.stderr
    assert "✓ gmail.search_emails" in result.stderr and "✓ memory.recall" in result.stderr
    assert "✗" not in result.stderr


def test_chat_talks_to_an_openai_compatible_endpoint_and_reports_its_errors_in_one_line(fakes: SandboxHandle) -> None:
    endpoint = ["--model", "openai:local-model", "--base-url", fakes.urls["openai"], "--servers", "activity"]
    fakes.llm.queue("openai.chat", Reply(text="Hello from the endpoint."))
    answered = CliRunner().invoke(app, ["chat", "-p", "hi", *endpoint])
    assert answered.exit_code == 0, answered.output
    assert answered.stdout == "Hello from the endpoint.\n"
    (request,) = fakes.llm.requests("openai.chat")
    assert request.body["model"] == "local-model"
    fakes.llm.queue("openai.chat", *[Reply(status=429, retry_after=0.001)] * 3)  # the SDK retries twice, then gives up
    failed = CliRunner().invoke(app, ["chat", "-p", "hi again", *endpoint])
    assert failed.exit_code == 1 and isinstance(failed.exception, SystemExit)  # an answer, not a crash
    assert " ".join(failed.stderr.split()).endswith(  # rich wraps it at the terminal's width
        "aide chat: openai:local-model: rate limited, retry in 0.001 s: "
        "Rate limit reached for requests. Please try again later."
    )


def test_sandbox_without_the_sandbox_package_is_a_one_line_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import importlib.metadata

    model = script(tmp_path, ["Hi."])
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: [])  # as if aide-sandbox were not installed
    result = CliRunner().invoke(app, ["chat", "-p", "hi", "--sandbox", "--model", model])
    assert result.exit_code == 2
    assert "aide chat: no sandbox installed: install aide-sandbox for --sandbox" in result.stderr


def test_a_damaged_conversation_store_is_one_line_naming_the_file(
    settings: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from aide_core.cli import main

    settings.home.mkdir(mode=0o700)
    path = settings.home / "conversations.sqlite3"
    path.write_bytes(b"not a database, just garbage " * 300)
    monkeypatch.setattr("sys.argv", ["aide", "chat", "--list"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 1
    assert capsys.readouterr().err == (
        f"aide: The conversation database {path} is damaged or is not an SQLite database (file is not a database). "
        "The user must move the file away (aide then starts a new, empty one) or restore it from a backup.\n"
    )


def test_conversations_are_kept_0600_in_a_0700_folder(tmp_path: Path) -> None:
    import os
    import stat

    from aide_agent.store import ConversationStore

    previous = os.umask(0)
    try:
        store = ConversationStore(tmp_path / "home" / "conversations.sqlite3")
        store.create(title="hello")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "home").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "home" / "conversations.sqlite3").stat().st_mode) == 0o600


async def recalled(query: str) -> list[str]:
    """What the memory server recalls for `query` (in this process, for whoever the context acts for)."""
    from mcp import Client

    from aide_memory.server import spec

    async with Client(spec.build()) as client:
        result = await client.call_tool("recall", {"query": query})
    return [str(item["content"]) for item in (result.structured_content or {})["results"]]


ANN_WITH_MEMORY = ("--servers", "memory", "--user", "ann")


def test_chat_as_a_named_user_keeps_their_memories_and_conversations_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import anyio

    from aide_core.identity import acting_as

    monkeypatch.setenv("AIDE_MEMORY__TRUSTED", "true")  # remember runs without asking (-p has nobody to ask)

    remember = {"tool": "memory__remember", "arguments": {"items": [{"content": "Ann likes green tea"}]}}
    runner = CliRunner()
    stored = runner.invoke(
        app,
        ["chat", "-p", "remember tea", "--model", script(tmp_path, [[remember], "Noted.", "[]"]), *ANN_WITH_MEMORY],
    )
    assert stored.exit_code == 0, stored.output
    with acting_as("ann"):
        anns = anyio.run(recalled, "green tea")
    mine = anyio.run(recalled, "green tea")
    assert anns == ["Ann likes green tea"] and mine == []
    listed_ann = runner.invoke(app, ["chat", "--list", "--user", "ann"]).stdout
    listed_mine = runner.invoke(app, ["chat", "--list"]).stdout
    assert "remember tea" in listed_ann and "remember tea" not in listed_mine
    blank = runner.invoke(app, ["chat", "--list", "--user", " "])
    assert blank.exit_code == 2 and blank.stderr == "aide chat: --user needs a name, such as --user ann.\n"


def test_chat_p_without_a_terminal_declines_what_needs_approval_and_still_answers(tmp_path: Path) -> None:
    """As cron or a pipe runs it: a subprocess whose stdin is not a terminal (and is empty)."""
    import subprocess
    import sys

    remember = {"tool": "memory__remember", "arguments": {"items": [{"content": "Likes tea"}]}}
    model = script(tmp_path, [[remember], "I could not save that.", "[]"])
    command = [sys.executable, "-m", "aide_core.cli", "chat", "-p", "remember tea", "--model", model]
    run = subprocess.run(
        [*command, "--servers", "memory"], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == "I could not save that.\n"
    assert "declined (no terminal to ask on): memory: remember(" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_script_needs_no_turn_for_learning_and_an_exhausted_one_is_one_line_and_not_kept(tmp_path: Path) -> None:
    runner = CliRunner()
    answered = runner.invoke(app, ["chat", "-p", "hi", "--model", script(tmp_path, ["Hello."]), "--servers", "memory"])
    assert (answered.exit_code, answered.stdout) == (0, "Hello.\n")
    exhausted = runner.invoke(app, ["chat", "-p", "again", "--model", script(tmp_path, []), "--servers", "memory"])
    assert exhausted.exit_code == 1 and exhausted.stdout == ""
    assert exhausted.stderr.startswith("aide chat: scripted: the script has no turn left for request 1 (add one:")
    assert "Traceback" not in exhausted.stderr
    listed = runner.invoke(app, ["chat", "--list"]).stdout
    assert "hi" in listed and "again" not in listed  # the run nobody answered is not kept
    bare = runner.invoke(app, ["chat", "-p", "hi", "--model", "scripted"])
    assert bare.exit_code == 2 and bare.stderr.startswith("aide chat: --model scripted needs a script:")


def test_a_host_config_file_brings_only_its_own_servers_and_a_bad_one_is_one_line(
    tmp_path: Path, terminal: None
) -> None:
    import sys

    from aide_core.cli.config import claude_desktop_config

    hosts = tmp_path / "claude_desktop_config.json"
    config = claude_desktop_config(["activity"])
    hosts.write_text(json.dumps(config))
    assert list(config["mcpServers"]) == ["aide-activity"]
    model = script(tmp_path, ["Hi."])
    runner = CliRunner()
    result = runner.invoke(app, ["chat", "--model", model, "--servers", str(hosts)], input="/tools\n/quit\n")
    assert result.exit_code == 0, result.output
    assert "aide-activity__list_activity" in result.stdout
    assert "memory__" not in result.stdout and "gmail__" not in result.stdout  # nothing the file does not name
    assert "not available" not in result.stderr
    missing = runner.invoke(app, ["chat", "-p", "hi", "--model", model, "--servers", str(tmp_path / "none.json")])
    (tmp_path / "bad.json").write_text("[1, 2]")
    bad = runner.invoke(app, ["chat", "-p", "hi", "--model", model, "--servers", str(tmp_path / "bad.json")])
    assert missing.exit_code == 2 and missing.stderr.startswith("aide chat: cannot read ")
    assert bad.exit_code == 2 and bad.stderr.startswith("aide chat: ") and "is not an mcpServers file" in bad.stderr
    assert sys.executable in json.dumps(config)


def test_the_demo_runs_mail_calendar_and_memory_against_the_sandbox_with_no_key_and_answers_from_them() -> None:
    """As a newcomer runs it: a subprocess with no terminal and no model key."""
    import os
    import subprocess
    import sys

    clean = {k: v for k, v in os.environ.items() if k not in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY")}
    run = subprocess.run(
        [sys.executable, "-m", "aide_core.cli", "chat", "--demo"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        env=clean,
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("Mail: ") and lines[0].endswith("important unread message(s).")
    assert any(line.startswith("Calendar: ") and "event(s) this week" in line for line in lines)
    assert lines[-1] == "Memory: 0 thing(s) remembered about meetings."
    for tool in ("gmail.search_emails", "calendar.list_events", "memory.recall"):
        assert f"✓ {tool}" in run.stderr
    assert "Traceback" not in run.stderr and " INFO " not in run.stderr


def test_a_script_that_cannot_be_read_or_is_not_a_script_is_one_line_naming_it(tmp_path: Path) -> None:
    form = (
        'write a JSON list of turns (a string answers; a list of {"tool": "server__tool", "arguments": {...}} calls '
        "tools)"
    )
    (tmp_path / "object.json").write_text('{"a": 1}')
    (tmp_path / "turn.json").write_text('["Hi.", [{"arguments": {}}]]')
    (tmp_path / "broken.json").write_text("[")
    expected = {
        "missing.json": f"aide chat: cannot read the script {tmp_path / 'missing.json'} (No such file or directory)",
        ".": f"aide chat: cannot read the script {tmp_path / '.'} (Is a directory)",
        "object.json": f"aide chat: the script {tmp_path / 'object.json'} is not a list: {form}",
        "turn.json": f"aide chat: turn 2 of the script {tmp_path / 'turn.json'} is neither an answer nor tool calls: "
        + form,
        "broken.json": f"aide chat: the script {tmp_path / 'broken.json'} is not JSON (Expecting value: line 1 "
        f"column 2 (char 1)): {form}",
    }
    said = {}
    for name in expected:
        result = CliRunner().invoke(app, ["chat", "-p", "hi", "--model", f"scripted:{tmp_path / name}"])
        said[name] = (result.exit_code, result.stderr)
    assert said == {name: (2, line + "\n") for name, line in expected.items()}


def test_a_chat_without_a_terminal_or_a_question_is_refused_in_one_line_pointing_at_p(tmp_path: Path) -> None:
    model = script(tmp_path, ["Hi."])
    result = CliRunner().invoke(app, ["chat", "--model", model, "--servers", "activity"], input="hello\n")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == 'aide chat: no terminal to chat on: ask once with -p "…" (the answer goes to stdout).\n'
    blank = CliRunner().invoke(app, ["chat", "-p", " ", "--model", model, "--servers", "activity"])
    assert (blank.exit_code, blank.stderr) == (
        2,
        'aide chat: -p needs a question, such as -p "What is on my calendar today?"\n',
    )


def test_an_unknown_server_name_is_refused_listing_the_servers(tmp_path: Path) -> None:
    from aide_core.registry import installed

    model = script(tmp_path, ["Hi."])
    result = CliRunner().invoke(app, ["chat", "-p", "hi", "--model", model, "--servers", "activity,nosuch"])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"aide chat: no server is named 'nosuch' (servers: {', '.join(installed())}, or an mcpServers .json file)\n"
    )


@pytest.mark.parametrize("limit", ["-1", "0", "nan"])
def test_a_daily_cost_limit_that_is_not_more_than_0_is_refused(tmp_path: Path, limit: str) -> None:
    model = script(tmp_path, ["Hi."])
    result = CliRunner().invoke(app, ["chat", "-p", "hi", "--model", model, "--max-cost-per-day", limit])
    assert (result.exit_code, result.stderr) == (
        2,
        f"aide chat: --max-cost-per-day {float(limit):g}: give the dollars a day to stop at, more than 0.\n",
    )


def test_listing_with_no_conversations_says_so() -> None:
    result = CliRunner().invoke(app, ["chat", "--list"])
    assert (result.exit_code, result.stdout) == (0, "No conversations yet.\n")


def test_a_sandbox_whose_state_cannot_be_made_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.write_text("not a folder")
    monkeypatch.setenv("AIDE_HOME", str(home))
    result = CliRunner().invoke(app, ["chat", "--demo"])
    # Core checks the home as it reads the settings, before the sandbox is touched; `aide`'s entry point turns the
    # error into its one line (core's test_cli_failures runs that).
    assert (result.exit_code, result.stdout) == (1, "")
    assert isinstance(result.exception, AideError)
    assert str(result.exception).startswith(f"cannot use {home} as aide's home (it is a file, not a folder)")
