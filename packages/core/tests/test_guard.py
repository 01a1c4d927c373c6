"""The side-effect guard through a real mcp.Client: confirmation by elicitation and by token, idempotent replay,
allowlists, dry-run, the read-only switch and the audit log."""

from __future__ import annotations

import re
from typing import Any, Literal

import anyio
import pytest
from mcp import Client
from mcp.types import ElicitResult, ErrorData

from aide_core.errors import InvalidInput, PolicyRefused, RequestNotSent, UpstreamUnreachable
from aide_core.guard import MAX_DONE_PREVIEW_CHARS
from aide_core.guard_store import AuditEntry, Claim, GuardStore, Outcome
from aide_core.plan import Plan
from aide_core.policy import EMAIL, EmailAllowlist, email_allowlist
from aide_core.server import ServerSpec
from aide_core.settings import AideSettings, ServerSettings
from aide_core.testing import Answers

pytestmark = pytest.mark.anyio


def audit(settings: AideSettings) -> list[str]:
    """Outcomes in the audit log, oldest first."""
    return [entry.outcome for entry in reversed(GuardStore(settings.home / "guard.sqlite3").audit_entries())]


async def sent(client: Client) -> int:
    result = await client.call_tool("outbox_size", {})
    return result.structured_content["count"]  # type: ignore[index]


async def test_elicit_mode_asks_the_user_with_a_preview_and_acts_once_they_accept(
    example_app: ServerSpec[Any], settings: AideSettings
) -> None:
    answers = Answers(ElicitResult(action="accept", content={"confirm": True}))
    server = example_app.build(settings, config=ServerSettings(confirm="elicit"))
    async with Client(server, elicitation_callback=answers) as client:
        result = await client.call_tool("send", {"to": "ann@example.com", "text": "hello"})
        assert await sent(client) == 1
    assert result.is_error is False
    assert result.structured_content is not None
    assert result.structured_content["status"] == "done"
    assert result.structured_content["result"] == {"to": "ann@example.com", "count": 1}
    [question] = answers.questions
    assert re.fullmatch(r"Send 'hello' to ann@example\.com\n\nGo ahead\? \(ref [0-9a-f]{12}\)", question)
    assert audit(settings) == ["started", "done"]


@pytest.mark.parametrize(
    "answer",
    [
        ElicitResult(action="decline"),
        ElicitResult(action="cancel"),
        ElicitResult(action="accept", content={"confirm": False}),
    ],
)
async def test_elicit_mode_does_nothing_when_the_user_says_no(
    example_app: ServerSpec[Any], settings: AideSettings, answer: ElicitResult
) -> None:
    server = example_app.build(settings, config=ServerSettings(confirm="elicit"))
    async with Client(server, elicitation_callback=Answers(answer)) as client:
        result = await client.call_tool("send", {"to": "ann@example.com", "text": "hello"})
        assert await sent(client) == 0
    assert result.structured_content is not None
    assert result.structured_content["status"] == "declined"
    assert audit(settings) == ["declined"]


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_elicitation_works_on_both_protocol_eras(
    example_app: ServerSpec[Any], settings: AideSettings, mode: str
) -> None:
    answers = Answers(ElicitResult(action="accept", content={"confirm": True}))
    server = example_app.build(settings, config=ServerSettings(confirm="elicit"))
    async with Client(server, elicitation_callback=answers, mode=mode) as client:  # type: ignore[arg-type]
        result = await client.call_tool("send", {"to": "ann@example.com", "text": "hello"})
        assert await sent(client) == 1
    assert result.structured_content is not None and result.structured_content["status"] == "done"
    assert len(answers.questions) == 1


async def test_elicit_mode_falls_back_to_a_token_when_the_client_cannot_be_asked(
    example_app: ServerSpec[Any], settings: AideSettings
) -> None:
    server = example_app.build(settings, config=ServerSettings(confirm="elicit"))
    async with Client(server) as client:  # no elicitation callback: no elicitation capability
        first = await client.call_tool("send", {"to": "ann@example.com", "text": "hello"})
        assert await sent(client) == 0
    assert first.structured_content is not None
    assert first.structured_content["status"] == "confirmation_required"
    assert first.structured_content["confirmation_token"]


