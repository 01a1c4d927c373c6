"""A separate process writing to a memory database, for the reliability tests (run as a script)."""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
from mcp import Client

from aide_core.settings import load_settings
from aide_memory import store
from aide_memory.server import MemorySettings, spec


async def concurrent(database: str, worker: int, count: int) -> None:
    """`count` remember calls in flight at once on one client."""
    server = spec.build(
        load_settings(), config=MemorySettings(database=database, embeddings="none")
    )  # SQLite under load, not the model
    failures: list[str] = []
    async with Client(server) as client:

        async def one(n: int) -> None:
            result = await client.call_tool("remember", {"items": [{"content": f"worker {worker} memory {n}"}]})
            if result.is_error:
                failures.append(str(result.content))

        async with anyio.create_task_group() as group:
            for n in range(count):
                group.start_soon(one, n)
    print(f"failures={len(failures)}", *failures[:3], flush=True)


def killed_mid_batch(database: str) -> None:
    """Store one whole batch, then start another and stop half-way inside its transaction, telling the parent,
    which kills this process with SIGKILL."""
    memories = store.MemoryStore(Path(database))
    scope = store.Scope("default")
    from aide_memory.models import NewMemory

    memories.remember(scope, [NewMemory(content=f"first batch {n}") for n in range(100)])
    from aide_memory import text

    real = text.normalise
    calls = 0

    def normalise_then_stall(text: str) -> str:
        nonlocal calls
        calls += 1
        if calls == 100:  # 50 items of the second batch are written inside the open transaction
            print("mid-batch", flush=True)
            sys.stdin.readline()  # blocks until the parent kills us
        return real(text)

    text.normalise = normalise_then_stall
    memories.remember(scope, [NewMemory(content=f"second batch {n}") for n in range(100)])
    print("finished", flush=True)  # never reached when the parent kills us


if __name__ == "__main__":
    if sys.argv[1] == "concurrent":
        anyio.run(concurrent, sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        killed_mid_batch(sys.argv[2])
