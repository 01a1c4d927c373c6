"""Usage that lasts: each run's tokens and cost kept per person, model, server and day; a daily budget that holds
across runs; `aide usage` reading it back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aide_agent import Assistant, Limits, ScriptedModel, UsageLimitExceeded
from aide_agent.ledger import Total, UsageLedger
from aide_agent.messages import Usage
from aide_agent.usage import RunUsage, ServerUsage
from aide_core.identity import acting_as

DAY = 1_796_601_600.0  # 2026-12-07 00:00 UTC


def run_usage(tokens: int, cost: float, server_cost: float = 0.0) -> RunUsage:
    usage = RunUsage(model=Usage(input_tokens=tokens, output_tokens=tokens // 10, requests=2), cost=cost)
    if server_cost:
        usage.servers["memory"] = ServerUsage(calls=3, seconds=0.2, cost=server_cost)
        usage.cost += server_cost
    return usage


def test_runs_are_kept_per_person_model_server_and_day(tmp_path: Path) -> None:
    ledger = UsageLedger(tmp_path / "usage.sqlite3")
    ledger.record("ann", "openai:gpt-4o-mini", run_usage(1000, 0.01, 0.002), at=DAY + 3600)
    ledger.record("bob", "anthropic:claude-sonnet-4-5", run_usage(2000, 0.05), at=DAY + 7200)
    ledger.record("ann", "openai:gpt-4o-mini", run_usage(500, 0.005), at=DAY - 3600)
    assert ledger.totals("user") == [Total("bob", 2, 2000, 200, 0, 0.05), Total("ann", 4, 1500, 150, 3, 0.017)]
    assert [t.key for t in ledger.totals("day")] == ["2026-12-07", "2026-12-06"]
    assert ledger.totals("server", user="ann") == [
        Total("(model)", 4, 1500, 150, 0, 0.015),
        Total("memory", 0, 0, 0, 3, 0.002),
    ]
    assert ledger.spent_since("ann", DAY) == pytest.approx(0.012)
    assert ledger.totals("model", since=DAY, user="bob") == [
        Total("anthropic:claude-sonnet-4-5", 2, 2000, 200, 0, 0.05)
    ]


@pytest.mark.anyio
async def test_a_daily_budget_holds_across_runs_and_is_kept_per_person(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    prices = {"scripted": (1_000_000.0, 0.0)}  # a dollar a token in

    async def one_run(budget: float | None, *, day: float = DAY) -> str:
        model = ScriptedModel(["Fine."])
        limits = Limits(max_cost_per_day=budget)
        async with Assistant([], model, ledger=path, limits=limits, prices=prices, retrieve=None, learn=None,
                             now=lambda: day + 60) as assistant:  # fmt: skip
            try:
                return (await assistant.run("hello")).text
            except UsageLimitExceeded as exc:
                return str(exc)

    with acting_as("ann"):
        await one_run(None)
        cost = UsageLedger(path).spent_since("ann", DAY)
        budget = cost * 1.5
        second = await one_run(budget)  # spent today < budget when it starts: it runs (and goes over)
        third = await one_run(budget)  # spent today >= budget: stopped before its first request
        tomorrow = await one_run(budget, day=DAY + 86_400)
    with acting_as("bob"):
        bobs = await one_run(budget)  # Ann's spending is not Bob's
    assert (second, tomorrow, bobs) == ("Fine.", "Fine.", "Fine.")
    assert third == f"today's cost ${2 * cost:.4f} reached max_cost_per_day=${budget}"
    assert sorted(t.key for t in UsageLedger(path).totals("user")) == ["ann", "bob"]


def test_aide_usage_reads_the_ledger_back_as_a_table(tmp_path: Path) -> None:
    import typer

    from aide_agent.cli import chat, usage
    from aide_core.settings import load_settings

    app = typer.Typer()
    app.command("chat")(chat)
    app.command("usage")(usage)
    runner = CliRunner()
    script = tmp_path / "script.json"
    script.write_text(json.dumps([[{"tool": "memory__recall", "arguments": {"query": "tea"}}], "You like tea."]))
    asked = runner.invoke(app, ["chat", "-p", "tea?", "--model", f"scripted:{script}", "--servers", "memory"])
    assert asked.exit_code == 0, asked.output
    by_server = runner.invoke(app, ["usage", "--by", "server"])
    assert by_server.exit_code == 0, by_server.output
    assert "(model)" in by_server.stdout and "memory" in by_server.stdout
    assert (load_settings().home / "usage.sqlite3").is_file()
    bad = runner.invoke(app, ["usage", "--by", "colour"])
    assert bad.exit_code == 2 and bad.stderr == "aide usage: --by 'colour': use day, model, server or user\n"
