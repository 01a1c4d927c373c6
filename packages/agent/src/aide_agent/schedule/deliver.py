"""Delivering a run's text to the person it is for, and to nobody else: SMS to their own number (Twilio's
`send_sms`), mail to their own address (Gmail's `send_email`), a line in a file, or a POST to a webhook.

SMS and mail are plan steps through each server's guard like any send: its policies (allowlists, opt-outs, quiet
hours) apply, its preview is audited, and an idempotency key made of the run's ledger key means that the same
delivery asked twice (a runner that died after sending, before recording) is sent once. The guard's confirmation of
this delivery is the only question answered yes here: it is the configured delivery to self, nothing a model chose.
Addresses come from the schedule server's `contact` for the person (`[schedule] phone/email`, or `people`).

A webhook gets the same ledger key as its `Idempotency-Key` header, and is tried again (core's retry policy,
`aide_core.retry`) only when the receiver cannot have acted: see `_webhook`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import anyio
import anyio.to_thread
from mcp_types import ElicitRequestFormParams, ElicitRequestParams, ElicitResult

from aide_agent.approval import form_content
from aide_agent.servers import ServerConfig
from aide_agent.toolbox import Toolbox, ToolOutcome
from aide_core.errors import RateLimited
from aide_core.retry import RetryPolicy, acall_with_retry, classify

__all__ = ["Contact", "Delivery", "deliver", "servers_for"]

log = logging.getLogger("aide.schedule")

#: The server each delivery needs.
NEEDS = {"sms": "twilio", "mail": "gmail"}
MAX_SMS = 1600
#: A webhook's answers that say it did not take the request, so that sending it again cannot act twice.
RETRIED_STATUSES = frozenset({429, 503})
#: How hard a webhook delivery tries (a runner nobody watches can wait a minute, but not through the next run).
WEBHOOK_RETRY = RetryPolicy(max_attempts=4, max_total_seconds=60.0, initial_backoff=1.0, max_backoff=15.0)
#: Seconds one attempt may take.
WEBHOOK_TIMEOUT = 30.0

Sleep = Callable[[float], Awaitable[None]]


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
    sleep: Sleep = anyio.sleep,
) -> list[Delivery]:
    """Deliver `text` to each target; every failure is a `Delivery` that says why, never an exception. `sleep` is
    how a webhook's retry waits (injected by tests)."""
    done: list[Delivery] = []
    body = text.strip() or "(nothing to report)"
    async with Toolbox(configs, elicit=_accept_confirmation) as box:
        for target in targets:
            try:
                done.append(await _one(box, target, body, subject, contact, ledger_key, now, sleep))
            except Exception as exc:
                log.warning("delivery %s failed: %s", target, exc)
                done.append(Delivery(target, False, f"{type(exc).__name__}: {exc}"[:300]))
    return done


async def _one(
    box: Toolbox, target: str, body: str, subject: str, contact: Contact, key: str, now: datetime, sleep: Sleep
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
        return await _webhook(target.removeprefix("webhook:"), subject, body, key, sleep)
    return Delivery(target, False, "unknown delivery")


def _append(path: str, text: str) -> None:
    with Path(path).expanduser().open("a", encoding="utf-8") as out:
        out.write(text)


class _MayHaveArrived(Exception):
    """The connection failed after the request was written (a reset, a read timeout): the receiver may have acted
    on it, so it is not sent again. Not a connection error to `aide_core.retry.classify`, hence not retried."""


async def _webhook(url: str, subject: str, body: str, key: str, sleep: Sleep) -> Delivery:
    """POST the run's text, with the run's ledger key as `Idempotency-Key` on every attempt. Retried (by
    `acall_with_retry`, Retry-After honoured, within `WEBHOOK_RETRY`) only when the receiver cannot have acted: the
    connection could not be made, or it answered 429 or 503 (it did not take the request). A receiver need not
    honour the key, so anything after which it may have acted (another 5xx, a connection lost after sending) is a
    failed delivery, as is any other answer that is not 2xx."""
    import httpx2  # the MCP SDK's HTTP client, already a dependency

    target = f"webhook:{url}"
    content = json.dumps({"subject": subject, "text": body, "run": key})
    headers = {"Content-Type": "application/json", "Idempotency-Key": key}
    attempts = 0
    async with httpx2.AsyncClient(timeout=WEBHOOK_TIMEOUT) as client:

        async def post() -> httpx2.Response:
            nonlocal attempts
            attempts += 1
            try:
                answer = await client.post(url, content=content, headers=headers)
            except httpx2.TransportError as exc:
                failure = classify(exc)
                if failure is not None and failure.not_sent:
                    raise  # it never left: retried
                raise _MayHaveArrived(f"{type(exc).__name__}: {exc}") from exc
            if answer.status_code in RETRIED_STATUSES:
                answer.raise_for_status()  # retried, after the Retry-After it carries
            return answer

        try:
            answer = await acall_with_retry(
                post, service="the webhook", idempotent=False, idempotency_key=key, policy=WEBHOOK_RETRY, sleep=sleep
            )
        except RateLimited as exc:
            return Delivery(target, False, f"{exc} ({_after(attempts)})"[:300])
        except httpx2.HTTPStatusError as exc:
            return Delivery(target, False, f"HTTP {exc.response.status_code} ({_after(attempts)})")
        except _MayHaveArrived as exc:
            return Delivery(target, False, f"{exc} (not sent again: the receiver may have it)"[:300])
        except httpx2.TransportError as exc:
            return Delivery(target, False, f"{type(exc).__name__}: {exc} ({_after(attempts)})"[:300])
    tries = f" ({_after(attempts)})" if attempts > 1 else ""
    return Delivery(target, answer.is_success, f"HTTP {answer.status_code}{tries}")


def _after(attempts: int) -> str:
    return f"after {attempts} attempt{'s' if attempts != 1 else ''}"
