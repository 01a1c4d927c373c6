"""The scheduler runner end to end against the sandbox, with a scripted model and a clock the test moves (no
sleeps): the morning digest at 08:00 on the user's wall clock across a DST change, one SMS and one mail to self,
never twice (a restart, a second runner); a reminder set in a conversation delivered once, at its time, to its
user only; free time that respects a remembered preference; and a declined action recorded while the summary
still goes out."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import anyio
import pytest
from schedule_stand import ANNS_PHONE, MY_PHONE, Clock, Stand, sandbox_tables, sign_in_twilio

from aide_agent import Assistant, Message, ScriptedModel, ToolSpec, call
from aide_agent.schedule import Runner
from aide_core.identity import acting_as
from aide_core.settings import AideSettings
from aide_sandbox.app import SandboxHandle

pytestmark = pytest.mark.anyio

DIGEST = {"name": "morning-digest", "when": "every day at 08:00", "what": "morning-digest",
          "servers": ["gmail", "calendar"], "deliver": ["sms", "mail"]}  # fmt: skip


def results(messages: list[Message]) -> dict[str, Any]:
    return {str(m.tool_name): json.loads(m.text) for m in messages if m.role == "tool" and not m.is_error}


def digest_model(messages: list[Message], tools: list[ToolSpec]) -> Any:
    """Looks, then sums up what it found in one line."""
    if messages[-1].role == "user":
        return [
            call("gmail__search_emails", query="is:unread is:important", limit=5),
            call("calendar__list_events", start="today"),
            call("calendar__list_tasks"),
        ]
    found = results(messages)
    mail = len(found["gmail__search_emails"]["emails"])
    events = len(found["calendar__list_events"]["events"])
    tasks = len(found["calendar__list_tasks"]["tasks"])
    return f"Digest: {mail} important unread, {events} events, {tasks} tasks."


def texts_to(twilio: Any, number: str, start: str) -> list[str]:
    return [m.body for m in twilio.messages.list(to=number, limit=100) if m.body.startswith(start)]


def mails_to_self(gmail: Any, subject: str) -> list[dict[str, Any]]:
    found = gmail.users().messages().list(userId="me", q=f'subject:"{subject}"', labelIds=["SENT"]).execute()
    return found.get("messages", [])


@pytest.fixture
def stand(sandbox: SandboxHandle, settings: AideSettings) -> Stand:
    sign_in_twilio(settings, sandbox, "default")
    return Stand(settings.with_tables(**sandbox_tables(sandbox, jobs=[DIGEST])), Clock(datetime.now(UTC)))


def runner(stand: Stand, model: Any, **options: Any) -> Runner:
    return Runner(stand.runner_schedule(), stand.servers, model, clock=stand.clock, **options)


async def test_the_morning_digest_runs_at_08_00_in_the_users_zone_across_dst_and_never_twice(
    stand: Stand, twilio: Any, gmail: Any
) -> None:
    model = ScriptedModel(digest_model)
    first = runner(stand, model)
    stand.clock.now = datetime(2026, 10, 24, 5, 59, 59, tzinfo=UTC)  # Saturday 07:59:59 summer time
    assert (await first.tick()).outcomes == []
    stand.clock.now = datetime(2026, 10, 24, 6, 0, tzinfo=UTC)  # 08:00 CEST
    saturday = (await first.tick()).outcomes
    stand.clock.now = datetime(2026, 10, 25, 6, 0, tzinfo=UTC)  # Sunday 07:00 CET: the clocks went back an hour
    early = await first.tick()
    stand.clock.now = datetime(2026, 10, 25, 7, 0, tzinfo=UTC)  # 08:00 CET
    sunday = (await first.tick()).outcomes
    stand.clock.now = datetime(2026, 10, 25, 7, 0, 30, tzinfo=UTC)  # a restart at 08:00:30
    restarted = runner(stand, model)
    again = (await restarted.tick()).outcomes

    assert [(o.key, o.scheduled_for, o.ok) for o in saturday] == [("job:morning-digest", "2026-10-24T06:00:00Z", True)]
    assert early.outcomes == [] and early.next_at == datetime(2026, 10, 25, 7, 0, tzinfo=UTC)
    assert [(o.key, o.scheduled_for, o.ok) for o in sunday] == [("job:morning-digest", "2026-10-25T07:00:00Z", True)]
    assert again == []
    summary = saturday[0].summary
    assert summary.startswith("Digest: ") and summary == sunday[0].summary
    assert texts_to(twilio, MY_PHONE, "Digest: ") == [summary, summary]  # one each morning, to the user's own phone
    assert len(mails_to_self(gmail, "aide: morning-digest (Sat 24 Oct)")) == 1
    assert len(mails_to_self(gmail, "aide: morning-digest (Sun 25 Oct)")) == 1
    assert [d.target for d in saturday[0].deliveries] == ["sms", "mail"]


async def test_a_scheduled_run_is_kept_in_the_usage_ledger_as_a_chat_is(
    stand: Stand, twilio: Any, settings: AideSettings
) -> None:
    from aide_agent.ledger import UsageLedger

    path = settings.home / "usage.sqlite3"
    stand.clock.now = datetime(2026, 10, 24, 6, 0, tzinfo=UTC)  # 08:00 CEST: the digest is due
    outcomes = (await runner(stand, ScriptedModel(digest_model), usage=path).tick()).outcomes
    totals = UsageLedger(path).totals("user")
    assert [o.ok for o in outcomes] == [True]
    assert [(t.key, t.requests > 0, t.calls > 0) for t in totals] == [("default", True, True)]


async def test_two_runners_on_one_store_run_the_digest_once(stand: Stand, twilio: Any) -> None:
    model = ScriptedModel(digest_model)
    one, two = runner(stand, model), runner(stand, model)
    stand.clock.now = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
    ticks: list[Any] = []

    async def tick(who: Runner) -> None:
        ticks.append(await who.tick())

    async with anyio.create_task_group() as group:
        group.start_soon(tick, one)
        group.start_soon(tick, two)
    assert sorted(len(t.outcomes) for t in ticks) == [0, 1]
    assert len(texts_to(twilio, MY_PHONE, "Digest: ")) == 1


async def test_a_reminder_set_in_a_conversation_is_delivered_once_at_its_time_to_its_user_only(
    sandbox: SandboxHandle, settings: AideSettings, twilio: Any
) -> None:
    sign_in_twilio(settings, sandbox, "default")
    sign_in_twilio(settings, sandbox, "ann")
    people = {"ann": {"phone": ANNS_PHONE, "timezone": "America/Los_Angeles"}}
    noon = Clock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    stand = Stand(settings.with_tables(**sandbox_tables(sandbox, people=people)), noon)
    model = ScriptedModel([[call("schedule__remind_me", text="Call the plumber", at="in 6 hours")], "I will."])
    with acting_as("ann"):
        async with Assistant([stand.server("schedule")], model, approve=lambda _: True) as assistant:
            answer = await assistant.run("Remind me to call the plumber in 6 hours")
    assert answer.text == "I will."
    scheduled = runner(stand, ScriptedModel([]), users=["default", "ann"])
    stand.clock.now = datetime(2026, 11, 20, 17, 59, 59, tzinfo=UTC)
    before = await scheduled.tick()
    stand.clock.now = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)  # 10:00 in California
    at_time = await scheduled.tick()
    stand.clock.now = datetime(2026, 11, 20, 18, 5, tzinfo=UTC)
    after = await scheduled.tick()

    assert before.outcomes == [] and before.next_at == datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
    assert [(o.user, o.summary, o.ok) for o in at_time.outcomes] == [("ann", "Reminder: Call the plumber", True)]
    assert after.outcomes == []
    assert texts_to(twilio, ANNS_PHONE, "Reminder:") == ["Reminder: Call the plumber"]
    assert texts_to(twilio, MY_PHONE, "Reminder:") == []


async def test_a_declined_action_is_recorded_and_the_summary_still_delivered(stand: Stand, twilio: Any) -> None:
    def greedy(messages: list[Message], tools: list[ToolSpec]) -> Any:
        if messages[-1].role == "user":
            return [call("gmail__search_emails", query="is:unread", limit=3)]
        if messages[-1].tool_name == "gmail__search_emails":
            ids = [m["id"] for m in json.loads(messages[-1].text)["emails"]]
            return [call("gmail__trash_emails", ids=ids[:1])]
        declined = "declined" in messages[-1].text
        return f"Digest: 3 unread; tidying up was {'not allowed' if declined else 'done'}."

    stand.clock.now = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
    [outcome] = (await runner(stand, ScriptedModel(greedy)).tick()).outcomes
    schedule = stand.server("schedule")
    from mcp import Client

    async with Client(schedule.target) as client:  # type: ignore[arg-type]
        jobs = (await client.call_tool("list_jobs", {})).structured_content
    assert outcome.declined == ["gmail.trash_emails"] and outcome.ok
    assert texts_to(twilio, MY_PHONE, "Digest: ") == ["Digest: 3 unread; tidying up was not allowed."]
    assert jobs is not None
    [job] = jobs["jobs"]
    assert job["last_outcome"] == "done" and job["last_declined"] == ["gmail.trash_emails"]
    assert job["last_summary"].startswith("Digest: 3 unread; tidying up was not allowed.")


FREE_TIME = {"name": "free-time", "when": "every weekday at 08:30", "what": "free-time",
             "servers": ["calendar", "memory"], "deliver": ["sms"]}  # fmt: skip


def planner(messages: list[Message], tools: list[ToolSpec]) -> Any:
    """Asks for free slots with what memory says about mornings, then pairs the first slot with a pending task."""
    if not any(m.role == "tool" for m in messages):  # the first turn (memory's note may follow the request)
        context = " ".join(m.text for m in messages if m.role == "system")
        constraints = {"not_before": "10:00"} if "before 10" in context else {}
        return [
            call("calendar__find_free_slots", duration=60, start="today", end="tomorrow", constraints=constraints),
            call("calendar__list_tasks"),
        ]
    found = results(messages)
    slot = found["calendar__find_free_slots"]["slots"][0]
    day = slot["start"][:10]  # a task fits a slot that comes before it is due (or it has no due date)
    task = next(t for t in found["calendar__list_tasks"]["tasks"]
                if t["status"] == "needsAction" and (t["due"] or "9999")[:10] >= day)  # fmt: skip
    return f"Free {slot['start']} to {slot['end']}: {task['title']}"


async def free_time(sandbox: SandboxHandle, settings: AideSettings, remembered: list[str]) -> tuple[Any, Any]:
    sign_in_twilio(settings, sandbox, "default")
    tables = sandbox_tables(sandbox, jobs=[FREE_TIME])
    stand = Stand(settings.with_tables(**tables), Clock(datetime(2026, 11, 23, 7, 30, tzinfo=UTC)))  # Mon 08:30
    if remembered:
        async with Assistant([stand.server("memory")], ScriptedModel([
            [call("memory__remember", items=[{"content": text, "category": "preference"} for text in remembered])],
            "Noted.",
        ]), approve=lambda _: True, learn=None, retrieve=None) as assistant:  # fmt: skip
            await assistant.run("Remember this")
    model = ScriptedModel(planner)
    [outcome] = (await runner(stand, model).tick()).outcomes
    [slots] = [json.loads(m.text) for m in model.requests[-1][0] if m.tool_name == "calendar__find_free_slots"]
    return outcome, slots


async def test_free_time_proposes_slots_that_respect_a_remembered_no_meetings_before_10_and_a_task_that_fits(
    sandbox: SandboxHandle, settings: AideSettings, twilio: Any, google_tasks: Any
) -> None:
    outcome, slots = await free_time(sandbox, settings, ["No meetings before 10 in the morning"])
    starts = [datetime.fromisoformat(slot["start"]) for slot in slots["slots"]]
    pending = {t["title"]: (t.get("due") or "9999")[:10]
               for t in google_tasks.tasks().list(tasklist="@default").execute().get("items", [])
               if t.get("status") == "needsAction"}  # fmt: skip
    assert outcome.ok and starts and all(start.hour >= 10 for start in starts)
    assert {start.date().isoformat() for start in starts} <= {"2026-11-23", "2026-11-24"}
    [sent] = texts_to(twilio, MY_PHONE, "Free ")
    assert sent == outcome.summary and sent.startswith(f"Free {slots['slots'][0]['start']} to ")
    proposed = sent.split(": ", 1)[1]
    assert proposed in pending and pending[proposed] >= slots["slots"][0]["start"][:10]  # it fits: due after the slot


async def test_without_the_remembered_preference_free_time_offers_the_morning_too(
    sandbox: SandboxHandle, settings: AideSettings
) -> None:
    _, slots = await free_time(sandbox, settings, [])
    assert any(datetime.fromisoformat(slot["start"]).hour < 10 for slot in slots["slots"])


async def test_any_prompt_runs_at_its_time_and_is_delivered_to_a_file(
    sandbox: SandboxHandle, settings: AideSettings, tmp_path: Any
) -> None:
    target = tmp_path / "week.txt"
    week = {"name": "week-in-mail", "when": "every Friday at 17:00", "what": "Summarise what I sent this week.",
            "servers": ["gmail"], "deliver": [f"file:{target}"]}  # fmt: skip

    def summariser(messages: list[Message], tools: list[ToolSpec]) -> Any:
        if not any(m.role == "tool" for m in messages):
            assert "Summarise what I sent this week." in messages[-1].text and "Friday" in messages[-1].text
            return [call("gmail__search_emails", query="in:sent newer_than:7d")]
        return f"You sent {len(results(messages)['gmail__search_emails']['emails'])} mails this week."

    friday_five = Clock(datetime(2026, 11, 20, 16, 0, tzinfo=UTC))  # 17:00 in Berlin
    stand = Stand(settings.with_tables(**sandbox_tables(sandbox, jobs=[week])), friday_five)
    [outcome] = (await runner(stand, ScriptedModel(summariser)).tick()).outcomes
    assert outcome.ok and outcome.summary.startswith("You sent ") and outcome.key == "job:week-in-mail"
    written = target.read_text()
    assert written.startswith("--- 2026-11-20T16:00:00+00:00 aide: week-in-mail (Fri 20 Nov)\n")
    assert outcome.summary in written


async def test_run_waits_until_the_next_due_time_on_its_clock_and_stops_when_told(stand: Stand, twilio: Any) -> None:
    from datetime import timedelta

    waits: list[float] = []
    stop = anyio.Event()

    async def sleep(seconds: float) -> None:  # the injected sleep: moves the clock instead of waiting
        waits.append(seconds)
        stand.clock.now += timedelta(seconds=seconds)
        if len(waits) == 3:
            stop.set()

    stand.clock.now = datetime(2026, 11, 21, 6, 59, 30, tzinfo=UTC)  # 07:59:30 in Berlin
    done: list[Any] = []
    loop = runner(stand, ScriptedModel(digest_model), sleep=sleep, on_outcome=done.append)
    with anyio.fail_after(30):
        await loop.run(stop)
    assert waits == [30.0, 60.0, 60.0]  # to 08:00, then at most a minute between looks
    assert [(o.key, o.scheduled_for) for o in done] == [("job:morning-digest", "2026-11-21T07:00:00Z")]
    assert len(texts_to(twilio, MY_PHONE, "Digest: ")) == 1


async def test_a_mail_reminder_goes_to_the_users_own_address_and_a_job_can_post_to_a_webhook(
    stand: Stand, gmail: Any, webhooks: Any
) -> None:
    stand.clock.now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    model = ScriptedModel([[call("schedule__remind_me", text="Renew the parking permit", at="in 1 hour",
                                 channel="mail")], "Noted."])  # fmt: skip
    async with Assistant([stand.server("schedule")], model, approve=lambda _: True, learn=None) as assistant:
        await assistant.run("Mail me a reminder in an hour to renew the parking permit")
    stand.clock.now = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
    [reminded] = (await runner(stand, ScriptedModel([])).tick()).outcomes
    assert reminded.ok and [d.target for d in reminded.deliveries] == ["mail"]
    assert len(mails_to_self(gmail, "Reminder: Renew the parking permit")) == 1

    hook = {"name": "hook", "when": "every day at 18:00", "what": "Say hi.", "servers": [],
            "deliver": [f"webhook:{webhooks.url('/aide')}"]}  # fmt: skip
    hooked = Stand(stand.settings.with_tables(schedule=stand.settings.table("schedule") | {"jobs": [hook]}),
                   Clock(datetime(2026, 11, 20, 17, 0, tzinfo=UTC)))  # fmt: skip
    [posted] = (await runner(hooked, ScriptedModel(["Hi."])).tick()).outcomes
    assert posted.ok and [d.detail for d in posted.deliveries] == ["HTTP 200"]
    [received] = webhooks.received
    assert received.url == webhooks.url("/aide")
    assert received.headers["idempotency-key"] == "job:hook@2026-11-20T17:00:00Z"
