"""Server-sent events as the SDKs read them, and splitting text into stream deltas."""

from __future__ import annotations

import json
from typing import Any


def event(data: dict[str, Any] | str, name: str | None = None) -> bytes:
    """One SSE message; `name` becomes the `event:` line (Anthropic's SDK drops messages without one)."""
    payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    head = f"event: {name}\n" if name else ""
    return f"{head}data: {payload}\n\n".encode()


def pieces(text: str, parts: int = 3) -> list[str]:
    """`text` in up to `parts` consecutive pieces that join back to it (streams deliver text in deltas)."""
    if not text:
        return []
    size = max(1, -(-len(text) // parts))
    return [text[i : i + size] for i in range(0, len(text), size)]
