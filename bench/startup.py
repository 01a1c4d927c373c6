"""Cold start of each aide server over stdio, next to the floor: a bare one-tool MCPServer on the same SDK.

One sample is the time from spawning the process to reading the answer to its first `tools/list`. The client side
is raw JSON-RPC over the child's pipes (no SDK client), so nothing but the server's own start-up is counted. Runs
are interleaved (floor, server A, server B, floor, ...) so that drift in the machine's load hits every row alike.

    uv run python bench/startup.py [--runs 10] [--json results.json] [--first-start] [SERVER ...]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import selectors
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

GOAL_MS = 60.0
FLOOR = "floor"
FLOOR_SCRIPT = Path(__file__).resolve().with_name("floor_server.py")

#: `initialize`, `notifications/initialized` and `tools/list`, written in one go before anything is read.
PAYLOAD = b"".join(
    json.dumps(message, separators=(",", ":")).encode() + b"\n"
    for message in (
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "aide-startup-bench", "version": "0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}},
    )
)
TOOLS_LIST_ID = 2


class BenchError(RuntimeError):
    pass


@dataclass
class Target:
    name: str
    command: list[str]
    samples: list[float] = field(default_factory=list)  # milliseconds
    cpu: list[float] = field(default_factory=list)  # milliseconds of CPU, where the OS says (Linux)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def cpu_median(self) -> float | None:
        return statistics.median(self.cpu) if self.cpu else None


def cpu_ms(pid: int) -> float | None:
    """CPU time the process has used so far, all its threads, in ms (Linux's schedstat, nanoseconds; None elsewhere).
    Unlike wall time it does not count the time the machine gave to others, so it varies far less between runs on a
    shared machine: the same start measured both ways."""
    total = 0
    try:
        for task in os.scandir(f"/proc/{pid}/task"):
            with open(os.path.join(task.path, "schedstat")) as stat:
                total += int(stat.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return total / 1e6


def _answer(stdout: int, deadline: float) -> dict[str, object]:
    """Read the child's stdout until the `tools/list` answer arrives; return it."""
    buffer = b""
    with selectors.DefaultSelector() as selector:
        selector.register(stdout, selectors.EVENT_READ)
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise BenchError("no tools/list answer before the timeout")
            if not selector.select(remaining):
                continue
            chunk = os.read(stdout, 65536)
            if not chunk:
                raise BenchError("the server closed stdout before answering tools/list")
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                if not line.strip():
                    continue
                try:
                    message = json.loads(line)
                except json.JSONDecodeError:
                    raise BenchError(f"not JSON-RPC on stdout: {line[:200]!r}") from None
                if isinstance(message, dict) and message.get("id") == TOOLS_LIST_ID:
                    return message


def measure(target: Target, env: dict[str, str], cwd: Path, timeout: float) -> float:
    """One cold start of `target`, in milliseconds (its CPU time until the answer goes to `target.cpu`)."""
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        proc = subprocess.Popen(
            target.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, env=env, cwd=cwd
        )
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(PAYLOAD)
            proc.stdin.flush()
            message = _answer(proc.stdout.fileno(), start + timeout)
            elapsed = (time.perf_counter() - start) * 1000
            used = cpu_ms(proc.pid)
            if used is not None:
                target.cpu.append(used)
            result = message.get("result")
            if not isinstance(result, dict) or not result.get("tools"):
                raise BenchError(f"tools/list did not list any tools: {json.dumps(message)[:300]}")
            return elapsed
        except (BenchError, OSError) as exc:
            proc.kill()
            proc.wait()
            stderr.seek(0)
            tail = stderr.read().decode(errors="replace").strip()[-2000:]
            raise BenchError(f"{target.name}: {exc}" + (f"\n--- stderr ---\n{tail}" if tail else "")) from None
        finally:
            # Closing stdin ends a stdio server; wait so that the next sample does not overlap this one.
            with contextlib.suppress(OSError):
                proc.stdin.close()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            proc.stdout.close()


def instructions(target: Target, env: dict[str, str], cwd: Path, timeout: float) -> int:
    """Instructions one start executes, from spawn until it exits after answering `tools/list` (its stdin is the
    three requests and then closed), counted by valgrind's callgrind: the same on every run and on a busy machine,
    where wall time on a shared 2-core VM moves by tens of milliseconds from one run to the next."""
    import re
    import shutil

    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise BenchError("--instructions needs valgrind (Debian: apt-get install valgrind)")
    command = [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", *target.command]
    with tempfile.TemporaryFile() as stderr:
        # stdin stays open until the answer arrives, as in `measure`: a server may drop requests still in flight
        # when its input ends, and under valgrind every request is still in flight at the end of the payload.
        proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, env=env, cwd=cwd)
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(PAYLOAD)
            proc.stdin.flush()
            _answer(proc.stdout.fileno(), time.perf_counter() + timeout * 60)
        finally:
            proc.stdin.close()
            returncode = proc.wait(timeout=timeout * 60)
            proc.stdout.close()
        stderr.seek(0)
        report = stderr.read()
    found = re.search(rb"I\s+refs:\s+([\d,]+)", report)
    if returncode != 0 or found is None:
        raise BenchError(f"{target.name}: no instruction count ({report.decode(errors='replace')[-500:]})")
    return int(found.group(1).replace(b",", b""))


def aide_targets(wanted: list[str]) -> tuple[list[Target], list[str]]:
    from aide_core.registry import discover

    targets, skipped = [], []
    for name, entry in discover().items():
        if wanted and name not in wanted:
            continue
        if entry.status == "available":
            targets.append(Target(name, [sys.executable, "-m", "aide_core.launch", name]))
        else:
            skipped.append(f"{name} ({entry.status})")
    unknown = sorted(set(wanted) - {t.name for t in targets} - {s.split(" ")[0] for s in skipped})
    skipped += [f"{name} (unknown)" for name in unknown]
    return targets, skipped


def child_env(root: Path) -> dict[str, str]:
    """The caller's environment without its aide settings, pointed at an empty home and a missing config file."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIDE_")}
    # A host starts a server from an environment whose bytecode was cached the first time it ran; this workplace
    # sets PYTHONDONTWRITEBYTECODE, which would add compiling every module to every start. The unmeasured first
    # run of each target writes the caches: bytecode, and the tool definitions aide keeps in AIDE_HOME
    # (`aide_core.tool_cache`; `--first-start` measures without them).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    home = root / "home"
    home.mkdir()
    env["AIDE_HOME"] = str(home)
    env["AIDE_CONFIG"] = str(root / "config.toml")
    return env


def report(floor: Target, servers: list[Target], runs: int, skipped: list[str]) -> dict[str, object]:
    print(
        f"Cold start over stdio, spawn to first tools/list answer; median of {runs} runs "
        f"(Python {platform.python_version()}, mcp {version('mcp')}, {platform.system()} {platform.machine()})"
    )
    print()
    print("| server | median ms | over floor ms | min | max | CPU ms (median) | CPU over floor ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    rows: dict[str, dict[str, object]] = {}
    floor_cpu = floor.cpu_median
    for target in [floor, *servers]:
        over = target.median - floor.median
        over_cell = "-" if target is floor else f"{over:+.1f}"
        label = "floor (bare one-tool MCPServer)" if target is floor else target.name
        cpu = target.cpu_median
        cpu_cell = "-" if cpu is None else f"{cpu:.1f}"
        cpu_over = None if cpu is None or floor_cpu is None or target is floor else cpu - floor_cpu
        cpu_over_cell = "-" if cpu_over is None else f"{cpu_over:+.1f}"
        print(
            f"| {label} | {target.median:.1f} | {over_cell} | {min(target.samples):.1f} | {max(target.samples):.1f} "
            f"| {cpu_cell} | {cpu_over_cell} |"
        )
        rows[target.name] = {
            "median_ms": round(target.median, 2),
            "over_floor_ms": None if target is floor else round(over, 2),
            "min_ms": round(min(target.samples), 2),
            "max_ms": round(max(target.samples), 2),
            "samples_ms": [round(s, 2) for s in target.samples],
            "cpu_median_ms": None if cpu is None else round(cpu, 2),
            "cpu_over_floor_ms": None if cpu_over is None else round(cpu_over, 2),
        }
    print()
    if skipped:
        print(f"Not measured: {', '.join(skipped)}")
    worst = max(servers, key=lambda t: t.median, default=None)
    met = all(t.median - floor.median <= GOAL_MS for t in servers)
    if worst is None:
        line = "no aide server available to measure"
    else:
        verdict = "met" if met else "NOT met"
        line = f"{verdict} (slowest: {worst.name}, {worst.median - floor.median:+.1f} ms)"
    print(f"Goal: every aide server within {GOAL_MS:.0f} ms of the floor: {line}")
    if floor_cpu is not None and servers:
        cpu_worst = max(servers, key=lambda t: t.cpu_median or 0.0)
        cpu_over = (cpu_worst.cpu_median or 0.0) - floor_cpu
        cpu_verdict = "within" if cpu_over <= GOAL_MS else "NOT within"
        print(f"CPU time to the answer: every server {cpu_verdict} {GOAL_MS:.0f} ms of the floor's "
              f"(most: {cpu_worst.name}, {cpu_over:+.1f} ms)")  # fmt: skip
    return {
        "runs": runs,
        "python": platform.python_version(),
        "mcp": version("mcp"),
        "goal_ms": GOAL_MS,
        "goal_met": met if worst is not None else None,
        "floor": FLOOR,
        "results": rows,
        "not_measured": skipped,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("servers", nargs="*", help="aide servers to measure (default: every available one)")
    parser.add_argument("--runs", type=int, default=10, help="measured runs per server (default: 10)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for one answer (default: 30)")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count each start's instructions once under valgrind (about 30 s a server): a figure that does "
        "not move with the machine's load",
    )
    parser.add_argument(
        "--first-start",
        action="store_true",
        help="give every sample an empty AIDE_HOME: the first start after installing or upgrading, before the "
        "tool definitions are cached (aide_core.tool_cache); bytecode stays cached",
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    servers, skipped = aide_targets(args.servers)
    floor = Target(FLOOR, [sys.executable, str(FLOOR_SCRIPT)])
    targets = [floor, *servers]
    with tempfile.TemporaryDirectory(prefix="aide-bench-") as tmp:
        root = Path(tmp)
        env = child_env(root)
        try:
            for target in targets:  # warm the OS file cache (and bytecode caches); not measured
                measure(target, env, root, args.timeout)
            for run in range(args.runs):
                for target in targets:
                    if args.first_start:
                        home = root / f"home-{run}-{target.name}"
                        home.mkdir()
                        env = {**env, "AIDE_HOME": str(home)}
                    target.samples.append(measure(target, env, root, args.timeout))
            counted = (
                {target.name: instructions(target, env, root, args.timeout) for target in targets}
                if args.instructions
                else {}
            )
        except BenchError as exc:
            print(f"startup bench failed: {exc}", file=sys.stderr)
            return 1
    if args.first_start:
        print("First start: every sample with an empty AIDE_HOME (no cached tool definitions)\n")
    result = report(floor, servers, args.runs, skipped)
    result["first_start"] = args.first_start
    if counted:
        base = counted[FLOOR]
        per_ms = base / floor.median  # the floor's own instructions per millisecond of its median start
        print()
        print("Instructions from spawn to exit after the tools/list answer (valgrind callgrind, one run each):")
        print()
        print("| server | instructions | over floor | as ms at the floor's rate |")
        print("|---|---:|---:|---:|")
        for target in targets:
            over = counted[target.name] - base
            cells = ("-", "-") if target is floor else (f"{over:+,} ({over / base:+.1%})", f"{over / per_ms:+.1f}")
            print(f"| {target.name} | {counted[target.name]:,} | {cells[0]} | {cells[1]} |")
        result["instructions"] = counted
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
        print(f"Wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