async def test_a_confirmation_the_host_fails_to_show_falls_back_to_a_token_and_does_nothing(
    example_app: ServerSpec[Any], settings: AideSettings
) -> None:
    asked: list[str] = []

    async def broken_dialog(context: Any, params: Any) -> ErrorData:
        asked.append(params.message)
        return ErrorData(code=-32603, message="the host's dialog crashed")

    server = example_app.build(settings, config=ServerSettings(confirm="elicit"))
    arguments = {"to": "ann@example.com", "text": "hello"}
    async with Client(server, elicitation_callback=broken_dialog, mode="legacy") as client:
        first = await client.call_tool("send", arguments)
        assert await sent(client) == 0
        assert first.structured_content is not None
        token = first.structured_content["confirmation_token"]
        second = await client.call_tool("send", arguments | {"confirmation_token": token})
        assert await sent(client) == 1
    assert len(asked) == 1 and asked[0].startswith("Send 'hello' to ann@example.com")
    assert first.structured_content == {
        "status": "confirmation_required",
        "message": "Nothing was done yet. Show the preview to the user; only if they agree, call this tool again "
        "with the same arguments and this confirmation_token.",
        "result": None,
        "preview": "Send 'hello' to ann@example.com",
        "confirmation_token": token,
    }
    assert second.structured_content is not None and second.structured_content["status"] == "done"


async def test_token_mode_previews_first_and_acts_only_with_the_token(
    example_app: ServerSpec[Any], settings: AideSettings
) -> None:
    server = example_app.build(settings, config=ServerSettings(confirm="token"))
    arguments = {"to": "ann@example.com", "text": "hello"}
    async with Client(server) as client:
        first = await client.call_tool("send", arguments)
        assert first.structured_content is not None
        assert first.structured_content["preview"] == "Send 'hello' to ann@example.com"
        assert await sent(client) == 0
        token = first.structured_content["confirmation_token"]
        second = await client.call_tool("send", arguments | {"confirmation_token": token})
        assert await sent(client) == 1
    assert second.structured_content is not None
    assert second.structured_content["status"] == "done"
    assert audit(settings) == ["preview", "started", "done"]


async def test_a_token_does_not_confirm_different_arguments_or_a_made_up_value(
    example_app: ServerSpec[Any], settings: AideSettings
) -> None:
    server = example_app.build(settings, config=ServerSettings(confirm="token"))
    async with Client(server) as client:
        first = await client.call_tool("send", {"to": "ann@example.com", "text": "hello"})
        token = first.structured_content["confirmation_token"]  # type: ignore[index]
        changed = await client.call_tool(
            "send", {"to": "eve@example.com", "text": "hello", "confirmation_token": token}
        )
        made_up = await client.call_tool("send", {"to": "ann@example.com", "text": "hi", "confirmation_token": "nope"})
        assert await sent(client) == 0
    assert changed.is_error and "the arguments changed since the preview" in changed.content[0].text  # type: ignore[union-attr]
    assert made_up.is_error and "unknown confirmation token" in made_up.content[0].text  # type: ignore[union-attr]


async def test_an_expired_token_is_refused(example_app: ServerSpec[Any], settings: AideSettings) -> None:
    runtime = example_app.make_runtime(settings, ServerSettings(confirm="token", confirmation_ttl_seconds=60))
    clock = [1_000_000.0]
    runtime.guard.now = lambda: clock[0]  # the token is issued "long ago": expires_at is in the past
    server = example_app.build(runtime=runtime)
    async with Client(server) as client:
        first = await client.call_tool("send", {"to": "ann@example.com", "text": "hello"})
        token = first.structured_content["confirmation_token"]  # type: ignore[index]
        late = await client.call_tool("send", {"to": "ann@example.com", "text": "hello", "confirmation_token": token})
    assert late.is_error and "expired" in late.content[0].text  # type: ignore[union-attr]


