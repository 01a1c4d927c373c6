"""What the `aide` command says when a person gets something wrong and no terminal is attached: one line saying what
happened and what to do, a non-zero exit code, never a traceback. Run through `main` in-process (as the installed
command runs, with its conversion of errors into lines), and as a real process where signals are involved."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aide_core import cli

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def aide(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], aide_logging: Callable[[str], None]
) -> Run:
    """`aide ARGS` through `main`, as the installed command runs it (stdin is not a terminal under pytest): its exit
    code, stdout and stderr. Plug-in commands are not added: these are core's."""
    monkeypatch.setattr(cli, "_add_plugins", lambda: None)

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["aide", *args])
        code: Any = 0
        try:
            cli.main()
        except SystemExit as exited:
            code = exited.code
        captured = capsys.readouterr()
        return (code if isinstance(code, int) else 1), captured.out, captured.err

    return run


@pytest.mark.parametrize("port", ["99999", "-1"])
def test_a_port_out_of_range_is_one_line_and_exit_2(aide: Run, port: str) -> None:
    assert aide("serve", "--port", port) == (
        2,
        "",
        f"aide: --port must be between 0 and 65535 (0 picks a free one), not {port}\n",
    )


def test_a_host_that_is_not_this_machines_says_so(aide: Run) -> None:
    code, out, err = aide("serve", "--host", "999.1.1.1", "--port", "0")
    assert (code, out) == (1, "")
    assert err.startswith("aide: cannot listen on 999.1.1.1:0 (")  # the resolver's own words follow
    assert err.endswith(
        "). 999.1.1.1 is not an address of this machine: choose one of its addresses with --host (127.0.0.1 is).\n"
    )
    assert err.count("\n") == 1


@pytest.mark.parametrize("argument", ["query", "=x"])
def test_call_says_arguments_are_name_value_before_connecting(aide: Run, with_example: None, argument: str) -> None:
    assert aide("call", "example", "echo", argument) == (
        2,
        "",
        f"aide: each argument is name=value (such as query=invoices), not {argument!r}\n",
    )


def test_a_config_file_that_is_not_utf8_is_named(aide: Run, settings: Any) -> None:
    settings.config_file.write_bytes(b'a = "\xe9"')
    assert aide("config") == (
        2,
        "",
        f"aide: invalid in {settings.config_file}: the file is not UTF-8 text (byte 0xe9 at offset 5); save it as "
        "UTF-8\n",
    )


