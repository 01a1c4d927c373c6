"""A library does not configure its host: importing aide or building a server leaves the process's logging as it was,
and only aide's entry points (the `aide` command, the stdio launcher) configure it: stderr only, secrets masked.

Each check runs in a fresh interpreter, because this test process has long since imported everything."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SECRET = "probe-secret-4f1c9a"

#: Snapshot the logging state a library must not change, run BODY, and fail with both states if it changed.
UNCHANGED = """
import logging

def state():
    root = logging.getLogger()
    named = {n: logging.getLogger(n).level for n in ("mcp", "client", "sse_starlette", "httpcore", "asyncio")}
    return logging.getLogRecordFactory(), list(root.handlers), root.level, named

before = state()
{body}
after = state()
assert after == before, (before, after)
"""


def run(script: str, *, stdin: str | None = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        input=stdin,
        capture_output=True,
        text=True,
        env=dict(os.environ),  # the isolated AIDE_HOME and config of the `aide_env` fixture
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("import aide_core.server", id="aide_core.server"),
        pytest.param(
            "import importlib, pkgutil\n"
            "for package in ('aide_core', 'aide_agent', 'aide_gmail', 'aide_memory'):\n"
            "    for info in pkgutil.walk_packages(importlib.import_module(package).__path__, package + '.'):\n"
            "        if not info.name.endswith('__main__'):\n"
            "            importlib.import_module(info.name)",
            id="every-module",
        ),
        pytest.param("import aide_agent", id="aide_agent"),
        pytest.param("from aide_core.server import ServerSpec\nServerSpec('probe').build()", id="build-a-spec"),
        pytest.param("from aide_gmail.server import spec\nspec.build()", id="build-gmail"),
        pytest.param("from aide_memory.server import spec\nspec.build()", id="build-memory"),
    ],
)
def test_importing_aide_or_building_a_server_leaves_the_process_logging_alone(body: str) -> None:
    done = run(UNCHANGED.replace("{body}", body))
    assert done.returncode == 0, done.stderr


def test_building_a_server_keeps_the_hosts_own_logging_configuration() -> None:
    """An application that configured logging first keeps its handler, level and factory: aide adds none."""
    done = run(
        """
        import logging, sys
        logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="host: %(message)s")
        root = logging.getLogger()
        handlers, factory = list(root.handlers), logging.getLogRecordFactory()
        from aide_core.server import ServerSpec
        ServerSpec("probe").build()
        assert (root.handlers, root.level, logging.getLogRecordFactory()) == (handlers, logging.WARNING, factory)
        logging.getLogger("aide.probe").warning("still the host's format")
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == "host: still the host's format\n"


def test_building_a_server_does_not_import_rich_and_leaves_it_importable() -> None:
    """The SDK's constructor imports rich for a handler aide drops (about 25 ms of every cold start): the import is
    blocked while it runs, and only while it runs."""
    done = run(
        """
        import sys
        from aide_core.server import ServerSpec
        ServerSpec("probe").build()
        assert not [name for name in sys.modules if name == "rich" or name.startswith("rich.")], "rich was imported"
        from rich.console import Console
        from rich.logging import RichHandler
        assert Console and RichHandler
        """
    )
    assert done.returncode == 0, done.stderr


def test_the_stdio_launcher_logs_to_stderr_with_secrets_masked_and_nothing_on_stdout() -> None:
    done = run(
        f"""
        import logging, sys
        from aide_core.launch import run_spec
        from aide_core.logs import register_secret
        from aide_core.server import ServerSpec

        class Probe(ServerSpec):
            def build(self, *args, **kwargs):
                logging.getLogger("aide.probe").warning("token {SECRET} in a log line")
                return super().build(*args, **kwargs)

        register_secret("{SECRET}")
        sys.exit(run_spec(Probe("probe")))
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert "WARNING aide.probe: token [secret] in a log line" in done.stderr
    assert SECRET not in done.stderr


def test_the_aide_command_configures_logging_before_any_command_runs() -> None:
    """`aide ...` is an entry point: after `main`, aide's stderr handler is on the root, with secrets masked, and
    the SDK's loggers are held at INFO so that DEBUG never logs message contents."""
    done = run(
        f"""
        import logging, sys
        from aide_core.cli import main
        from aide_core.logs import register_secret

        sys.argv = ["aide", "config", "claude-desktop", "--help"]
        try:
            main()
        except SystemExit:
            pass
        root = logging.getLogger()
        assert [getattr(h, "_aide", False) for h in root.handlers] == [True], root.handlers
        assert logging.getLogger("mcp").level == logging.INFO
        register_secret("{SECRET}")
        logging.getLogger("aide.probe").warning("token %s", "{SECRET}")
        """
    )
    assert done.returncode == 0, done.stderr
    assert "WARNING aide.probe: token [secret]" in done.stderr
    assert SECRET not in done.stderr


def test_configure_logging_masks_secrets_for_every_handler_and_is_idempotent(tmp_path: Path) -> None:
    done = run(
        f"""
        import io, logging
        from aide_core.logs import configure_logging, register_secret

        configure_logging("DEBUG")
        factory = logging.getLogRecordFactory()
        configure_logging("INFO")
        assert logging.getLogRecordFactory() is factory and len(logging.getLogger().handlers) == 1
        other = io.StringIO()  # a handler the application added, with logging's plain formatter
        logging.getLogger().addHandler(logging.StreamHandler(other))
        register_secret("{SECRET}")
        logging.getLogger("aide.probe").warning("token %s", "{SECRET}")
        assert other.getvalue() == "token [secret]\\n", other.getvalue()
        """
    )
    assert done.returncode == 0, done.stderr