async def test_a_repeated_call_replays_the_first_result_instead_of_acting_twice(
    example_app: ServerSpec[Any], settings: AideSettings
) -> None:
    server = example_app.build(settings, config=ServerSettings(confirm="never"))
    arguments = {"to": "ann@example.com", "text": "hello", "idempotency_key": "k-1"}
    async with Client(server) as client:
        first = await client.call_tool("send", arguments)
        again = await client.call_tool("send", arguments)
        derived_first = await client.call_tool("send", {"to": "bob@example.com", "text": "yo"})
        derived_again = await client.call_tool("send", {"to": "bob@example.com", "text": "yo"})
        new_key = await client.call_tool("send", arguments | {"idempotency_key": "k-2"})
        assert await sent(client) == 3
    assert first.structured_content["status"] == "done"  # type: ignore[index]
    assert again.structured_content["status"] == "replayed"  # type: ignore[index]
    assert again.structured_content["result"] == first.structured_content["result"]  # type: ignore[index]
    assert derived_first.structured_content["status"] == "done"  # type: ignore[index]
    assert derived_again.structured_content["status"] == "replayed"  # type: ignore[index]
    assert new_key.structured_content["status"] == "done"  # type: ignore[index]


async def test_a_key_reused_for_different_arguments_is_refused_not_replayed(
    example_app: ServerSpec[Any], settings: AideSettings
) -> None:
    server = example_app.build(settings, config=ServerSettings(confirm="never"))
    async with Client(server) as client:
        await client.call_tool("send", {"to": "ann@example.com", "text": "hello", "idempotency_key": "k"})
        other = await client.call_tool("send", {"to": "eve@example.com", "text": "hello", "idempotency_key": "k"})
        assert await sent(client) == 1
    assert other.is_error
    assert "already used for a call with other arguments" in other.content[0].text  # type: ignore[union-attr]


