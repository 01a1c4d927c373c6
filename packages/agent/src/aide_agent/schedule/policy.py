"""The approval policy of a run nobody watches: read-only tools need no approval (`approval.needs_approval`), the
actions a job's configuration allows (`allow = ["server.tool"]`) are approved, and anything else is declined and
recorded, never asked of nobody. The runner's own deliveries to the user are not the model's calls and do not pass
here: they go through a toolbox of their own (`aide_agent.schedule.deliver`)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from aide_agent.approval import ApprovalRequest

__all__ = ["Unattended"]

log = logging.getLogger("aide.schedule")


class Unattended:
    """An `ApprovalCallback`: yes to the allowed `server.tool` actions, no (recorded in `declined`) to the rest and
    to every question a server asks (an elicitation) outside an approved call."""

    def __init__(self, allowed: Iterable[str], *, job: str = "") -> None:
        self.allowed = frozenset(allowed)
        self.job = job
        #: The actions declined, as `server.tool`, in the order the model asked for them.
        self.declined: list[str] = []

    def __call__(self, request: ApprovalRequest) -> bool:
        name = f"{request.server}.{request.tool}" if request.tool else request.server
        if request.kind == "tool" and name in self.allowed:
            return True
        self.declined.append(name if request.kind == "tool" else f"{name} (question: {request.message[:80]})")
        log.info("%s: declined %s (not allowed unattended)", self.job or "scheduled run", name)
        return False
