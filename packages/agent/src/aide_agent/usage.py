"""Usage, cost and limits.

Cost is computed from a price table in US dollars per million tokens, which users override (prices change, and
local models cost nothing). Usage is counted per run and per server: a server's share is the tool calls it ran,
their time, and the input tokens its results added to the conversation (estimated at four characters a token and
priced at the model's input price), which is what a server costs when a model reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from aide_agent.messages import Usage

#: model (with or without its provider prefix) -> (input, output) dollars per million tokens. Override freely.
DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "openai:gpt-4o": (2.50, 10.00),
    "openai:gpt-4o-mini": (0.15, 0.60),
    "openai:gpt-4.1": (2.00, 8.00),
    "openai:gpt-4.1-mini": (0.40, 1.60),
    "anthropic:claude-sonnet-4-5": (3.00, 15.00),
    "anthropic:claude-opus-4-1": (15.00, 75.00),
    "anthropic:claude-haiku-4-5": (1.00, 5.00),
    "scripted": (0.0, 0.0),
}


class UsageLimitExceeded(RuntimeError):
    """A run went past one of its limits (steps, tokens or cost); the message says which."""


@dataclass(frozen=True)
class Limits:
    """Bounds on one run (one user message and everything it sets off). None means unbounded."""

    max_steps: int | None = 20
    max_tokens: int | None = None
    max_cost: float | None = None
    #: Dollars a person may spend in a UTC day, across runs and restarts (kept in the assistant's `ledger`).
    max_cost_per_day: float | None = None


@dataclass
class Prices:
    table: dict[str, tuple[float, float]] = field(default_factory=lambda: dict(DEFAULT_PRICES))

    @classmethod
    def with_overrides(cls, overrides: Mapping[str, tuple[float, float]] | None) -> Prices:
        return cls({**DEFAULT_PRICES, **(overrides or {})})

    def per_million(self, model: str) -> tuple[float, float]:
        if model in self.table:
            return self.table[model]
        bare = model.partition(":")[2]
        for name, price in self.table.items():
            if name.partition(":")[2] == bare or name == bare:
                return price
        return (0.0, 0.0)

    def cost(self, model: str, usage: Usage) -> float:
        input_price, output_price = self.per_million(model)
        return (usage.input_tokens * input_price + usage.output_tokens * output_price) / 1_000_000


@dataclass
class ServerUsage:
    calls: int = 0
    errors: int = 0
    seconds: float = 0.0
    result_tokens: int = 0
    cost: float = 0.0


@dataclass
class RunUsage:
    """What one run (or, summed, one conversation) used."""

    model: Usage = field(default_factory=Usage)
    cost: float = 0.0
    steps: int = 0
    servers: dict[str, ServerUsage] = field(default_factory=dict[str, ServerUsage])

    def add_model(self, usage: Usage, cost: float) -> None:
        self.model = self.model + usage
        self.cost += cost

    def add_tool(self, server: str, *, seconds: float, text: str, is_error: bool, input_price: float) -> None:
        entry = self.servers.setdefault(server, ServerUsage())
        tokens = len(text) // 4
        entry.calls += 1
        entry.errors += int(is_error)
        entry.seconds += seconds
        entry.result_tokens += tokens
        entry.cost += tokens * input_price / 1_000_000

    def merge(self, other: RunUsage) -> None:
        self.model = self.model + other.model
        self.cost += other.cost
        self.steps += other.steps
        for name, theirs in other.servers.items():
            mine = self.servers.setdefault(name, ServerUsage())
            mine.calls += theirs.calls
            mine.errors += theirs.errors
            mine.seconds += theirs.seconds
            mine.result_tokens += theirs.result_tokens
            mine.cost += theirs.cost

    def check(self, limits: Limits, *, spent_today: float = 0.0) -> None:
        if limits.max_steps is not None and self.steps > limits.max_steps:
            raise UsageLimitExceeded(f"stopped after {limits.max_steps} steps (max_steps)")
        if limits.max_tokens is not None and self.model.total_tokens > limits.max_tokens:
            raise UsageLimitExceeded(f"used {self.model.total_tokens} tokens, over max_tokens={limits.max_tokens}")
        if limits.max_cost is not None and self.cost > limits.max_cost:
            raise UsageLimitExceeded(f"cost ${self.cost:.4f}, over max_cost=${limits.max_cost}")
        if limits.max_cost_per_day is not None and spent_today + self.cost >= limits.max_cost_per_day:
            raise UsageLimitExceeded(
                f"today's cost ${spent_today + self.cost:.4f} reached max_cost_per_day=${limits.max_cost_per_day}"
            )