def test_claiming_a_key_is_atomic_across_connections(settings: AideSettings) -> None:
    """Eight threads, each with its own store (its own SQLite connection), race for one key: one wins."""
    import threading

    path = settings.home / "guard.sqlite3"
    GuardStore(path).audit_entries()  # create the schema before the race
    barrier = threading.Barrier(8)
    states: list[str] = []

    def race() -> None:
        store = GuardStore(path)
        barrier.wait()
        states.append(store.claim("the-key", "example", "send", "digest", subject="ann", expires_at=None).state)

    threads = [threading.Thread(target=race) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(states) == ["new"] + ["pending"] * 7


async def test_a_replay_survives_a_restart_of_the_server(example_app: ServerSpec[Any], settings: AideSettings) -> None:
    arguments = {"to": "ann@example.com", "text": "hello", "idempotency_key": "k-1"}
    async with Client(example_app.build(settings, config=ServerSettings(confirm="never"))) as client:
        await client.call_tool("send", arguments)
    async with Client(example_app.build(settings, config=ServerSettings(confirm="never"))) as client:
        again = await client.call_tool("send", arguments)
        assert await sent(client) == 0  # a fresh process: its outbox is empty, nothing was sent again
    assert again.structured_content["status"] == "replayed"  # type: ignore[index]


#: The guard's schema before subjects (version 2), as an older aide wrote it.
_VERSION_2 = """
CREATE TABLE idempotency (key TEXT PRIMARY KEY, server TEXT NOT NULL, tool TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'done')), args_digest TEXT NOT NULL DEFAULT '', result TEXT,
    created_at REAL NOT NULL, expires_at REAL);
CREATE TABLE confirmations (token TEXT PRIMARY KEY, server TEXT NOT NULL, tool TEXT NOT NULL,
    args_digest TEXT NOT NULL, expires_at REAL NOT NULL, used_at REAL);
CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, server TEXT NOT NULL, tool TEXT NOT NULL,
    args_digest TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT);
CREATE INDEX audit_by_time ON audit (at);
PRAGMA user_version = 2;
"""


async def test_a_guard_database_from_before_subjects_is_upgraded_and_its_records_stay_the_main_users(
    example_app: ServerSpec[Any], settings: AideSettings
) -> None:
    """Records written before the guard knew subjects belong to the main user (the stdio user, and the main HTTP
    token's): a send made before the upgrade still replays for them after it, and they still list it."""
    import json
    import sqlite3
    import time

    from aide_core.activity import spec as activity
    from aide_core.guard import Guard

    path = settings.home / "guard.sqlite3"
    settings.home.mkdir(parents=True)
    arguments = {"to": "ann@example.com", "text": "hello"}
    guard = Guard("example", ServerSettings(), GuardStore(path))
    key, _ = guard.idempotency("send", arguments, "k-1")
    digest = guard.args_digest("send", arguments)
    with sqlite3.connect(path) as db:
        db.executescript(_VERSION_2)
        db.execute(
            "INSERT INTO idempotency VALUES (?, 'example', 'send', 'done', ?, ?, ?, NULL)",
            (key, digest, json.dumps({"to": "ann@example.com", "count": 1}), time.time()),
        )
        db.execute("INSERT INTO audit VALUES (1, ?, 'example', 'send', ?, 'done', NULL)", (time.time(), digest))
    db.close()

    async with Client(example_app.build(settings, config=ServerSettings(confirm="never"))) as client:
        again = await client.call_tool("send", arguments | {"idempotency_key": "k-1"})
        assert await sent(client) == 0
    async with Client(activity.build(settings)) as client:
        listed = (await client.call_tool("list_activity", {})).structured_content
    assert again.structured_content is not None
    assert again.structured_content["status"] == "replayed"
    assert again.structured_content["result"] == {"to": "ann@example.com", "count": 1}
    assert listed is not None
    assert [(a["tool"], a["outcome"]) for a in listed["actions"]] == [("send", "replayed"), ("send", "done")]
    assert {entry.subject for entry in GuardStore(path).audit_entries()} == {"default"}
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 3
    db.close()


async def test_concurrent_duplicates_act_once(example_app: ServerSpec[Any], settings: AideSettings) -> None:
    server = example_app.build(settings, config=ServerSettings(confirm="never"))
    arguments = {"to": "ann@example.com", "text": "hello", "idempotency_key": "same"}
    results: list[Any] = []
    async with Client(server) as client:

        async def call() -> None:
            results.append(await client.call_tool("send", arguments))

        async with anyio.create_task_group() as group:
            for _ in range(5):
                group.start_soon(call)
        assert await sent(client) == 1
    statuses = sorted("error" if r.is_error else r.structured_content["status"] for r in results)
    assert statuses.count("done") == 1 and "done" in statuses


async def test_the_recipient_allowlist_refuses_other_addresses(
    example_app: ServerSpec[Any], settings: AideSettings
) -> None:
    from example_server import ExampleSettings

    config = ExampleSettings(confirm="never", allow_recipients=["ann@example.com"], allow_domains=["corp.example"])
    async with Client(example_app.build(settings, config=config)) as client:
        refused = await client.call_tool("send", {"to": "Eve <eve@evil.example>", "text": "hi"})
        by_address = await client.call_tool("send", {"to": "ANN@example.com", "text": "hi"})
        by_domain = await client.call_tool("send", {"to": "bob@corp.example", "text": "hi"})
        assert await sent(client) == 2
    assert refused.is_error
    assert "eve@evil.example is not allowed by this server's allowlist" in refused.content[0].text  # type: ignore[union-attr]
    assert by_address.structured_content["status"] == "done"  # type: ignore[index]
    assert by_domain.structured_content["status"] == "done"  # type: ignore[index]
    assert audit(settings) == ["refused", "started", "done", "started", "done"]


async def test_the_phone_allowlist_compares_numbers_in_international_form(
    example_app: ServerSpec[Any], settings: AideSettings
) -> None:
    from example_server import ExampleSettings

    config = ExampleSettings(confirm="never", tier="extended", allow_phone_numbers=["+1 (415) 555-0100"])
    async with Client(example_app.build(settings, config=config)) as client:
        allowed = await client.call_tool("text", {"number": "+14155550100"})
        refused = await client.call_tool("text", {"number": "+14155550199"})
        garbled = await client.call_tool("text", {"number": "call me"})
    assert allowed.structured_content["status"] == "done"  # type: ignore[index]
    assert refused.is_error and "+14155550199 is not allowed" in refused.content[0].text  # type: ignore[union-attr]
    assert garbled.is_error and garbled.content[0].text.startswith(  # type: ignore[union-attr]
        "Error executing tool text: 'call me' is not a phone number in international form: send +<country code> "
    )


async def test_the_phone_allowlist_reads_national_numbers_in_the_default_region(
    example_app: ServerSpec[Any], settings: AideSettings
) -> None:
    from example_server import ExampleSettings

    config = ExampleSettings(
        confirm="never", tier="extended", default_region="US", allow_phone_numbers=["(415) 555-0100", "not a number"]
    )
    async with Client(example_app.build(settings, config=config)) as client:
        international = await client.call_tool("text", {"number": "+14155550100"})
        national = await client.call_tool("text", {"number": "415 555 0100"})
        refused = await client.call_tool("text", {"number": "+442079460000"})
    assert international.structured_content["status"] == "done"  # type: ignore[index]
    assert national.structured_content["status"] == "done"  # type: ignore[index]
    assert refused.is_error and "+442079460000 is not allowed" in refused.content[0].text  # type: ignore[union-attr]


async def test_dry_run_returns_the_preview_and_does_nothing(
    example_app: ServerSpec[Any], settings: AideSettings
) -> None:
    async with Client(example_app.build(settings, config=ServerSettings(confirm="never", dry_run=True))) as client:
        result = await client.call_tool("send", {"to": "ann@example.com", "text": "hello"})
        assert await sent(client) == 0
    assert result.structured_content == {
        "status": "dry_run",
        "message": "Dry-run mode: nothing was done. This is the preview.",
        "result": None,
        "preview": "Send 'hello' to ann@example.com",
        "confirmation_token": None,
    }
    assert audit(settings) == ["dry_run"]


async def test_read_only_hides_every_write_tool(example_app: ServerSpec[Any], settings: AideSettings) -> None:
    async with Client(example_app.build(settings, config=ServerSettings(read_only=True, tier="extended"))) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        hidden = await client.call_tool("send", {"to": "ann@example.com", "text": "hello"})
    assert names == {"echo", "whoami", "fail", "outbox_size"}
    assert hidden.is_error


def flaky_server(first_error: Exception) -> tuple[ServerSpec[list[str]], list[int]]:
    spec = ServerSpec[list[str]]("flaky", state=lambda runtime: [])
    attempts: list[int] = []

    @spec.action()
    def post(text: str) -> dict[str, str]:
        """Post a note (fails the first time)."""
        attempts.append(1)
        if len(attempts) == 1:
            raise first_error
        return {"posted": text}

    return spec, attempts


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (InvalidInput("Invalid 'To' number."), "Invalid 'To' number."),
        (RequestNotSent("Flaky"), "Could not connect to Flaky, so the request was not sent"),
    ],
)
async def test_an_action_upstream_refused_or_never_sent_is_audited_and_may_be_retried_with_the_same_key(
    settings: AideSettings, error: Exception, said: str
) -> None:
    spec, attempts = flaky_server(error)
    async with Client(spec.build(settings, config=ServerSettings(confirm="never"))) as client:
        failed = await client.call_tool("post", {"text": "hi", "idempotency_key": "x"})
        retried = await client.call_tool("post", {"text": "hi", "idempotency_key": "x"})
    assert failed.is_error and said in failed.content[0].text  # type: ignore[union-attr]
    assert retried.structured_content["status"] == "done"  # type: ignore[index]
    assert len(attempts) == 2
    assert audit(settings) == ["started", "failed", "started", "done"]


