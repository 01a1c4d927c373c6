"""The sandbox: its state, the ASGI app that serves every emulator, and `start()` to run it on a loopback port.

Layout: one port, one Starlette app, one prefix per service, each an app of its own:

    /gmail/      Gmail v1 API root (the client appends gmail/v1/..., upload/gmail/v1/..., batch)
    /calendar/   Calendar v3 API root (the client appends calendar/v3/..., batch/calendar/v3)
    /tasks/      Tasks v1 API root (the client appends tasks/v1/..., batch)
    /notion      Notion API (notion-client appends /v1/...), with a public integration's OAuth at /notion/v1/oauth/
    /twilio      Twilio REST API: 2010-04-01 Messages and Lookup v2 (both of the client's domains point here)
    /openai/v1/  OpenAI chat completions and responses, answering from a script
    /anthropic/  Anthropic messages (the SDK appends v1/messages), answering from a script
    /oauth/      Google OAuth (authorize, token, revoke, tokeninfo)
    /admin/      faults, token expiry, reset

Each service has its own prefix, so a client is pointed at a service by its own base URL and services never share
routes.
"""

from __future__ import annotations

import secrets
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.routing import Mount

from aide_sandbox import admin
from aide_sandbox.calendar.routes import CalendarApi
from aide_sandbox.calendar.store import SCHEMA as CALENDAR_SCHEMA
from aide_sandbox.calendar.store import Calendars, Update
from aide_sandbox.db import Database
from aide_sandbox.faults import Faults
from aide_sandbox.gmail.filters import SCHEMA as FILTERS_SCHEMA
from aide_sandbox.gmail.routes import Gmail
from aide_sandbox.gmail.store import SCHEMA as GMAIL_SCHEMA
from aide_sandbox.gmail.store import Mailboxes
from aide_sandbox.google.auth import CLIENT_ID, CLIENT_SECRET, FULL_SCOPES, OAuthApp, TokenStore
from aide_sandbox.google.auth import SCHEMA as AUTH_SCHEMA
from aide_sandbox.google.discovery import load_api
from aide_sandbox.google.service import GoogleService
from aide_sandbox.google.service_accounts import SCHEMA as SERVICE_ACCOUNTS_SCHEMA
from aide_sandbox.llm.routes import AnthropicApp, OpenAIApp
from aide_sandbox.llm.script import Script
from aide_sandbox.notion.journal import Seen
from aide_sandbox.notion.oauth import Grants
from aide_sandbox.notion.routes import NotionApp
from aide_sandbox.notion.store import SCHEMA as NOTION_SCHEMA
from aide_sandbox.notion.store import Workspaces
from aide_sandbox.seed.mail import seed_anchor
from aide_sandbox.seed.twilio import DIRECTORY
from aide_sandbox.server import KEEP_ALIVE, ServerThread, bind
from aide_sandbox.tasks.routes import TasksApi
from aide_sandbox.tasks.store import SCHEMA as TASKS_SCHEMA
from aide_sandbox.tasks.store import Tasks
from aide_sandbox.twilio.routes import TwilioApp
from aide_sandbox.twilio.simulator import Simulator
from aide_sandbox.twilio.store import SCHEMA as TWILIO_SCHEMA
from aide_sandbox.twilio.store import Messaging

if TYPE_CHECKING:
    from google.oauth2.credentials import Credentials
    from googleapiclient.discovery import Resource

DB_NAME = "sandbox.db"
#: Any key works with the LLM fakes; these are what the announcement and fixtures use.
OPENAI_KEY = "sk-sandbox"
ANTHROPIC_KEY = "sk-ant-sandbox"


