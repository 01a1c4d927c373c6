"""The same server over stdio (a real subprocess), streamable HTTP and SSE, with a real mcp.Client."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client

from aide_core.errors import ConfigError
from aide_core.http import bind_socket, build_app, check_bind, serve
from aide_core.settings import AideSettings

pytestmark = pytest.mark.anyio

EXAMPLE = Path(__file__).with_name("example_server.py")


def stdio_env(aide_env: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.startswith("AIDE_") or k in ("PATH", "HOME")}
    return env | extra


async def test_a_server_spawned_over_stdio_lists_and_calls_tools(aide_env: Path) -> None:
    params = StdioServerParameters(command=sys.executable, args=[str(EXAMPLE)], env=stdio_env(aide_env))
    async with Client(params) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        result = await client.call_tool("echo", {"text": "over stdio"})
    assert {"echo", "send", "outbox_size"} <= names
    assert result.structured_content == {"text": "over stdio"}


def test_debug_logging_goes_to_stderr_and_stdout_carries_only_protocol_messages(aide_env: Path) -> None:
    requests = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "echo", "arguments": {"text": "x"}}},
    ]
    with subprocess.Popen(
        [sys.executable, str(EXAMPLE)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=stdio_env(aide_env, AIDE_LOG_LEVEL="DEBUG"),
    ) as proc:
        stderr = exchange(proc, requests)
    assert "DEBUG" in stderr and "echo called with 1 characters" in stderr


def exchange(proc: subprocess.Popen[str], requests: list[dict[str, object]]) -> str:
    """Send `requests`, read answers until every id is answered, close stdin; return stderr."""
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.write("".join(json.dumps(r) + "\n" for r in requests))
    proc.stdin.flush()
    messages: list[dict[str, object]] = []
    wanted = {r["id"] for r in requests if "id" in r}
    while {m.get("id") for m in messages} != wanted:
        line = proc.stdout.readline()
        assert line, "the server closed stdout before answering"
        messages.append(json.loads(line))  # any stray print on stdout would fail to parse here
    proc.stdin.close()
    stderr = proc.stderr.read()
    proc.wait(timeout=30)
    assert proc.stdout.read() == ""
    assert all(m.get("jsonrpc") == "2.0" for m in messages)
    return stderr


@asynccontextmanager
async def running(app_spec, settings: AideSettings, token: str | None) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    """Serve the example server over HTTP on a free loopback port; yields the base URL."""
    servers = {app_spec.name: app_spec.build(settings)}
    sock = bind_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    async with anyio.create_task_group() as group:
        group.start_soon(serve, build_app(servers, settings.http, token), sock)
        try:
            yield f"http://127.0.0.1:{port}/{app_spec.name}"
        finally:
            group.cancel_scope.cancel()


async def test_streamable_http_with_the_token_reaches_the_tools(example_app, settings: AideSettings) -> None:
    async with running(example_app, settings, "s3cret-token") as base:
        http = httpx2.AsyncClient(headers={"Authorization": "Bearer s3cret-token"})
        async with http, Client(streamable_http_client(f"{base}/mcp", http_client=http)) as client:
            result = await client.call_tool("echo", {"text": "over http"})
    assert result.structured_content == {"text": "over http"}


@pytest.mark.parametrize(("token", "identity"), [("s3cret-token", "configured-user"), ("alice-token", "alice")])
async def test_each_token_calls_as_its_own_user_over_both_transports(
    example_app, settings: AideSettings, token: str, identity: str
) -> None:
    settings = settings.model_copy(
        update={"http": settings.http.model_copy(update={"users": {"alice": "alice-token"}})}
    )
    async with running(example_app, settings, "s3cret-token") as base:
        http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"})
        async with http, Client(streamable_http_client(f"{base}/mcp", http_client=http)) as client:
            over_http = await client.call_tool("whoami", {})
        transport = sse_client(f"{base}/sse", headers={"Authorization": f"Bearer {token}"})
        async with Client(transport, mode="legacy") as client:
            over_sse = await client.call_tool("whoami", {})
    assert over_http.structured_content == {"text": identity}
    assert over_sse.structured_content == {"text": identity}


async def test_the_bearer_scheme_is_case_insensitive_but_the_token_is_not(example_app, settings: AideSettings) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    accept = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    async with running(example_app, settings, "s3cret-token") as base, httpx2.AsyncClient() as http:
        lower = await http.post(f"{base}/mcp", json=body, headers=accept | {"Authorization": "bearer s3cret-token"})
        upper = await http.post(f"{base}/mcp", json=body, headers=accept | {"Authorization": "Bearer S3CRET-TOKEN"})
    assert lower.status_code != 401 and upper.status_code == 401


async def test_sse_with_the_token_reaches_the_tools(example_app, settings: AideSettings) -> None:
    async with running(example_app, settings, "s3cret-token") as base:
        transport = sse_client(f"{base}/sse", headers={"Authorization": "Bearer s3cret-token"})
        async with Client(transport, mode="legacy") as client:
            result = await client.call_tool("echo", {"text": "over sse"})
    assert result.structured_content == {"text": "over sse"}


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", "s3cret-token", "Basic czNjcmV0LXRva2Vu"])
async def test_a_missing_or_wrong_token_gets_401_and_never_reaches_a_tool(
    example_app, settings: AideSettings, header: str | None
) -> None:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "send", "arguments": {"to": "a@b.c", "text": "x"}},
    }
    async with running(example_app, settings, "s3cret-token") as base:
        headers = {"Accept": "application/json, text/event-stream"} | ({"Authorization": header} if header else {})
        async with httpx2.AsyncClient() as http:
            posted = await http.post(f"{base}/mcp", json=body, headers=headers)
            sse = await http.get(f"{base}/sse", headers=headers)
    assert posted.status_code == 401 and sse.status_code == 401
    assert posted.headers["www-authenticate"].startswith("Bearer")
    from aide_core.guard_store import GuardStore

    assert GuardStore(settings.home / "guard.sqlite3").audit_entries() == []


def signature(body: bytes, secret: str = "hook-secret") -> str:
    import hashlib
    import hmac

    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def test_a_declared_route_checks_its_own_signature_instead_of_the_bearer_token(
    example_app, settings: AideSettings
) -> None:
    body = b'{"id": "m1"}'
    accept = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    async with running(example_app, settings, "s3cret-token") as base, httpx2.AsyncClient() as http:
        signed = await http.post(f"{base}/hooks/delivery", content=body, headers={"X-Signature": signature(body)})
        forged = await http.post(f"{base}/hooks/delivery", content=body, headers={"X-Signature": signature(b"x")})
        unsigned = await http.post(f"{base}/hooks/delivery", content=body)
        wrong_secret = await http.post(
            f"{base}/hooks/delivery", content=body, headers={"X-Signature": signature(body, "guess")}
        )
        bearer_only = await http.post(
            f"{base}/hooks/delivery", content=body, headers={"Authorization": "Bearer s3cret-token"}
        )
        mcp_without_bearer = await http.post(f"{base}/mcp", json=listing, headers=accept)
        neighbour = await http.post(f"{base}/hooks/other", content=body, headers={"X-Signature": signature(body)})
    assert (signed.status_code, signed.json()) == (200, {"count": 1})
    assert [r.status_code for r in (forged, unsigned, wrong_secret, bearer_only)] == [403, 401, 403, 401]
    assert mcp_without_bearer.status_code == 401 and neighbour.status_code == 401


async def test_a_servers_lifespan_is_entered_once_for_streamable_http_and_sse_connections_alike(
    settings: AideSettings,
) -> None:
    from aide_core.server import Runtime, ServerSpec

    events: list[str] = []

    @asynccontextmanager
    async def pool(runtime: Runtime[Any]) -> AsyncIterator[str]:
        events.append("enter")
        yield f"pool of {runtime.name}"
        events.append("exit")

    spec = ServerSpec[Any]("pooled", lifespan=pool)

    @spec.tool()
    def which_pool() -> str:
        """Name the shared pool."""
        return str(spec.runtime().lifespan_state)

    async with running(spec, settings, "s3cret-token") as base:
        http = httpx2.AsyncClient(headers={"Authorization": "Bearer s3cret-token"})
        async with http, Client(streamable_http_client(f"{base}/mcp", http_client=http)) as client:
            over_http = await client.call_tool("which_pool", {})
        transport = sse_client(f"{base}/sse", headers={"Authorization": "Bearer s3cret-token"})
        async with Client(transport, mode="legacy") as client:
            over_sse = await client.call_tool("which_pool", {})
        assert events == ["enter"]
    assert over_http.structured_content == over_sse.structured_content == {"result": "pool of pooled"}


async def test_a_foreign_origin_is_rejected_even_with_the_token(example_app, settings: AideSettings) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    headers = {
        "Authorization": "Bearer s3cret-token",
        "Accept": "application/json, text/event-stream",
        "Origin": "http://evil.example",
    }
    async with running(example_app, settings, "s3cret-token") as base, httpx2.AsyncClient() as http:
        response = await http.post(f"{base}/mcp", json=body, headers=headers)
        rebound = await http.post(
            f"{base}/mcp", json=body, headers=headers | {"Origin": "http://127.0.0.1", "Host": "evil.example"}
        )
    assert response.status_code == 403
    assert rebound.status_code in (403, 421)


def test_binding_a_public_address_without_auth_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"refusing to serve on 0\.0\.0\.0 without authentication"):
        check_bind("0.0.0.0", auth=False)
    check_bind("127.0.0.1", auth=False)
    check_bind("0.0.0.0", auth=True)


async def test_at_debug_no_transport_logs_message_contents(
    example_app,
    settings: AideSettings,
    caplog: pytest.LogCaptureFixture,
    aide_logging: Callable[[str], None],
) -> None:
    """What a tool is sent and answers (a mail body, a memory, a confirmation token) never reaches a log record, over
    either transport, even at DEBUG, once logging is configured as `aide serve` configures it; the requests themselves
    are still logged."""
    from example_server import ExampleSettings

    aide_logging("DEBUG")
    caplog.set_level(logging.DEBUG)
    settings = settings.model_copy(update={"log_level": "DEBUG"})
    body = "Private-body-4b1d: the results are in"
    servers = {"example": example_app.build(settings, config=ExampleSettings(confirm="token"))}
    sock = bind_socket("127.0.0.1", 0)
    base = f"http://127.0.0.1:{sock.getsockname()[1]}/example"
    results: dict[str, Any] = {}
    async with anyio.create_task_group() as group:
        group.start_soon(serve, build_app(servers, settings.http, "s3cret-token"), sock)
        http = httpx2.AsyncClient(headers={"Authorization": "Bearer s3cret-token"})
        async with http, Client(streamable_http_client(f"{base}/mcp", http_client=http)) as client:
            results["http"] = (await client.call_tool("echo", {"text": body})).structured_content
            preview = await client.call_tool("send", {"to": "ann@example.com", "text": body})
        results["token"] = (preview.structured_content or {})["confirmation_token"]
        transport = sse_client(f"{base}/sse", headers={"Authorization": "Bearer s3cret-token"})
        async with Client(transport, mode="legacy") as client:
            results["sse"] = (await client.call_tool("echo", {"text": body})).structured_content
            arguments = {"to": "ann@example.com", "text": body, "confirmation_token": results["token"]}
            results["sent"] = (await client.call_tool("send", arguments)).structured_content
        group.cancel_scope.cancel()
    token = results["token"]
    assert results["http"] == results["sse"] == {"text": body}
    assert results["sent"]["status"] == "done"
    records = [f"{record.name}: {record.getMessage()}" for record in caplog.records]
    assert any(record.levelno == logging.DEBUG for record in caplog.records)  # DEBUG was really on
    assert [line for line in records if "Private-body-4b1d" in line or token in line] == []


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ('[http]\ntoken = ""\n', "http.token"),
        ('[http]\ntoken = "   "\n', "http.token"),
        ('[http.users]\nann = ""\n', "http.users.ann"),
        ('[http.users]\nann = "  \\t "\n', "http.users.ann"),
    ],
)
def test_an_empty_or_blank_token_is_refused_at_start_naming_the_key(tmp_path: Path, table: str, key: str) -> None:
    from aide_core.settings import load_settings

    config = tmp_path / "config.toml"
    config.write_text(table)
    with pytest.raises(ConfigError) as refused:
        load_settings(config)
    assert str(refused.value) == (
        f"invalid setting '{key}' in {config}: a token must not be empty or blank (any request would get in); "
        "set a long random one"
    )


def test_the_aide_command_refuses_a_blank_user_token_in_one_line(
    aide_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from aide_core.cli import main

    (tmp_path / "config.toml").write_text('[http.users]\nbob = " "\n')
    monkeypatch.setattr("sys.argv", ["aide", "serve", "--transport", "http"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'http.users.bob'" in err and "must not be empty or blank" in err


def test_an_empty_or_shared_token_never_reaches_the_bearer_check(example_app, settings: AideSettings) -> None:
    """build_app checks again whatever the tokens' source: no identity without a real token of its own."""
    servers = {"example": example_app.build(settings)}
    blank = settings.http.model_construct(users={"ann": ""})
    shared = settings.http.model_copy(update={"users": {"ann": "one-token", "bob": "one-token"}})
    with pytest.raises(ConfigError, match=r"invalid setting 'http.users.ann': a token must not be empty"):
        build_app(servers, blank, "s3cret-token")
    with pytest.raises(
        ConfigError, match=r"invalid setting 'http.users.bob': the same token is already given to 'ann'"
    ):
        build_app(servers, shared, "s3cret-token")


