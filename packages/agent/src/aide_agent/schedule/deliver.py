"""Delivering a run's text to the person it is for, and to nobody else: SMS to their own number (Twilio's
`send_sms`), mail to their own address (Gmail's `send_email`), a line in a file, or a POST to a webhook.

SMS and mail are plan steps through each server's guard like any send: its policies (allowlists, opt-outs, quiet
hours) apply, its preview is audited, and an idempotency key made of the run's ledger key means that the same
delivery asked twice (a runner that died after sending, before recording) is sent once. The guard's confirmation of
this delivery is the only question answered yes here: it is the configured delivery to self, nothing a model chose.
Addresses come from the schedule server's `contact` for the person (`[schedule] phone/email`, or `people`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import anyio.to_thread
from mcp_types import ElicitRequestFormParams, ElicitRequestParams, ElicitResult

from aide_agent.approval import form_content
from aide_agent.servers import ServerConfig
from aide_agent.toolbox import Toolbox, ToolOutcome

__all__ = ["Contact", "Delivery", "deliver", "servers_for"]

log = logging.getLogger("aide.schedule")

#: The server each delivery needs.
NEEDS = {"sms": "twilio", "mail": "gmail"}
MAX_SMS = 1600


@dataclass(frozen=True)
class Contact:
    timezone: str
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class Delivery:
    target: str
    ok: bool
    detail: str


def servers_for(targets: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(NEEDS[target] for target in targets if target in NEEDS))


async def _accept_confirmation(server: str, params: ElicitRequestParams) -> ElicitResult:
    schema = dict(params.requested_schema) if isinstance(params, ElicitRequestFormParams) else None
    content = form_content(True, schema)
    return ElicitResult(action="accept", content=content) if content is not None else ElicitResult(action="decline")


async def _guarded(box: Toolbox, server: str, tool: str, arguments: dict[str, Any]) -> tuple[bool, str]:
    """Call a guarded send; a confirmation asked for by token is given back once (it is the delivery itself)."""
    outcome: ToolOutcome = await box.call_server(server, tool, arguments)
    status = _status(outcome)
    if status == "confirmation_required":
        token = cast(dict[str, Any], outcome.structured).get("confirmation_token")
        outcome = await box.call_server(server, tool, {**arguments, "confirmation_token": token})
        status = _status(outcome)
    if outcome.is_error:
        return False, outcome.text[:300]
    return status in ("done", "replayed"), f"{status}: {outcome.text[:200]}"


def _status(outcome: ToolOutcome) -> str | None:
    if outcome.is_error or not isinstance(outcome.structured, dict):
        return None
    return str(cast(dict[str, Any], outcome.structured).get("status"))


async def deliver(
    configs: list[ServerConfig],
    targets: Sequence[str],
    text: str,
    *,
    subject: str,
    contact: Contact,
    ledger_key: str,
    now: datetime,
) -> list[Delivery]:
    """Deliver `text` to each target; every failure is a `Delivery` that says why, never an exception."""
    done: list[Delivery] = []
    body = text.strip() or "(nothing to report)"
    async with Toolbox(configs, elicit=_accept_confirmation) as box:
        for target in targets:
            try:
                done.append(await _one(box, target, body, subject, contact, ledger_key, now))
            except Exception as exc:
                log.warning("delivery %s failed: %s", target, exc)
                done.append(Delivery(target, False, f"{type(exc).__name__}: {exc}"[:300]))
    return done


async def _one(
    box: Toolbox, target: str, body: str, subject: str, contact: Contact, key: str, now: datetime
) -> Delivery:
    if target in NEEDS and not box.has(NEEDS[target]):
        failure = box.failures.get(NEEDS[target], "not enabled")
        return Delivery(target, False, f"the {NEEDS[target]} server is not available ({failure})")
    if target == "sms":
        if not contact.phone:
            return Delivery(target, False, "no phone of the user's own: set phone in [schedule]")
        text = body if len(body) <= MAX_SMS else body[: MAX_SMS - 1] + "…"
        arguments = {"to": contact.phone, "body": text, "idempotency_key": f"{key}:sms"}
        ok, detail = await _guarded(box, "twilio", "send_sms", arguments)
        return Delivery(target, ok, detail)
    if target == "mail":
        if not contact.email:
            return Delivery(target, False, "no address of the user's own: set email in [schedule]")
        arguments = {"to": [contact.email], "subject": subject, "body": body, "idempotency_key": f"{key}:mail"}
        ok, detail = await _guarded(box, "gmail", "send_email", arguments)
        return Delivery(target, ok, detail)
    if target.startswith("file:"):
        path = target.removeprefix("file:")
        stamp = now.astimezone(UTC).isoformat(timespec="seconds")
        await anyio.to_thread.run_sync(_append, path, f"--- {stamp} {subject}\n{body}\n\n")
        return Delivery(target, True, f"appended to {path}")
    if target.startswith("webhook:"):
        return await _webhook(target.removeprefix("webhook:"), subject, body, key)
    return Delivery(target, False, "unknown delivery")


def _append(path: str, text: str) -> None:
    with Path(path).expanduser().open("a", encoding="utf-8") as out:
        out.write(text)


async def _webhook(url: str, subject: str, body: str, key: str) -> Delivery:
    import httpx2  # the MCP SDK's HTTP client, already a dependency

    payload = {"subject": subject, "text": body, "run": key}
    async with httpx2.AsyncClient(timeout=30) as client:
        answer = await client.post(url, content=json.dumps(payload), headers={"Content-Type": "application/json",
                                                                              "Idempotency-Key": key})  # fmt: skip
    ok = answer.status_code < 300
    return Delivery(f"webhook:{url}", ok, f"HTTP {answer.status_code}")
