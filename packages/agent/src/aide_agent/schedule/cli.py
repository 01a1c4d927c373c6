"""`aide schedule run`: the scheduler runner in the foreground (registered through the `aide.commands` entry point
`schedule`). Each run is one line on stdout ("job:morning-digest for default at 2026-12-08T07:00:00Z: done, sms ok,
mail ok"); a failure to start (a model for the jobs that cannot be built, say) is one line on stderr and exit code
2, never a traceback; with `--once`, the exit code is 1 when any run failed. Ctrl-C stops it between
runs (a run in progress is not retried: the ledger keeps it claimed).

Nobody is there to approve anything, so it never prompts: what a job may do unattended is its `allow` list.
"""

from __future__ import annotations

import os
from typing import Annotated

import anyio
import typer
from rich.console import Console

__all__ = ["app"]

app = typer.Typer(help="Reminders and scheduled jobs: the runner that acts on them.", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Reminders and scheduled jobs ([schedule] in aide's configuration)."""


@app.command("run")
def run(
    once: Annotated[bool, typer.Option("--once", help="Run what is due now, then exit (for cron).")] = False,
    model: Annotated[
        str | None, typer.Option("--model", help="Model for jobs (default: AIDE_SCHEDULE_MODEL, AIDE_AGENT_MODEL).")
    ] = None,
    sandbox: Annotated[bool, typer.Option("--sandbox", help="Run against local emulators.")] = False,
) -> None:
    """Run reminders and jobs when they are due, in the foreground."""
    from aide_agent.providers import DEFAULT_MODEL
    from aide_agent.schedule.runner import Outcome, RunnerError
    from aide_agent.schedule.setup import from_settings
    from aide_agent.servers import sandbox_settings
    from aide_core.errors import AideError
    from aide_core.logs import configure_logging
    from aide_core.registry import load_one
    from aide_core.settings import load_settings

    out = Console(soft_wrap=True, highlight=False)
    err = Console(stderr=True, soft_wrap=True, highlight=False)
    settings = load_settings()
    configure_logging("WARNING" if settings.log_level.upper() == "INFO" else settings.log_level)
    if load_one("schedule").spec is None:
        err.print("aide schedule: the schedule server is not installed; install aide-schedule.", markup=False)
        raise typer.Exit(2)
    chosen = model or os.environ.get("AIDE_SCHEDULE_MODEL") or os.environ.get("AIDE_AGENT_MODEL") or DEFAULT_MODEL
    if settings.table("schedule").get("jobs"):  # reminders need no model: a runner for them alone needs no key
        try:
            check_model(chosen)
        except (ValueError, RuntimeError) as exc:  # MissingCredentials is a RuntimeError
            err.print(f"aide schedule: the jobs' model {chosen}: {exc}", markup=False)
            raise typer.Exit(2) from None
    failures = 0

    def said(outcome: Outcome) -> None:
        nonlocal failures
        failures += not outcome.ok
        parts = [f"{d.target} {'ok' if d.ok else 'failed: ' + d.detail}" for d in outcome.deliveries]
        if outcome.declined:
            parts.append("declined " + ", ".join(outcome.declined))
        status = f"failed: {outcome.error}" if outcome.error else "done" if outcome.ok else "failed"
        out.print(f"{outcome.key} for {outcome.user} at {outcome.scheduled_for}: " + ", ".join([status, *parts]),
                  markup=False)  # fmt: skip

    try:
        settings = sandbox_settings(settings) if sandbox else settings
        runner = from_settings(settings, chosen, on_outcome=said)
        if once:
            tick = anyio.run(runner.tick)
            if not tick.outcomes:
                following = f"; next at {tick.next_at:%Y-%m-%d %H:%M} UTC" if tick.next_at else ""
                err.print(f"aide schedule: nothing due{following}", markup=False)
        else:
            err.print(f"aide schedule: running for {', '.join(runner.users)} (Ctrl-C to stop)", markup=False)
            anyio.run(runner.run)
    except KeyboardInterrupt:
        raise typer.Exit(0) from None
    except (RunnerError, AideError, ValueError, RuntimeError, OSError) as exc:
        err.print(f"aide schedule: {exc}", markup=False)
        raise typer.Exit(2) from None
    if failures:  # each said in its line above; cron and CI see the run failed
        raise typer.Exit(1)


def check_model(name: str) -> None:
    """Build the model jobs will use, once, so that a name that is no model or a missing key is a configuration
    error said before anything runs, rather than the same failure recorded against every due job."""
    from aide_agent.providers import infer_model

    built = infer_model(name)
    anyio.run(built.aclose)
