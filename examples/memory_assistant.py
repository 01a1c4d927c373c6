"""A memory-aware assistant: a preference stated in one conversation changes what it does in the next.

    uv run python examples/memory_assistant.py --model anthropic:claude-sonnet-4-5
    uv run python examples/memory_assistant.py --model openai:llama3.2 --base-url http://127.0.0.1:11434/v1

Conversation 1 tells the assistant "I prefer meetings in the afternoon". The assistant answers, and its learn step
extracts that preference and stores it in aide's memory server. Conversation 2, a fresh assistant with no shared
history, is asked to propose a meeting time: its retrieve step reads the profile and recalls the preference before
the model is called, so the proposal is in the afternoon. Memories live in a temporary folder unless --home is given.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from dataclasses import dataclass

import anyio

from aide_agent import Assistant, Model, RunResult, aide_server, infer_model
from aide_agent.providers import MissingCredentials

FIRST = "For future reference: I prefer meetings in the afternoon, never before noon."
SECOND = "Propose a time for a 30-minute call with Sam tomorrow. One line."


@dataclass
class Demo:
    first: RunResult
    second: RunResult


async def run_demo(model: Model) -> Demo:
    """Two conversations with two assistants that share only the memory server's database."""
    async with Assistant([aide_server("memory")], model) as assistant:
        first = await assistant.run(FIRST)
    async with Assistant([aide_server("memory")], model) as assistant:
        second = await assistant.run(SECOND)
    return Demo(first, second)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--model", default=os.environ.get("AIDE_AGENT_MODEL", "anthropic:claude-sonnet-4-5"))
    parser.add_argument("--base-url", default=None)
    parser.add_argument("--home", default=None, help="aide's data folder (default: a temporary one)")
    args = parser.parse_args()
    os.environ["AIDE_HOME"] = args.home or tempfile.mkdtemp(prefix="aide-demo-")
    try:
        model = infer_model(args.model, base_url=args.base_url)
    except MissingCredentials as exc:
        raise SystemExit(f"memory_assistant: {exc}") from None  # one line and exit code 1, not a traceback
    demo = anyio.run(run_demo, model)
    print(f"1> {FIRST}\n   {demo.first.text}")
    for item in demo.first.learned:
        print(f"   (remembered: {item['content']}, {item['category']}, confidence {item['confidence']})")
    print(f"2> {SECOND}\n   {demo.second.text}")


if __name__ == "__main__":
    main()