@pytest.mark.parametrize(
    "error",
    [ConnectionError("reset after sending"), UpstreamUnreachable("Flaky"), RuntimeError("bug after the call")],
)
async def test_an_action_whose_outcome_is_unknown_is_not_retried_blindly(
    settings: AideSettings, error: Exception
) -> None:
    spec, attempts = flaky_server(error)
    async with Client(spec.build(settings, config=ServerSettings(confirm="never"))) as client:
        failed = await client.call_tool("post", {"text": "hi", "idempotency_key": "x"})
        retried = await client.call_tool("post", {"text": "hi", "idempotency_key": "x"})
        fresh = await client.call_tool("post", {"text": "hi", "idempotency_key": "y"})
    assert failed.is_error and retried.is_error
    assert "its outcome is unknown" in retried.content[0].text  # type: ignore[union-attr]
    assert fresh.structured_content["status"] == "done"  # type: ignore[index]
    assert len(attempts) == 2


async def test_guarded_tools_advertise_their_annotations_and_output_schema(
    example_app: ServerSpec[Any], settings: AideSettings
) -> None:
    async with Client(example_app.build(settings)) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    send = tools["send"]
    assert send.annotations is not None
    assert (send.annotations.read_only_hint, send.annotations.destructive_hint) == (False, True)
    assert send.annotations.idempotent_hint is False and send.annotations.open_world_hint is True
    assert send.output_schema is not None and "status" in send.output_schema["properties"]
    assert set(send.input_schema["properties"]) == {"to", "text", "confirmation_token", "idempotency_key"}
    assert send.input_schema["required"] == ["to", "text"]
    echo = tools["echo"]
    assert echo.annotations is not None and echo.annotations.read_only_hint is True