class Sandbox:
    """The state of every emulator and the ASGI app over it (no server: see `start`)."""

    def __init__(
        self, state: Path | None, *, token_lifetime: float = 3600.0, clock: Callable[[], float] = time.time
    ) -> None:
        self.state = state
        self.clock = clock
        schemas = [
            AUTH_SCHEMA,
            SERVICE_ACCOUNTS_SCHEMA,
            GMAIL_SCHEMA,
            FILTERS_SCHEMA,
            CALENDAR_SCHEMA,
            TASKS_SCHEMA,
            NOTION_SCHEMA,
            TWILIO_SCHEMA,
        ]
        self.db = Database(state / DB_NAME if state else ":memory:", schemas)
        self.faults = Faults()
        self.tokens = TokenStore(self.db, lifetime=token_lifetime, clock=clock)
        self.mailboxes = Mailboxes(self.db, clock)
        gmail = GoogleService(
            load_api("gmail", "v1"), Gmail(self.mailboxes, clock).handlers(), self.tokens, self.faults, "gmail"
        )
        self.calendars = Calendars(self.db, clock)
        calendar = GoogleService(
            load_api("calendar", "v3"), CalendarApi(self.calendars).handlers(), self.tokens, self.faults, "calendar"
        )
        self.tasks = Tasks(self.db, clock)
        tasks = GoogleService(
            load_api("tasks", "v1"), TasksApi(self.tasks).handlers(), self.tokens, self.faults, "tasks"
        )
        self.notion = Workspaces(self.db, clock)
        self.messaging = Messaging(self.db)
        self.sms = Simulator(self.messaging, clock)
        twilio = TwilioApp(self.messaging, self.faults, clock, DIRECTORY)
        self.llm = Script()
        self.app = Starlette(
            routes=[
                Mount("/notion", app=NotionApp(self.notion, self.faults)),
                Mount("/twilio", app=twilio),
                Mount("/openai", app=OpenAIApp(self.llm, self.faults, clock)),
                Mount("/anthropic", app=AnthropicApp(self.llm, self.faults, clock)),
                Mount("/gmail", app=gmail),
                Mount("/calendar", app=calendar),
                Mount("/tasks", app=tasks),
                Mount("/oauth", routes=OAuthApp(self.tokens).routes()),
                Mount("/admin", routes=admin.routes(self)),
            ]
        )

    def seed(self) -> None:
        """Wipe the state and write the seed data, then remember it so `reset` is a cheap copy."""
        from aide_sandbox.seed import seed_all

        self.db.wipe()
        seed_all(self)
        self.db.snapshot()

    def reset(self) -> None:
        """Back to the seed data (and no faults): a copy of the snapshot taken when this process seeded, else a
        full reseed."""
        self.faults.clear()
        self.llm.clear()
        self.notion.journal.clear()
        if not self.db.restore():
            self.seed()

    def ensure_seeded(self, *, refresh_stale: bool = False) -> None:
        """Seed an empty state; a state with data is kept as it is (its first `reset` reseeds it in full), unless
        `refresh_stale` and it was seeded for an earlier day: then it is seeded anew, so that the seed mail is
        recent again (what `aide serve --sandbox` wants: a demo whose `newer_than:7d` finds mail any day)."""
        if self.db.is_empty() or (refresh_stale and self.seed_anchor() != seed_anchor(self.clock()).isoformat()):
            self.seed()

    def seed_anchor(self) -> str | None:
        """The instant the seed mail was dated from (ISO), as recorded when it was written."""
        with self.db.transaction() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'seed_anchor'").fetchone()
        return None if row is None else str(row[0])

    def close(self) -> None:
        self.db.close()


