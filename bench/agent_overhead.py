"""The agent's own cost per loop step: everything outside the model and the tools themselves.

An assistant composes aide's memory and activity servers and a stand-in third-party server with 20 tools, all
in-process (`mcp.Client(server)`), so no process or network time is counted. A scripted model asks for one call of
an instant tool per step (`--steps` steps, then answers). Measured, each as a median over `--runs` runs:

- step: wall time of a run divided by its steps, minus the model's own time (measured around each request);
- tool: the same instant tool called directly through its `mcp.Client`, the floor any host pays for a call;
- overhead: step minus tool (routing through the table, approval check, messages, usage, context fitting);
- schema: converting every composed tool for OpenAI (strict where possible; first time and cached) and Anthropic,
  which a real provider does once per request;
- retrieval: the memory step before the model (read memory://profile, recall the message) with `--memories`
  memories stored.

The goal is under 5 ms per step (overhead + schema) plus the tool's own time.

    uv run python bench/agent_overhead.py [--steps 20] [--runs 15] [--memories 500] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from typing import Any

import anyio
from mcp.server import MCPServer
from mcp.types import ToolAnnotations

from aide_agent import Assistant, Message, ModelResponse, ScriptedModel, ToolSpec, aide_server, call
from aide_agent.memory import retrieve
from aide_agent.providers.anthropic import to_anthropic_tool
from aide_agent.providers.openai import OpenAIModel

READ = ToolAnnotations(read_only_hint=True, destructive_hint=False)


def third_party() -> MCPServer:
    server = MCPServer("third")

    @server.tool(annotations=READ)
    def ping(n: int = 0) -> str:
        """Answer at once."""
        return f"pong {n}"

    for i in range(19):

        def extra(query: str, limit: int = 10, tags: list[str] | None = None) -> str:
            return query

        server.add_tool(extra, name=f"tool_{i}", description=f"Stand-in tool {i}.", annotations=READ)
    return server


class TimedModel(ScriptedModel):
    """A scripted model that records the time spent inside each request (the model's own time)."""

    def __init__(self, steps: int) -> None:
        self.model_seconds = 0.0
        self._left = steps
        super().__init__(self._turn)

    def _turn(self, messages: list[Message], tools: list[ToolSpec]) -> Any:
        self._left -= 1
        return [call("third__ping", n=self._left)] if self._left > 0 else "done"

    async def request(self, messages: list[Message], tools: list[ToolSpec]) -> ModelResponse:
        started = time.perf_counter()
        try:
            return await super().request(messages, tools)
        finally:
            self.model_seconds += time.perf_counter() - started


async def measure(steps: int, runs: int, memories: int) -> dict[str, float]:
    step_ms: list[float] = []
    tool_ms: list[float] = []
    retrieve_ms: list[float] = []
    servers = [aide_server("memory"), aide_server("activity"), third_party()]
    async with Assistant(servers, ScriptedModel([]), retrieve=None, learn=None) as assistant:
        box = assistant.toolbox
        items = [
            {"content": f"Fact number {i} about the user and topic {i % 37}", "category": "fact"}
            for i in range(memories)
        ]
        for start in range(0, len(items), 100):
            await box.call_server("memory", "remember", {"items": items[start : start + 100]})
        specs = box.specs()
        third = box.connections["third"].client
        assert third is not None
        for run in range(runs + 1):
            model = TimedModel(steps)
            assistant.model = model
            assistant.new_conversation()
            started = time.perf_counter()
            await assistant.run("go")
            total = time.perf_counter() - started
            began = time.perf_counter()
            for n in range(steps):
                await third.call_tool("ping", {"n": n})
            direct = time.perf_counter() - began
            began = time.perf_counter()
            await retrieve(assistant, "what do you know about topic 12?")
            retrieved = time.perf_counter() - began
            if run == 0:
                continue  # warm-up
            step_ms.append((total - model.model_seconds) / steps * 1000)
            tool_ms.append(direct / steps * 1000)
            retrieve_ms.append(retrieved * 1000)

    cold, cached, anthropic = [], [], []
    for _ in range(runs):
        openai = OpenAIModel("gpt-4o-mini", api_key="unused")
        began = time.perf_counter()
        openai._tools(specs)  # pyright: ignore[reportPrivateUsage]
        cold.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        openai._tools(specs)  # pyright: ignore[reportPrivateUsage]
        cached.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        [to_anthropic_tool(spec) for spec in specs]
        anthropic.append((time.perf_counter() - began) * 1000)

    step = statistics.median(step_ms)
    tool = statistics.median(tool_ms)
    return {
        "tools": len(specs),
        "step_ms": step,
        "tool_ms": tool,
        "overhead_ms": step - tool,
        "schema_openai_first_ms": statistics.median(cold),
        "schema_openai_cached_ms": statistics.median(cached),
        "schema_anthropic_ms": statistics.median(anthropic),
        "retrieval_ms": statistics.median(retrieve_ms),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--memories", type=int, default=500)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="aide-bench-")
    os.environ["AIDE_HOME"] = home
    os.environ["AIDE_CONFIG"] = os.path.join(home, "config.toml")
    result = anyio.run(measure, args.steps, args.runs, args.memories)
    if args.json:
        json.dump(result, sys.stdout, indent=1)
        print()
        return 0
    per_step = result["overhead_ms"] + result["schema_openai_cached_ms"]
    print(f"| what ({result['tools']} tools, {args.memories} memories) | median ms |")
    print("|---|---|")
    for key, label in [
        ("step_ms", "loop step outside the model"),
        ("tool_ms", "the tool's own time (direct mcp.Client call)"),
        ("overhead_ms", "agent overhead per step (step - tool)"),
        ("schema_openai_first_ms", "OpenAI schema conversion, first request"),
        ("schema_openai_cached_ms", "OpenAI schema conversion, later requests"),
        ("schema_anthropic_ms", "Anthropic schema conversion"),
        ("retrieval_ms", "memory retrieval (profile + recall), once per run"),
    ]:
        print(f"| {label} | {result[key]:.3f} |")
    verdict = "met" if per_step < 5 else "MISSED"
    print(f"\ngoal: overhead + schema conversion per step < 5 ms: {per_step:.3f} ms ({verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