async def test_a_policy_the_server_declares_runs_on_each_plan_and_may_refuse_it(settings: AideSettings) -> None:
    deleted: list[str] = []

    def keep_the_archive(config: ServerSettings, plan: Plan[Any]) -> None:
        if "archive" in plan.reaches.get("page", ()):
            raise PolicyRefused("The archive page may not be deleted.", hint="Pick another page.")

    spec = ServerSpec[None]("pages", policies=[keep_the_archive])

    @spec.action(preview=lambda page: f"Delete {page}", reaches={"page": lambda page: [page]})
    def delete_page(page: str) -> dict[str, str]:
        """Delete a page."""
        deleted.append(page)
        return {"deleted": page}

    async with Client(spec.build(settings, config=ServerSettings(confirm="never"))) as client:
        refused = await client.call_tool("delete_page", {"page": "archive"})
        done = await client.call_tool("delete_page", {"page": "notes"})
    assert refused.is_error and refused.content[0].text == (  # type: ignore[union-attr]
        "Error executing tool delete_page: The archive page may not be deleted. Pick another page."
    )
    assert done.structured_content["status"] == "done"  # type: ignore[index]
    assert deleted == ["notes"]
    entries = GuardStore(settings.home / "guard.sqlite3").audit_entries()
    assert (entries[-1].outcome, entries[-1].detail) == ("refused", "policy keep_the_archive")


def test_an_allowlist_policy_needs_its_settings_on_the_server() -> None:
    with pytest.raises(TypeError, match="include EmailAllowlist"):
        email_allowlist(ServerSettings(), Plan(preview="", payload=None, reaches={EMAIL: ("ann@example.com",)}))


class NotesSettings(ServerSettings, EmailAllowlist):
    pass


def planned_server() -> tuple[ServerSpec[dict[str, str]], list[Plan[str]]]:
    """A server whose action sends a stored note: the plan reads the note (which may change between calls)."""
    spec = ServerSpec[dict[str, str]](
        "notes", state=lambda runtime: {"n1": "first text"}, settings_model=NotesSettings, policies=[email_allowlist]
    )
    acted: list[Plan[str]] = []

    def plan_share(note_id: str, to: str) -> Plan[str]:
        text = spec.state().get(note_id)
        if text is None:
            raise InvalidInput(f"No note {note_id}.")
        return Plan(preview=f"Share {text!r} with {to}", payload=text, content={"text": text}, reaches={EMAIL: (to,)})

    @spec.action(plan=plan_share)
    def share(plan: Plan[str], note_id: str, to: str) -> dict[str, str]:
        """Share a note."""
        acted.append(plan)
        return {"shared": plan.payload}

    @spec.action()
    def edit(note_id: str, text: str) -> dict[str, str]:
        """Replace a note's text (stands for an edit made elsewhere)."""
        spec.state()[note_id] = text
        return {"edited": note_id}

    return spec, acted


async def test_an_action_acts_on_the_plan_it_previewed_and_a_changed_plan_voids_the_token(
    settings: AideSettings,
) -> None:
    spec, acted = planned_server()
    arguments = {"note_id": "n1", "to": "ann@example.com"}
    runtime = spec.make_runtime(settings, ServerSettings(confirm="token"))
    async with Client(spec.build(runtime=runtime)) as client:
        first = (await client.call_tool("share", arguments)).structured_content or {}
        runtime.state()["n1"] = "second text"
        stale = await client.call_tool("share", arguments | {"confirmation_token": first["confirmation_token"]})
        again = (await client.call_tool("share", arguments)).structured_content or {}
        done = await client.call_tool("share", arguments | {"confirmation_token": again["confirmation_token"]})
    assert first["preview"] == "Share 'first text' with ann@example.com"
    assert stale.is_error and "changed since the preview" in stale.content[0].text  # type: ignore[union-attr]
    assert again["preview"] == "Share 'second text' with ann@example.com"
    assert done.structured_content == {
        "status": "done",
        "message": "Done.",
        "result": {"shared": "second text"},
        "preview": "Share 'second text' with ann@example.com",
        "confirmation_token": None,
    }
    assert [plan.payload for plan in acted] == ["second text"]


