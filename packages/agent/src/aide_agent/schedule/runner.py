"""The scheduler runner: acts on what the schedule server says is due, for each person, when nobody is there.

It is the agent's because a job needs a model and the other servers; it reaches the schedule server through MCP
like any client, with the runner's tools listed (`runner = true` on its own in-process server): `due_work` says
what is due for the caller (the latest time within the grace period that the ledger does not know), `claim_run`
takes a run in the ledger (an atomic row keyed by user, job and scheduled time, so a run is never done twice, by a
restart or by a second runner on the same store), `finish_run` records the outcome, the summary and what the
unattended policy declined.

A run that fails is one warning line in the log (its traceback only at DEBUG: the failure is the job's, such as a
model that does not answer, not the runner's) and is recorded as failed.

A tick, for each person (`acting_as`, so every server sees them as the caller): look at what is due, claim each
item, run it (a reminder is delivered as it is; a job is a run of the assistant on its prompt, under the
`Unattended` policy, whose answer is then delivered), and record the outcome. `run()` ticks until stopped, waiting
until the next due time (at most `POLL` seconds, so a `run_job` or a new reminder is picked up soon) on an
injectable clock and sleep. The scheduling itself is dateutil's recurrence, computed by the server; this loop only
waits on asyncio (anyio), so there is no second scheduler to keep in step with the ledger.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import anyio

from aide_agent import prompts
from aide_agent.assistant import Assistant
from aide_agent.ledger import Ledger
from aide_agent.providers import Model
from aide_agent.schedule.deliver import Contact, Delivery, deliver, servers_for
from aide_agent.schedule.policy import Own, Unattended
from aide_agent.servers import ServerConfig
from aide_agent.toolbox import Toolbox
from aide_core.identity import DEFAULT_IDENTITY, acting_as
from aide_core.when import zone

__all__ = ["BUILT_IN", "Outcome", "Runner", "RunnerError", "Tick"]

log = logging.getLogger("aide.schedule")

#: The jobs whose `what` names a prompt shipped with the agent.
BUILT_IN = ("morning-digest", "free-time")
#: Longest wait between two looks at the ledger (a run_job or a new reminder is picked up within it).
POLL = 60.0

ServersFor = Callable[[Sequence[str] | None], list[ServerConfig]]


class RunnerError(RuntimeError):
    """The runner cannot work at all (the schedule server does not start): one line for the command line."""


@dataclass(frozen=True)
class Outcome:
    """One run: whose, which, what was said and delivered, and what the policy declined."""

    user: str
    key: str
    scheduled_for: str
    summary: str
    declined: list[str]
    deliveries: list[Delivery]
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and all(delivery.ok for delivery in self.deliveries)


@dataclass
class Tick:
    outcomes: list[Outcome] = field(default_factory=list[Outcome])
    next_at: datetime | None = None


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class Runner:
    """Runs what is due. `schedule`: the schedule server with its runner tools listed; `servers(names)`: fresh
    configurations of the servers a job or a delivery uses (None: every enabled one); `model`: a model, a name, or a
    function giving one per run; `users`: whom to act for; `clock` and `sleep` are injectable."""

    def __init__(
        self,
        schedule: ServerConfig,
        servers: ServersFor,
        model: str | Model | Callable[[], str | Model],
        *,
        users: Sequence[str] = (DEFAULT_IDENTITY,),
        clock: Callable[[], datetime] = _utc_now,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        name: str | None = None,
        on_outcome: Callable[[Outcome], None] | None = None,
        usage: Ledger | str | Path | None = None,
    ) -> None:
        self.schedule = schedule
        self.servers = servers
        self.model = model
        self.users = list(dict.fromkeys(users))
        self.clock = clock
        self.sleep = sleep
        #: Who holds a claim in the ledger: this host, this process, this runner.
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.on_outcome = on_outcome
        #: Where each run's tokens and cost are kept (`aide usage`), as for `aide chat`: runs nobody watches too.
        self.usage = usage

    # -- the loop ------------------------------------------------------------------------------------------------

    async def run(self, stop: anyio.Event | None = None) -> None:
        """Tick until `stop` is set, waiting between ticks until the next due time (at most `POLL` seconds)."""
        while stop is None or not stop.is_set():
            tick = await self.tick()
            wait = POLL
            if tick.next_at is not None:
                wait = min(POLL, max(0.0, (tick.next_at - self.clock()).total_seconds()))
            await self.sleep(wait)

    async def tick(self) -> Tick:
        """Everything due now, for every person: claimed, run and recorded. A failure for one person is logged and the
        others go on; a schedule server that cannot be reached is a `RunnerError`."""
        now = self.clock()
        tick = Tick()
        for user in self.users:
            with acting_as(user):
                try:
                    found = await self._tick_for(user, now, tick.outcomes)
                except RunnerError:
                    raise  # the schedule server itself is unusable: nothing else can work either
                except Exception as exc:  # one person's trouble (their store, say) leaves the others' runs alone
                    log.warning("scheduled work for %s: %s", user, _describe(exc))
                    continue
            if found is not None and (tick.next_at is None or found < tick.next_at):
                tick.next_at = found
        return tick

    async def _tick_for(self, user: str, now: datetime, outcomes: list[Outcome]) -> datetime | None:
        async with Toolbox([self.schedule]) as box:
            if not box.has(self.schedule.name):
                failure = box.failures.get(self.schedule.name, "it did not start")
                raise RunnerError(f"the schedule server is not available: {failure}")
            due = await _call(box, self.schedule.name, "due_work", {"at": _iso(now)})
            raw_contact = cast(dict[str, Any], due["contact"])
            contact = Contact(str(raw_contact["timezone"]), raw_contact.get("phone"), raw_contact.get("email"))
            for item in cast(list[dict[str, Any]], due["items"]):
                where = {"key": item["key"], "scheduled_for": item["scheduled_for"], "runner": self.name}
                claim = await _call(box, self.schedule.name, "claim_run", where)
                if not claim["claimed"]:
                    continue
                outcome = await self._execute(user, item, contact, now)
                await _call(box, self.schedule.name, "finish_run", {
                    **where,
                    "outcome": "done" if outcome.ok else "failed",
                    "summary": _record(outcome)[:4000],
                    "declined": outcome.declined[:50],
                })  # fmt: skip
                outcomes.append(outcome)
                log.info("%s for %s at %s: %s", item["key"], user, item["scheduled_for"],
                         "done" if outcome.ok else "failed")  # fmt: skip
                if self.on_outcome is not None:
                    self.on_outcome(outcome)
            following = due.get("next_at")
        return datetime.fromisoformat(str(following).replace("Z", "+00:00")) if following else None

    # -- one run -------------------------------------------------------------------------------------------------

    async def _execute(self, user: str, item: dict[str, Any], contact: Contact, now: datetime) -> Outcome:
        key, scheduled = str(item["key"]), str(item["scheduled_for"])
        targets = [str(target) for target in item["deliver"]]
        local = now.astimezone(zone(contact.timezone))  # checked when the settings loaded
        if item["kind"] == "reminder":
            text = prompts.load("reminder", text=str(item["text"]))
            subject = f"Reminder: {str(item['text'])[:60]}"
            policy = Unattended((), job=key)
        else:
            own = Own(contact.phone, contact.email)
            policy = Unattended([str(action) for action in item.get("allow") or []], job=key, own=own)
            subject = f"aide: {item['name']} ({local:%a %d %b})"
            try:
                text = await self._ask(item, policy, local, contact)
            except Exception as exc:
                log.warning("%s for %s failed: %s", key, user, _describe(exc), exc_info=log.isEnabledFor(logging.DEBUG))
                return Outcome(user, key, scheduled, "", policy.declined, [], _describe(exc))
        ledger_key = f"{key}@{scheduled}"
        try:
            deliveries = await deliver(
                self.servers(servers_for(targets)) if servers_for(targets) else [],
                targets, text, subject=subject, contact=contact, ledger_key=ledger_key, now=now, sleep=self.sleep,
            )  # fmt: skip
        except Exception as exc:
            log.warning(
                "%s for %s: delivery failed: %s", key, user, _describe(exc), exc_info=log.isEnabledFor(logging.DEBUG)
            )
            return Outcome(user, key, scheduled, text, policy.declined, [], _describe(exc))
        return Outcome(user, key, scheduled, text, policy.declined, deliveries)

    async def _ask(self, item: dict[str, Any], policy: Unattended, local: datetime, contact: Contact) -> str:
        what = str(item["text"])
        today = f"{local:%A %Y-%m-%d}"
        if what in BUILT_IN:
            what = prompts.load(what, today=today, timezone=contact.timezone)
        request = prompts.load("scheduled", job=str(item["name"]), today=today, timezone=contact.timezone, what=what)
        names = cast(list[str] | None, item.get("servers"))
        model = self.model() if callable(self.model) else self.model
        system = prompts.load("system", today=today)
        async with Assistant(
            self.servers(names), model, approve=policy, learn=None, system_prompt=system, ledger=self.usage
        ) as helper:
            result = await helper.run(request)
        return result.text


def _describe(exc: BaseException) -> str:
    """One line for the ledger: the first real error inside task groups' exception groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc}"[:500]


def _record(outcome: Outcome) -> str:
    """What the ledger keeps of a run: the text delivered, then how each delivery went."""
    lines = [outcome.summary.strip()]
    if outcome.error:
        lines.append(f"error: {outcome.error}")
    lines += [f"{d.target}: {'ok' if d.ok else 'failed'} ({d.detail[:150]})" for d in outcome.deliveries]
    return "\n".join(line for line in lines if line)


async def _call(box: Toolbox, server: str, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    outcome = await box.call_server(server, tool, arguments)
    if outcome.is_error or not isinstance(outcome.structured, dict):
        raise RuntimeError(f"schedule.{tool} failed: {outcome.text[:300]}")
    return cast(dict[str, Any], outcome.structured)