@pytest.mark.parametrize("command", [["config"], ["serve", "--port", "0"], ["doctor"], ["tools"]])
def test_a_home_that_is_a_file_is_one_line_and_exit_1(
    aide: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    home = tmp_path / "home-file"
    home.write_text("")
    monkeypatch.setenv("AIDE_HOME", str(home))
    under = home / "aide"
    assert aide(*command) == (
        1,
        "",
        f"aide: cannot use {home} as aide's home (it is a file, not a folder). Set AIDE_HOME to a folder you can "
        "write.\n",
    )
    monkeypatch.setenv("AIDE_HOME", str(under))
    assert aide(*command) == (
        1,
        "",
        f"aide: cannot use {under} as aide's home ({home} is a file, not a folder). Set AIDE_HOME to a folder you "
        "can write.\n",
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write any folder, whatever its mode")
def test_a_home_aide_may_not_write_is_one_line_and_exit_1(aide: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    monkeypatch.setenv("AIDE_HOME", str(locked))
    assert aide("config") == (
        1,
        "",
        f"aide: cannot use {locked} as aide's home (you may not read and write it). Set AIDE_HOME to a folder you "
        "can write.\n",
    )
    monkeypatch.setenv("AIDE_HOME", str(locked / "aide"))
    assert aide("config") == (
        1,
        "",
        f"aide: cannot use {locked / 'aide'} as aide's home (it cannot be created: you may not write {locked}). "
        "Set AIDE_HOME to a folder you can write.\n",
    )


def test_claude_desktop_refuses_a_name_that_is_no_server(aide: Run) -> None:
    from aide_core.registry import installed

    assert aide("config", "claude-desktop", "activity", "nosuch") == (
        2,
        "",
        f"aide: no server is named 'nosuch' (servers: {', '.join(installed())})\n",
    )


def test_an_empty_aide_home_is_the_default_home(aide: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIDE_HOME", "")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    code, out, err = aide("config")
    assert (code, err) == (0, "")
    assert f"data:          {tmp_path / 'data' / 'aide'}\n" in out


@pytest.mark.parametrize(
    ("variable", "value", "line"),
    [
        (
            "AIDE_ACTIVITY",
            '{"confirm": "maybe"}',
            "aide: invalid setting 'activity.confirm' in environment variable AIDE_ACTIVITY: Input should be "
            "'elicit', 'token' or 'never'",
        ),
        (
            "AIDE_ACTIVITY",
            "token",
            "aide: invalid in environment variable AIDE_ACTIVITY: not a JSON object (Expecting value)",
        ),
        (
            "AIDE_PORT",
            "abc",
            "aide: invalid setting 'port' in environment variable AIDE_PORT: unknown setting; the HTTP server's port "
            "is AIDE_HTTP__PORT",
        ),
        (
            "AIDE_DRY_RUN",
            "true",
            "aide: invalid setting 'dry_run' in environment variable AIDE_DRY_RUN: unknown setting; a server's "
            "dry_run is AIDE_<SERVER>__DRY_RUN (AIDE_<SERVER> takes a JSON table)",
        ),
    ],
)
def test_a_bad_environment_variable_is_named(
    aide: Run, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, line: str
) -> None:
    monkeypatch.setenv(variable, value)
    assert aide("config") == (2, "", line + "\n")


def test_a_servers_table_is_read_from_json_and_other_aide_variables_are_left_alone(
    aide: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIDE_ACTIVITY", '{"confirm": "token", "dry_run": true}')
    monkeypatch.setenv("AIDE_ACTIVITY__DRY_RUN", "false")  # a key's own variable wins over the table, as for http
    monkeypatch.setenv("AIDE_AGENT_MODEL", "anthropic:some-model")  # read by another package, not a setting
    code, out, err = aide("config")
    assert (code, err) == (0, "")
    assert "[activity]  confirm='token'\n" in out


def test_a_log_level_is_read_in_any_case(aide: Run, settings: Any) -> None:
    settings.config_file.write_text('log_level = "debug"\n')
    from aide_core.settings import load_settings

    assert load_settings().log_level == "DEBUG"
    assert aide("config", "claude-desktop", "activity")[0] == 0


def test_a_second_ctrl_c_stops_serve_at_once_quietly_with_130() -> None:
    """The first Ctrl-C waits for open connections (a request still being sent, here) to close; the second ends the
    process."""
    command = [sys.executable, "-m", "aide_core.cli", "serve", "activity", "--port", "0", "--no-auth"]
    seen: list[str] = []
    with subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        errors = process.stderr

        def wait_for(text: str) -> None:
            for line in errors:
                seen.append(line)
                if text in line:
                    return
            raise AssertionError(f"{text!r} never came: {''.join(seen)}")

        try:
            wait_for("Application startup complete.")  # uvicorn's signal handlers are in place
            port = int(next(line for line in process.stdout if " serving " in line).rsplit(":", 1)[1])
            with socket.create_connection(("127.0.0.1", port), timeout=30) as pending:
                # A request whose body is still coming: a graceful stop waits for it. `Expect: 100-continue` makes
                # the server say when the application has started reading the body, so the signal goes only once
                # the request is surely in progress (sent at once, it could land before uvicorn took the request).
                pending.sendall(
                    f"POST /activity/mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                    "Accept: application/json, text/event-stream\r\nContent-Length: 100\r\n"
                    "Expect: 100-continue\r\n\r\n".encode()
                )
                answer = b""
                while b"100 Continue" not in answer:
                    chunk = pending.recv(1024)
                    assert chunk, f"the server closed the connection: {answer!r}"
                    answer += chunk
                process.send_signal(signal.SIGINT)
                wait_for("Waiting for connections to close.")
                process.send_signal(signal.SIGINT)
                rest = errors.read()
                assert process.wait(timeout=30) == 130
        finally:
            if process.poll() is None:
                process.kill()
    assert rest == "aide: stopped at once (second Ctrl-C): open connections were not waited for\n"
    assert "Traceback" not in "".join(seen)


def test_calling_a_server_that_cannot_run_is_one_aide_line(aide: Run, planned_server: str) -> None:
    assert aide("call", planned_server, "anything") == (2, "", f"aide: {planned_server} is not available yet\n")