async def test_the_plan_is_what_the_allowlist_checks_and_the_body_never_runs_when_it_refuses(
    settings: AideSettings,
) -> None:
    spec, acted = planned_server()
    config = NotesSettings(confirm="never", allow_domains=["example.org"])
    async with Client(spec.build(settings, config=config)) as client:
        refused = await client.call_tool("share", {"note_id": "n1", "to": "ann@example.com"})
        missing = await client.call_tool("share", {"note_id": "n9", "to": "ann@example.org"})
    assert refused.is_error and "Sending to ann@example.com is not allowed" in refused.content[0].text  # type: ignore[union-attr]
    assert missing.is_error and "No note n9." in missing.content[0].text  # type: ignore[union-attr]
    assert acted == []
    assert audit(settings) == ["refused"]


async def test_a_plan_parameter_is_not_part_of_the_tool_input(settings: AideSettings) -> None:
    spec, _ = planned_server()
    async with Client(spec.build(settings)) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(tools["share"].input_schema["properties"]) == {"note_id", "to", "confirmation_token", "idempotency_key"}


async def test_a_done_outcome_says_what_was_done_by_the_previews_head_defanged_and_bounded(
    settings: AideSettings,
) -> None:
    spec, _ = planned_server()
    runtime = spec.make_runtime(settings, NotesSettings(confirm="never"))
    runtime.state()["n1"] = "<untrusted-content> " + "x" * 600 + "\n\nthe rest of the note"
    async with Client(spec.build(runtime=runtime)) as client:
        done = (await client.call_tool("share", {"note_id": "n1", "to": "ann@example.com"})).structured_content or {}
    head = "Share '[untrusted-content> " + "x" * 600
    assert (done["status"], done["preview"]) == ("done", head[: MAX_DONE_PREVIEW_CHARS - 1] + "…")


def private_or_shared_server() -> tuple[ServerSpec[None], list[str]]:
    """A server whose action notifies someone only when given an address: its plan needs confirmation only then."""
    spec = ServerSpec[None]("notes", state=lambda runtime: None)
    done: list[str] = []

    def plan_note(text: str, notify: str | None = None) -> Plan[str]:
        reaches = {EMAIL: (notify,)} if notify else {}
        who = f"Tell {notify}: " if notify else "Note to self: "
        return Plan(preview=who + text, payload=text, content={"text": text}, reaches=reaches, confirm=bool(notify))

    @spec.action(plan=plan_note, destructive=False)
    def note(plan: Plan[str], text: str, notify: str | None = None) -> dict[str, str]:
        """Write a note, telling someone if asked."""
        done.append(plan.payload)
        return {"noted": plan.payload}

    return spec, done


@pytest.mark.parametrize("mode", ["elicit", "token"])
async def test_a_plan_that_reaches_nobody_acts_without_asking_and_one_that_notifies_is_still_asked(
    settings: AideSettings, mode: Literal["elicit", "token"]
) -> None:
    spec, done = private_or_shared_server()
    answers = Answers(ElicitResult(action="decline"))
    async with Client(spec.build(settings, config=ServerSettings(confirm=mode)), elicitation_callback=answers) as c:
        private = await c.call_tool("note", {"text": "buy milk", "idempotency_key": "k1"})
        again = await c.call_tool("note", {"text": "buy milk", "idempotency_key": "k1"})
        shared = await c.call_tool("note", {"text": "buy milk", "notify": "ann@example.com"})
    assert private.structured_content == {
        "status": "done",
        "message": "Done.",
        "result": {"noted": "buy milk"},
        "preview": "Note to self: buy milk",
        "confirmation_token": None,
    }
    assert (again.structured_content or {})["status"] == "replayed"
    expected = "declined" if mode == "elicit" else "confirmation_required"
    assert (shared.structured_content or {})["status"] == expected
    assert done == ["buy milk"]
    asked = [question.split("\n\n")[0] for question in answers.questions]
    assert asked == ([] if mode == "token" else ["Tell ann@example.com: buy milk"])
    assert audit(settings)[:3] == ["started", "done", "replayed"]


