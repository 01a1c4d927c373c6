"""The scheduler runner (`aide schedule run`): reminders and jobs of the schedule server, run when nobody is there.

`Runner` ticks through what is due for each person and records each run in the schedule server's ledger, through
MCP; `Unattended` is the approval policy of those runs; `deliver` sends a run's text to the person's own number or
address, through the other servers' guarded tools; `from_settings` builds a runner from aide's configuration.
"""

from __future__ import annotations

from aide_agent.schedule.deliver import Contact, Delivery
from aide_agent.schedule.policy import Own, Unattended
from aide_agent.schedule.runner import Outcome, Runner, RunnerError, Tick
from aide_agent.schedule.setup import from_settings, people

__all__ = [
    "Contact",
    "Delivery",
    "Outcome",
    "Own",
    "Runner",
    "RunnerError",
    "Tick",
    "Unattended",
    "from_settings",
    "people",
]
