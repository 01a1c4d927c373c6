"""`aide sandbox serve | seed | reset`, the `aide.sandbox` entry point, and state that survives a restart."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import notion_client
from google.oauth2.credentials import Credentials
from twilio.rest import Client as TwilioClient
from typer.testing import CliRunner

from aide_core.settings import AideSettings, load_settings
from aide_sandbox import entry
from aide_sandbox.app import Sandbox, SandboxHandle, start
from aide_sandbox.cli import app
from aide_sandbox.google.client import build_service
from aide_sandbox.testing import ME, NOW, SAM, mail, pinned_clock, raw


def credentials(info: dict[str, Any]) -> Credentials:
    """Credentials from authorized-user info, keeping its token_uri (`from_authorized_user_info` replaces it)."""
    return Credentials(
        token=info["token"],
        refresh_token=info["refresh_token"],
        token_uri=info["token_uri"],
        client_id=info["client_id"],
        client_secret=info["client_secret"],
        scopes=info["scopes"],
    )


def test_serve_prints_one_json_line_whose_urls_and_credentials_work(tmp_path: Path) -> None:
    aide = Path(sys.executable).parent / "aide"
    command = [str(aide), "sandbox", "serve", "--port", "0", "--state", str(tmp_path), "--keep-alive", "7"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            announced = json.loads(process.stdout.readline())
            assert {"gmail", "oauth", "admin", "credentials"} <= set(announced)
            assert announced["gmail"].endswith("/gmail/")
            assert set(announced["credentials"]["gmail"]) == {ME, SAM}
            assert announced["credentials"]["oauth"]["token_uri"] == announced["oauth"] + "token"
            for account, info in announced["credentials"]["gmail"].items():
                gmail = build_service("gmail", "v1", announced["gmail"], credentials(info))
                assert gmail.users().getProfile(userId="me").execute()["emailAddress"] == account
                gmail.close()
            assert {"calendar", "notion", "twilio", "openai", "anthropic"} <= set(announced["credentials"])
            calendar = build_service(
                "calendar", "v3", announced["calendar"], credentials(announced["credentials"]["calendar"][ME])
            )
            assert calendar.calendars().get(calendarId="primary").execute()["id"] == ME
            calendar.close()
            sams = credentials(announced["credentials"]["tasks"][SAM])
            tasks = build_service("tasks", "v1", announced["tasks"], sams)
            assert tasks.tasklists().get(tasklist="@default").execute()["id"] == "sam-my-tasks"
            tasks.close()
            for workspace in announced["credentials"]["notion"].values():
                with notion_client.Client(auth=workspace["token"], base_url=announced["notion"]) as notion:
                    me: Any = notion.users.me()
                    assert me["type"] == "bot"
            sms = announced["credentials"]["twilio"]
            twilio = TwilioClient(sms["account_sid"], sms["auth_token"])
            twilio.api.base_url = announced["twilio"]
            assert twilio.messages.list(limit=1)[0].account_sid == sms["account_sid"]
            assert announced["openai"].endswith("/openai/v1") and announced["anthropic"].endswith("/anthropic")
        finally:
            process.terminate()
            assert process.wait(timeout=20) == 0  # SIGTERM stops the server cleanly


def test_sigterm_stops_serve_even_with_a_request_left_half_sent(tmp_path: Path) -> None:
    import socket
    from urllib.parse import urlsplit

    aide = Path(sys.executable).parent / "aide"
    command = [str(aide), "sandbox", "serve", "--port", "0", "--state", str(tmp_path)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        where = urlsplit(json.loads(process.stdout.readline())["gmail"])
        with socket.create_connection((where.hostname, where.port)) as stuck:
            stuck.sendall(
                b"POST /gmail/gmail/v1/users/me/messages/send HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n{"
            )
            process.terminate()
            code = process.wait(timeout=20)  # the request never finishes: the stop must not wait for it
        errors = process.stderr.read() if process.stderr else ""
    assert code == 0 and "Traceback" not in errors, errors


def test_seed_fills_an_empty_state_once_and_reset_starts_it_over(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["seed", "--state", str(tmp_path)]).exit_code == 0
    sandbox = Sandbox(tmp_path)
    seeded = sandbox.mailboxes.counts(ME)
    first = sandbox.mailboxes.search(ME, "", [], include_spam_trash=True)[0]
    sandbox.mailboxes.delete(ME, [first.id])
    sandbox.close()

    again = runner.invoke(app, ["seed", "--state", str(tmp_path)])
    assert "already has data" in again.stderr
    sandbox = Sandbox(tmp_path)
    assert sandbox.mailboxes.counts(ME)[0] == seeded[0] - 1
    sandbox.close()

    assert runner.invoke(app, ["reset", "--state", str(tmp_path)]).exit_code == 0
    sandbox = Sandbox(tmp_path)
    assert sandbox.mailboxes.counts(ME) == seeded
    assert sandbox.mailboxes.get(ME, first.id).raw == first.raw  # the same ids: the seed is deterministic
    sandbox.close()


def test_without_state_the_commands_use_the_aide_home(aide_env: Path) -> None:
    assert CliRunner().invoke(app, ["seed"]).exit_code == 0
    assert (aide_env / "sandbox" / "sandbox.db").is_file()


def test_a_restart_keeps_the_state(tmp_path: Path) -> None:
    with start(tmp_path) as handle:
        sent = handle.gmail().users().messages().send(userId="me", body={"raw": raw(mail("Kept", "k"))}).execute()
    with start(tmp_path) as handle:
        kept = handle.gmail().users().messages().get(userId="me", id=sent["id"], format="minimal").execute()
        assert kept["labelIds"] == ["SENT"]
        handle.reset()  # back to the seed
        assert not handle.gmail().users().messages().list(userId="me", q="subject:kept").execute().get("messages")


def test_the_entry_point_points_every_server_at_a_running_emulator_and_keeps_its_secrets_in_the_credential_store(
    settings: AideSettings,
) -> None:
    from aide_core.accounts import AccountStore as Accounts
    from aide_google.accounts import AccountStore

    [point] = entry_points(group="aide.sandbox")
    updated: AideSettings = point.load()(settings)
    try:
        assert updated.home == settings.home / "sandbox" / "aide"  # a world of its own
        assert updated.credential_backend == "file"  # never the user's keyring
        account = AccountStore.lazy(updated).get("default")
        notion_account = Accounts.lazy(updated, service="notion").get("default")
        twilio_account = Accounts.lazy(updated, service="twilio").get("default")
        assert account is not None and account.email == ME
        assert notion_account is not None and twilio_account is not None
        notion_token, auth_token = notion_account.data["token"], twilio_account.data["auth_token"]
        tables = json.dumps({name: updated.table(name) for name in ("gmail", "calendar", "notion", "twilio")})
        stored = [account.data["token"], account.data["refresh_token"], account.data["client_secret"]]
        stored += [notion_token, auth_token]
        assert all(stored) and not [secret for secret in stored if secret and secret in tables]

        table = updated.table("gmail")
        assert updated.server("gmail").base_url == table["base_url"]
        gmail = build_service("gmail", "v1", table["base_url"], credentials(account.data))
        assert gmail.users().getProfile(userId="me").execute()["emailAddress"] == ME
        gmail.close()
        cal = updated.table("calendar")
        calendar = build_service("calendar", "v3", cal["base_url"], credentials(account.data))
        assert calendar.calendarList().get(calendarId="primary").execute()["id"] == ME
        calendar.close()
        tasks = build_service("tasks", "v1", cal["tasks_base_url"], credentials(account.data))
        assert tasks.tasklists().get(tasklist="@default").execute()["title"] == "My Tasks"
        tasks.close()
        pages = updated.table("notion")
        with notion_client.Client(auth=notion_token, base_url=pages["base_url"]) as notion:
            me: Any = notion.users.me()
            assert me["bot"]["workspace_name"] == "Rivera Home"
        sms = updated.table("twilio")
        twilio = TwilioClient(twilio_account.data["account_sid"], auth_token)
        twilio.api.base_url = sms["base_url"]
        assert twilio.messages.create(to="+14155552671", from_=sms["from_number"], body="hi").status == "queued"
        assert (settings.home / "sandbox" / "sandbox.db").is_file()
    finally:
        entry._RUNNING.pop().stop()  # pyright: ignore[reportPrivateUsage]


def test_a_sandbox_seeded_on_another_day_dates_its_mail_relative_to_that_day(tmp_path: Path, gmail: Any) -> None:
    later = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)  # the same time of day as testing.NOW
    with start(tmp_path, clock=pinned_clock(later)) as handle:
        shifted = handle.gmail()
        recent = shifted.users().messages().list(userId="me", q="newer_than:7d", maxResults=500).execute()
        newest = shifted.users().messages().get(userId="me", id=recent["messages"][0]["id"]).execute()
    pinned = gmail.users().messages().list(userId="me", q="newer_than:7d", maxResults=500).execute()
    assert len(recent["messages"]) == len(pinned["messages"]) > 0
    age = later.timestamp() - int(newest["internalDate"]) / 1000
    assert 0 < age < 2 * 86_400


def test_a_state_seeded_on_an_earlier_day_is_seeded_anew_when_asked(tmp_path: Path) -> None:
    def labels(handle: SandboxHandle) -> set[str]:
        return {label["name"] for label in handle.gmail().users().labels().list(userId="me").execute()["labels"]}

    with start(tmp_path, clock=pinned_clock(NOW)) as handle:
        handle.gmail().users().labels().create(userId="me", body={"name": "Kept today"}).execute()
    with start(tmp_path, clock=pinned_clock(NOW + timedelta(hours=3)), refresh_stale=True) as handle:
        assert "Kept today" in labels(handle)
    with start(tmp_path, clock=pinned_clock(NOW + timedelta(days=3)), refresh_stale=True) as handle:
        assert "Kept today" not in labels(handle)
        assert handle.gmail().users().messages().list(userId="me", q="newer_than:2d").execute()["messages"]


def test_serve_refuses_a_port_out_of_range_or_a_keep_alive_under_a_second_in_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    port = runner.invoke(app, ["serve", "--port", "99999", "--state", str(tmp_path)])
    assert (port.exit_code, port.stderr) == (
        2,
        "aide sandbox: --port 99999 is not a port: choose one from 0 to 65535 (0 picks a free one).\n",
    )
    idle = runner.invoke(app, ["serve", "--port", "0", "--keep-alive", "0", "--state", str(tmp_path)])
    assert (idle.exit_code, idle.stderr) == (
        2,
        "aide sandbox: --keep-alive 0: give the seconds an idle connection stays open, 1 or more.\n",
    )
    assert list(tmp_path.iterdir()) == []  # refused before anything was opened


def test_serve_on_a_port_in_use_or_an_address_not_this_machines_is_one_line_saying_what_to_do(tmp_path: Path) -> None:
    import socket

    runner = CliRunner()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = runner.invoke(app, ["serve", "--port", str(port), "--state", str(tmp_path)])
    assert (busy.exit_code, busy.stderr) == (
        1,
        f"aide sandbox: cannot listen on 127.0.0.1:{port} (Address already in use). Stop what uses it, or choose "
        "another port with --port (0 picks a free one).\n",
    )
    unknown = None
    try:
        socket.getaddrinfo("999.9.9.9", 0)
    except socket.gaierror as exc:
        unknown = exc.strerror  # the resolver's words differ between C libraries
    assert unknown is not None
    nowhere = runner.invoke(app, ["serve", "--host", "999.9.9.9", "--port", "0", "--state", str(tmp_path)])
    assert (nowhere.exit_code, nowhere.stderr) == (
        1,
        f"aide sandbox: cannot listen on 999.9.9.9:0 ({unknown}). Give an address of this machine with --host, "
        "such as 127.0.0.1.\n",
    )
    assert list(tmp_path.iterdir()) == []  # said before the state was opened and seeded


def test_an_aide_home_that_is_a_file_is_one_line_for_the_commands_and_the_entry_point(
    tmp_path: Path, monkeypatch: Any
) -> None:
    from aide_core.errors import StoreUnavailable

    # AIDE_HOME itself being a file is refused by core as the settings are read (core's test_cli_failures); here
    # the sandbox's own state folder is under a file: given with --state, or under a home the settings point at.
    home = tmp_path / "home"
    home.write_text("not a folder")
    monkeypatch.setenv("AIDE_HOME", str(tmp_path / "aide"))
    said = (
        f"The sandbox's state folder {home / 'sandbox'} cannot be used (Not a directory). Make it writable by this "
        "account, or use another state: --state DIR, or AIDE_HOME."
    )
    runner = CliRunner()
    for command in (["seed"], ["reset"], ["serve", "--port", "0"]):
        result = runner.invoke(app, [*command, "--state", str(home / "sandbox")])
        assert (result.exit_code, result.stderr) == (1, f"aide sandbox: {said}\n"), command
    try:
        entry.start_for_settings(load_settings().model_copy(update={"home": home}))
    except StoreUnavailable as exc:
        assert str(exc) == said  # `aide serve --sandbox` and `aide chat --sandbox` print it in one line
    else:
        raise AssertionError("the entry point started on a file")


def test_a_state_file_that_is_not_a_database_is_one_line_naming_it_and_reset_starts_it_over(tmp_path: Path) -> None:
    database = tmp_path / "sandbox.db"
    database.write_bytes(b"not a database, just garbage " * 300)
    runner = CliRunner()
    said = (
        f"aide sandbox: The sandbox's state {database} is damaged or is not an SQLite database (file is not a "
        f"database). Start it over with `aide sandbox reset --state {tmp_path}`, or delete the file.\n"
    )
    for command in (["seed"], ["serve", "--port", "0"]):
        result = runner.invoke(app, [*command, "--state", str(tmp_path)])
        assert (result.exit_code, result.stderr) == (1, said), command
    reset = runner.invoke(app, ["reset", "--state", str(tmp_path)])
    assert (reset.exit_code, reset.stderr) == (0, f"reset {tmp_path} to the seed data\n")
    sandbox = Sandbox(tmp_path)
    assert not sandbox.db.is_empty()
    sandbox.close()