async def test_dry_run_previews_even_a_plan_that_needs_no_confirmation(settings: AideSettings) -> None:
    spec, done = private_or_shared_server()
    async with Client(spec.build(settings, config=ServerSettings(dry_run=True))) as client:
        result = await client.call_tool("note", {"text": "buy milk"})
    assert (result.structured_content or {})["status"] == "dry_run"
    assert (result.structured_content or {})["preview"] == "Note to self: buy milk"
    assert done == []


class DictRecords:
    """A second `GuardRecords` backend, in memory: the guard must need nothing beyond the protocol (what a
    PostgreSQL backend would implement)."""

    def __init__(self) -> None:
        self.keys: dict[tuple[str, str], tuple[str, str, Any]] = {}  # (subject, key) -> (state, digest, result)
        self.tokens: dict[str, tuple[str, str, str, str]] = {}
        self.log: list[AuditEntry] = []

    def claim(
        self, key: str, server: str, tool: str, args_digest: str, *, subject: str, expires_at: float | None
    ) -> Claim:
        found = self.lookup(key, args_digest, subject=subject)
        if found.state == "new":
            self.keys[subject, key] = ("pending", args_digest, None)
            self.audit(server, tool, args_digest, "started", subject=subject)
        return found

    def lookup(self, key: str, args_digest: str, *, subject: str) -> Claim:
        if (subject, key) not in self.keys:
            return Claim("new")
        state, digest, result = self.keys[subject, key]
        if digest != args_digest:
            return Claim("conflict")
        return Claim("done", result) if state == "done" else Claim("pending")

    def complete(self, key: str, result: Any, server: str, tool: str, args_digest: str, *, subject: str) -> None:
        self.keys[subject, key] = ("done", args_digest, result)
        self.audit(server, tool, args_digest, "done", subject=subject)

    def release(self, key: str, *, subject: str) -> None:
        self.keys.pop((subject, key), None)

    def issue_token(
        self, token: str, server: str, tool: str, args_digest: str, *, subject: str, expires_at: float
    ) -> None:
        self.tokens[token] = (subject, server, tool, args_digest)

    def redeem_token(self, token: str, server: str, tool: str, args_digest: str, *, subject: str) -> str | None:
        if self.tokens.pop(token, None) != (subject, server, tool, args_digest):
            return "no such token"
        return None

    def audit(
        self,
        server: str,
        tool: str,
        args_digest: str,
        outcome: Outcome,
        detail: str | None = None,
        *,
        subject: str,
    ) -> None:
        self.log.append(AuditEntry(len(self.log) + 1, 0.0, subject, server, tool, args_digest, outcome, detail))

    def audit_entries(
        self,
        *,
        subject: str | None = None,
        server: str | None = None,
        since: float | None = None,
        before_id: int | None = None,
        limit: int = 50,
    ) -> list[AuditEntry]:
        return [e for e in reversed(self.log) if subject in (None, e.subject)][:limit]


async def test_the_guard_runs_on_any_backend_of_its_records_protocol(
    example_app: ServerSpec[Any], settings: AideSettings
) -> None:
    records = DictRecords()
    runtime = example_app.make_runtime(settings, ServerSettings(confirm="token"), guard_store=records)
    arguments = {"to": "ann@example.com", "text": "hello", "idempotency_key": "k"}
    async with Client(example_app.build(runtime=runtime)) as client:
        preview = (await client.call_tool("send", arguments)).structured_content or {}
        token = preview["confirmation_token"]
        done = (await client.call_tool("send", arguments | {"confirmation_token": token})).structured_content or {}
        replayed = (await client.call_tool("send", arguments)).structured_content or {}
        assert await sent(client) == 1
    assert (preview["status"], done["status"], replayed["status"]) == ("confirmation_required", "done", "replayed")
    assert [entry.outcome for entry in reversed(records.log)] == ["replayed", "done", "started", "preview"]
    assert not (settings.home / "guard.sqlite3").exists()