async def test_oauth_discovery_is_not_found_so_hosts_use_the_bearer_token_instead_of_an_oauth_flow(
    example_app, settings: AideSettings
) -> None:
    async with running(example_app, settings, "s3cret-token") as base, httpx2.AsyncClient() as http:
        root = base.rsplit("/", 1)[0]
        found = [
            await http.get(f"{root}{path}")
            for path in (
                "/.well-known/oauth-protected-resource",
                f"/.well-known/oauth-protected-resource/{example_app.name}/mcp",
                "/.well-known/oauth-authorization-server",
            )
        ]
        elsewhere = await http.get(f"{root}/nothing-here")
    assert [(r.status_code, r.json()) for r in found] == [(404, {"error": "not_found"})] * 3
    assert elsewhere.status_code == 401  # any other path without the token: nobody learns what exists


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_stdio_server_stops_at_once_on_ctrl_c_or_sigterm_in_one_line(signum: int, code: int) -> None:
    """As a person at a terminal stops it (Ctrl-C) or a host does (SIGTERM), with the host's stdin still open."""
    process = subprocess.Popen(
        [sys.executable, "-m", "aide_core.launch", "activity"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    hello = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }
    process.stdin.write(json.dumps(hello) + "\n")
    process.stdin.flush()
    assert '"id":1' in process.stdout.readline()  # it is serving (and its signal handlers are in place)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=20)
    assert process.returncode == code
    assert stderr.strip().splitlines()[-1] == f"aide-activity: stopped ({signal.Signals(signum).name})"
    assert "Traceback" not in stderr
