"""A run's webhook delivery: the run's ledger key as `Idempotency-Key` on every attempt, tried again only when the
receiver cannot have acted (no connection, 429, 503, after its Retry-After), never after anything else, and each
failure a failed delivery the ledger records. The receiver is the sandbox's `WebhookReceiver` with scripted answers;
the retry's waits go to an injected sleep (nothing waits)."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime

import pytest
from schedule_stand import Clock, Stand, sandbox_tables

from aide_agent import ScriptedModel
from aide_agent.schedule import Runner
from aide_agent.schedule.deliver import WEBHOOK_RETRY, Contact, Delivery, deliver
from aide_core.settings import AideSettings
from aide_sandbox.app import SandboxHandle
from aide_sandbox.testing import Answer, WebhookReceiver

pytestmark = pytest.mark.anyio

KEY = "job:hook@2026-11-20T17:00:00Z"
AT = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)


class Sleeps(list[float]):
    """The injected sleep: records each wait instead of waiting."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


async def post(url: str, sleeps: Sleeps) -> list[Delivery]:
    return await deliver([], [f"webhook:{url}"], "Hi.", subject="aide: hook", contact=Contact("UTC"),
                         ledger_key=KEY, now=AT, sleep=sleeps)  # fmt: skip


async def test_a_503_is_sent_again_after_its_retry_after_with_the_same_idempotency_key(
    webhooks: WebhookReceiver,
) -> None:
    webhooks.answer(Answer(503, {"Retry-After": "7"}))
    sleeps = Sleeps()
    delivered = await post(webhooks.url("/aide"), sleeps)
    assert delivered == [Delivery(f"webhook:{webhooks.url('/aide')}", True, "HTTP 200 (after 2 attempts)")]
    assert sleeps == [7.0]
    assert [(r.headers["idempotency-key"], json.loads(r.body)) for r in webhooks.received] == 2 * [
        (KEY, {"subject": "aide: hook", "text": "Hi.", "run": KEY})
    ]


async def test_a_receiver_that_stays_unavailable_is_a_failed_delivery_once_the_attempts_are_spent(
    webhooks: WebhookReceiver,
) -> None:
    webhooks.answer(*[Answer(503, {"Retry-After": "1"})] * WEBHOOK_RETRY.max_attempts)
    sleeps = Sleeps()
    delivered = await post(webhooks.url(), sleeps)
    tries = WEBHOOK_RETRY.max_attempts
    assert delivered == [Delivery(f"webhook:{webhooks.url()}", False, f"HTTP 503 (after {tries} attempts)")]
    assert (len(webhooks.received), len(sleeps)) == (tries, tries - 1)


async def test_a_429_without_retry_after_is_sent_again_after_a_backoff(webhooks: WebhookReceiver) -> None:
    webhooks.answer(Answer(429))
    sleeps = Sleeps()
    [delivered] = await post(webhooks.url(), sleeps)
    assert (delivered.ok, delivered.detail, len(webhooks.received)) == (True, "HTTP 200 (after 2 attempts)", 2)
    [waited] = sleeps
    assert 0 <= waited <= WEBHOOK_RETRY.initial_backoff  # full jitter on the first backoff


@pytest.mark.parametrize("status", [400, 500, 502])
async def test_an_answer_after_which_the_receiver_may_have_acted_is_a_failed_delivery_sent_once(
    webhooks: WebhookReceiver, status: int
) -> None:
    webhooks.answer(Answer(status))
    sleeps = Sleeps()
    delivered = await post(webhooks.url(), sleeps)
    assert delivered == [Delivery(f"webhook:{webhooks.url()}", False, f"HTTP {status}")]
    assert (len(webhooks.received), sleeps) == (1, [])


async def test_a_connection_lost_after_the_request_was_sent_is_not_sent_again(webhooks: WebhookReceiver) -> None:
    webhooks.answer(Answer(None))  # the receiver read the request, then closed the connection without answering
    sleeps = Sleeps()
    [delivered] = await post(webhooks.url(), sleeps)
    assert (delivered.ok, delivered.detail.split(":")[0], len(webhooks.received), sleeps) == (
        False,
        "RemoteProtocolError",
        1,
        [],
    )


async def test_a_refused_connection_is_tried_again_until_the_policys_attempts_are_spent() -> None:
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps = Sleeps()
    [delivered] = await post(f"http://127.0.0.1:{port}/aide", sleeps)
    assert not delivered.ok and delivered.detail.startswith("ConnectError: ")
    assert delivered.detail.endswith(f"(after {WEBHOOK_RETRY.max_attempts} attempts)")
    assert len(sleeps) == WEBHOOK_RETRY.max_attempts - 1


async def test_a_retry_after_beyond_the_budget_gives_up_at_once(webhooks: WebhookReceiver) -> None:
    webhooks.answer(Answer(503, {"Retry-After": "3600"}))
    sleeps = Sleeps()
    [delivered] = await post(webhooks.url(), sleeps)
    assert not delivered.ok and "3600" in delivered.detail and delivered.detail.endswith("(after 1 attempt)")
    assert (len(webhooks.received), sleeps) == (1, [])


async def test_a_job_whose_webhook_answers_400_is_recorded_as_a_failed_run(
    sandbox: SandboxHandle, settings: AideSettings, webhooks: WebhookReceiver
) -> None:
    from mcp import Client

    hook = {"name": "hook", "when": "every day at 18:00", "what": "Say hi.", "servers": [],
            "deliver": [f"webhook:{webhooks.url('/aide')}"]}  # fmt: skip
    stand = Stand(settings.with_tables(**sandbox_tables(sandbox, jobs=[hook])), Clock(AT))  # 18:00 in Berlin
    webhooks.answer(Answer(400, {"Content-Type": "application/json"}, '{"error": "bad payload"}'))
    sleeps = Sleeps()
    runner = Runner(stand.runner_schedule(), stand.servers, ScriptedModel(["Hi."]), clock=stand.clock, sleep=sleeps)
    [outcome] = (await runner.tick()).outcomes
    async with Client(stand.server("schedule").target) as client:  # type: ignore[arg-type]
        jobs = (await client.call_tool("list_jobs", {})).structured_content or {}
    assert (outcome.ok, outcome.deliveries, sleeps, len(webhooks.received)) == (
        False,
        [Delivery(f"webhook:{webhooks.url('/aide')}", False, "HTTP 400")],
        [],
        1,
    )
    [job] = jobs["jobs"]
    assert (job["last_outcome"], job["last_summary"]) == (
        "failed",
        f"Hi.\nwebhook:{webhooks.url('/aide')}: failed (HTTP 400)",
    )