@dataclass
class SandboxHandle:
    """A running sandbox: its URLs and credentials, the knobs tests turn, and `stop()`."""

    sandbox: Sandbox
    server: ServerThread
    host: str
    port: int
    _temp: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)
    _clients: list[Resource] = field(default_factory=list["Resource"], repr=False)
    _closers: list[Callable[[], object]] = field(default_factory=list[Callable[[], object]], repr=False)

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def urls(self) -> dict[str, str]:
        """Per service, exactly what its official client is pointed at (Google ones are API roots)."""
        return {
            "gmail": f"{self.base_url}/gmail/",
            "calendar": f"{self.base_url}/calendar/",
            "tasks": f"{self.base_url}/tasks/",
            "notion": f"{self.base_url}/notion",
            "twilio": f"{self.base_url}/twilio",
            "openai": f"{self.base_url}/openai/v1",
            "anthropic": f"{self.base_url}/anthropic",
            "oauth": f"{self.base_url}/oauth/",
        }

    @property
    def admin_url(self) -> str:
        return f"{self.base_url}/admin/"

    @property
    def faults(self) -> Faults:
        return self.sandbox.faults

    def accounts(self) -> list[str]:
        from aide_sandbox.seed.accounts import ACCOUNTS

        return [a.email for a in ACCOUNTS if self.sandbox.mailboxes.exists(a.email)]

    def oauth_client(self) -> dict[str, str]:
        oauth = self.urls["oauth"]
        return {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "auth_uri": oauth + "authorize",
            "token_uri": oauth + "token",
            "revoke_uri": oauth + "revoke",
        }

    def authorized_user(self, account: str | None = None, scopes: tuple[str, ...] | None = None) -> dict[str, Any]:
        """Google's authorized-user info of a seeded account (what `Credentials.from_authorized_user_info` reads):
        its seeded grant, or with `scopes` a new grant of exactly those, as if the user had consented to them (the
        seeded tokens carry `FULL_SCOPES`, which lack e.g. `gmail.settings.basic`, needed to change filters)."""
        from aide_sandbox.seed.accounts import account as find

        seeded = find(account)
        token, refresh_token = seeded.access_token, seeded.refresh_token
        if scopes is not None:
            token, refresh_token = "ya29." + secrets.token_urlsafe(24), "1//" + secrets.token_urlsafe(24)
            self.sandbox.tokens.seed_grant(seeded.email, token, refresh_token, tuple(scopes))
        return {
            "token": token,
            "refresh_token": refresh_token,
            "token_uri": self.urls["oauth"] + "token",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "scopes": list(FULL_SCOPES if scopes is None else scopes),
            "account": seeded.email,
        }

    def service_account_info(self) -> dict[str, str]:
        """The JSON key of the seeded service account with domain-wide delegation (what
        `service_account.Credentials.from_service_account_info` reads; `token_uri` is the sandbox's)."""
        account = self.sandbox.tokens.service_account()
        if account is None:
            raise LookupError("the sandbox is not seeded: it has no service account")
        return account.json_key(self.urls["oauth"] + "token")

    def delegate(self, scopes: tuple[str, ...]) -> None:
        """Change what the Workspace admin authorized the seeded service account's client id for, by domain-wide
        delegation (scope prefixes; seeding authorizes the Gmail, Calendar and Tasks families). `()` withdraws it: its
        assertions are then refused with `unauthorized_client`, as Google refuses them."""
        account = self.sandbox.tokens.service_account()
        if account is None:
            raise LookupError("the sandbox is not seeded: it has no service account")
        self.sandbox.tokens.delegate(account.client_id, scopes)

    @property
    def credentials(self) -> dict[str, Any]:
        """Per service, what a client needs to call it: for Google, each seeded account's authorized-user info."""
        return {
            "oauth": self.oauth_client(),
            "service_account": self.service_account_info(),
            "gmail": {email: self.authorized_user(email) for email in self.accounts()},
            "calendar": {email: self.authorized_user(email) for email in self.accounts()},
            "tasks": {email: self.authorized_user(email) for email in self.accounts()},
            "notion": {i.workspace_name: {"token": i.token} for i in self.sandbox.notion.integrations()},
            "twilio": self.twilio_credentials(),
            "openai": {"api_key": OPENAI_KEY},
            "anthropic": {"api_key": ANTHROPIC_KEY},
        }

    def announcement(self) -> dict[str, Any]:
        """The JSON line `aide sandbox serve` prints."""
        return self.urls | {"admin": self.admin_url, "credentials": self.credentials}

    def google_credentials(self, account: str | None = None) -> Credentials:
        from google.oauth2.credentials import Credentials

        info = self.authorized_user(account)
        return Credentials(
            token=info["token"],
            refresh_token=info["refresh_token"],
            token_uri=info["token_uri"],
            client_id=info["client_id"],
            client_secret=info["client_secret"],
            scopes=info["scopes"],
        )

    def gmail(self, account: str | None = None, credentials: Credentials | None = None) -> Any:
        """A google-api-python-client Gmail service for `account` (default: the first seeded one); typed `Any`
        because a `Resource`'s methods are made at run time from the discovery document."""
        from aide_sandbox.google.client import build_service

        service = build_service("gmail", "v1", self.urls["gmail"], credentials or self.google_credentials(account))
        self._clients.append(service)
        return service

    def calendar(self, account: str | None = None, credentials: Credentials | None = None) -> Any:
        """A google-api-python-client Calendar v3 service for `account` (default: the first seeded one)."""
        from aide_sandbox.google.client import build_service

        service = build_service(
            "calendar", "v3", self.urls["calendar"], credentials or self.google_credentials(account)
        )
        self._clients.append(service)
        return service

    def tasks(self, account: str | None = None, credentials: Credentials | None = None) -> Any:
        """A google-api-python-client Tasks v1 service for `account` (default: the first seeded one)."""
        from aide_sandbox.google.client import build_service

        service = build_service("tasks", "v1", self.urls["tasks"], credentials or self.google_credentials(account))
        self._clients.append(service)
        return service

    def calendar_updates(self) -> list[Update]:
        """The notifications Calendar would have sent (`sendUpdates`), oldest first, since the last reset."""
        return self.sandbox.calendars.updates()

    def notion_token(self, workspace: int = 0) -> str:
        """The integration token of seeded workspace `workspace` (0: "Rivera Home", 1: "Northwind")."""
        from aide_sandbox.seed.notion import NOTION_TOKENS

        return NOTION_TOKENS[workspace]

    def notion(self, workspace: int = 0, **options: Any) -> Any:
        """A `notion_client.Client` for seeded workspace `workspace`; `options` go to the client (e.g. `retry`)."""
        import notion_client

        client = notion_client.Client(auth=self.notion_token(workspace), base_url=self.urls["notion"], **options)
        self._closers.append(client.close)
        return client

    def notion_oauth_client(
        self,
        redirect_uris: Sequence[str],
        client_id: str = "aide-notion-sandbox",
        client_secret: str = "aide-notion-sandbox-secret",
        name: str = "aide",
    ) -> dict[str, str]:
        """Register a Notion public integration (an OAuth client) with the redirect URIs of its settings; returns
        its id and secret and the authorization and token URLs (`notion.oauth`)."""
        self._notion_grants().register_client(client_id, client_secret, tuple(redirect_uris), name)
        root = self.urls["notion"]
        return {
            "client_id": client_id,
            "client_secret": client_secret,
            "authorize_url": f"{root}/v1/oauth/authorize",
            "token_url": f"{root}/v1/oauth/token",
        }

    def notion_authorization_code(self, client_id: str, redirect_uri: str | None = None, workspace: int = 0) -> str:
        """A code as if the user of seeded workspace `workspace` approved the client in the browser (`redirect_uri`:
        the one the authorization URL carried, None when it carried none)."""
        grants = self._notion_grants()
        return grants.authorize(client_id, redirect_uri, self.sandbox.notion.integrations()[workspace].workspace)

    def notion_grant(self, client_id: str, workspace: int = 0) -> dict[str, Any]:
        """A finished sign-in of the client to seeded workspace `workspace`: the token endpoint's answer (access
        and refresh token, bot, workspace), issued without HTTP (the journal does not show it)."""
        grants = self._notion_grants()
        client = grants.client(client_id)
        if client is None:
            raise LookupError(f"no Notion OAuth client {client_id!r}: register it with notion_oauth_client")
        uri = client.redirect_uris[0] if client.redirect_uris else None
        return grants.exchange(client, self.notion_authorization_code(client_id, uri, workspace), uri)

    def expire_notion_tokens(self, token: str | None = None) -> int:
        """Notion OAuth access tokens (`token`, or every one) expire now: the API answers them 401 `unauthorized`;
        refresh tokens keep working. Returns how many were live."""
        return self._notion_grants().expire(token)

    def notion_requests(self) -> list[Seen]:
        """What the Notion emulator answered since the last reset, oldest first (`notion.journal`)."""
        return self.sandbox.notion.journal.requests()

    def hold_notion_token_requests(self, until: Callable[[list[Seen]], bool]) -> None:
        """Answer Notion's `POST /v1/oauth/token` only once `until(notion_requests())` is true (until reset)."""
        self.sandbox.notion.journal.hold_token_requests(until)

    def _notion_grants(self) -> Grants:
        return Grants(self.sandbox.notion)

    def twilio_credentials(self) -> dict[str, Any]:
        """The seeded account: `account_sid`, `auth_token`, its numbers and messaging service."""
        from aide_sandbox.seed import twilio as seeded

        return {
            "account_sid": seeded.ACCOUNT_SID,
            "auth_token": seeded.AUTH_TOKEN,
            "from_number": seeded.MAIN,
            "numbers": [seeded.MAIN, seeded.SECOND],
            "messaging_service_sid": seeded.SERVICE,
        }

    def twilio(self) -> Any:
        """A `twilio.rest.Client` of the seeded account with its Messages (api) and Lookup domains pointed here.

        Leave TWILIO_EDGE and TWILIO_REGION unset: the client would rewrite the host (wire-formats 3.1)."""
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        credentials = self.twilio_credentials()
        http = TwilioHttpClient()
        client = Client(credentials["account_sid"], credentials["auth_token"], http_client=http)
        client.api.base_url = self.urls["twilio"]
        client.lookups.base_url = self.urls["twilio"]
        self._closers.append(lambda: http.session.close() if http.session else None)
        return client

    @property
    def llm(self) -> Script:
        """The script the OpenAI and Anthropic fakes answer from, and the requests they received."""
        return self.sandbox.llm

    def openai(self, **options: Any) -> Any:
        """An `openai.OpenAI` client of the fake (`options` go to the client; retries off unless given)."""
        import openai

        settings: dict[str, Any] = {"max_retries": 0} | options
        client = openai.OpenAI(base_url=self.urls["openai"], api_key=OPENAI_KEY, **settings)
        self._closers.append(client.close)
        return client

    def anthropic(self, **options: Any) -> Any:
        """An `anthropic.Anthropic` client of the fake (`options` go to the client; retries off unless given)."""
        import anthropic

        settings: dict[str, Any] = {"max_retries": 0} | options
        client = anthropic.Anthropic(base_url=self.urls["anthropic"], api_key=ANTHROPIC_KEY, **settings)
        self._closers.append(client.close)
        return client

    @property
    def sms(self) -> Simulator:
        """The SMS network simulator: `advance()` delivery, `inbound()` texts, webhooks and fates."""
        return self.sandbox.sms

    def close_clients(self) -> None:
        """Close the connections of every client this handle built (tests call it after each test)."""
        while self._clients:
            self._clients.pop().close()
        while self._closers:
            self._closers.pop()()

    def close_idle_connections(self) -> int:
        """Close every idle keep-alive connection now, as the server would after its keep-alive timeout, and return
        how many were closed: a test's way to let a human-length pause pass without waiting for it."""
        return self.server.close_idle()

    def expire_tokens(self, account: str | None = None) -> int:
        """Every access token of `account` (default: all) expires now; refresh tokens keep working."""
        return self.sandbox.tokens.expire(account)

    def revoke(self, token: str) -> bool:
        """Revoke a token's whole grant through the revocation endpoint, as an app would (True: it was known)."""
        import urllib.error
        import urllib.parse
        import urllib.request

        data = urllib.parse.urlencode({"token": token}).encode()
        try:
            with urllib.request.urlopen(self.urls["oauth"] + "revoke", data=data, timeout=10):
                return True
        except urllib.error.HTTPError as error:
            error.close()
            return False

    def reset(self) -> None:
        """Back to the seed data, with no faults and an empty LLM script."""
        self.sandbox.reset()

    def stop(self) -> None:
        self.close_clients()
        self.server.stop()
        self.sandbox.close()
        if self._temp is not None:
            self._temp.cleanup()

    def __enter__(self) -> SandboxHandle:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def start(
    state: Path | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    seed: bool = True,
    refresh_stale: bool = False,
    token_lifetime: float = 3600.0,
    clock: Callable[[], float] = time.time,
    log_level: str = "warning",
    keep_alive: int = KEEP_ALIVE,
) -> SandboxHandle:
    """Start every emulator on `host`:`port` (0: a free port) in this process, on a background thread.

    `state` is the directory of the SQLite file (None: a temporary one, removed at `stop`); an existing state is
    kept, an empty one is seeded unless `seed=False`; with `refresh_stale`, one seeded for an earlier day is
    seeded anew (see `Sandbox.ensure_seeded`). `keep_alive` is how many seconds the server keeps an idle
    connection open. Returns at once: the socket already listens.

    A socket that cannot be had (a port in use, an address not this machine's) is an `AideError`, a state that
    cannot be used a `StoreUnavailable` (`db.DamagedState` when the file is not a database): each is one line."""
    temp = None
    if state is None:
        temp = tempfile.TemporaryDirectory(prefix="aide-sandbox-")
        state = Path(temp.name)
    sock = bind(host, port)  # first: a port in use is said at once, before the state is opened and seeded
    try:
        sandbox = Sandbox(state, token_lifetime=token_lifetime, clock=clock)
        if seed:
            sandbox.ensure_seeded(refresh_stale=refresh_stale)
    except BaseException:
        sock.close()
        raise
    server = ServerThread(sandbox.app, sock, log_level=log_level, keep_alive=keep_alive)
    server.start()
    return SandboxHandle(sandbox, server, host, server.port, temp)
