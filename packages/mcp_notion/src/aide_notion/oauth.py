"""Signing a workspace in through a public integration's OAuth (`aide auth notion --oauth`).

The flow Notion documents for public connections: send the user's browser to `<api>/v1/oauth/authorize` with the
integration's client id, `response_type=code`, `owner=user`, a redirect URI and a random `state`; Notion sends the
browser back to the redirect URI with `code` and `state`; the code is exchanged at `POST /v1/oauth/token` (HTTP Basic
with the client id and secret, through notion-client's `oauth.token`) for an access token, a refresh token and the
workspace's name. The redirect URI is a loopback address this command listens on for one request; it must be one of
the integration's registered redirect URIs, so its port is fixed by `--port`.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

DEFAULT_API = "https://api.notion.com"
_PAGE = b"<!doctype html><title>aide</title><p>Notion is signed in to aide; you can close this tab.</p>"
_REFUSED = b"<!doctype html><title>aide</title><p>aide did not get Notion's answer; nothing was stored.</p>"


@dataclass(frozen=True)
class Grant:
    """What the token exchange answered (the secrets stay in `data`, never in a repr)."""

    workspace: str | None
    data: dict[str, Any]

    def __repr__(self) -> str:
        return f"Grant(workspace={self.workspace!r})"


class SignInFailed(Exception):
    """The browser came back without a code, with another state, or not at all."""


def authorize_url(api: str, client_id: str, redirect_uri: str, state: str) -> str:
    query = {
        "client_id": client_id,
        "response_type": "code",
        "owner": "user",
        "redirect_uri": redirect_uri,
        "state": state,
    }
    return f"{api.rstrip('/')}/v1/oauth/authorize?{urlencode(query)}"


def wait_for_code(server: HTTPServer, state: str, timeout: float) -> str:
    """Serve the one redirect on `server` and return its code (`SignInFailed` for anything else)."""
    found: dict[str, str] = {}

    class Redirect(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            code, given = query.get("code", [""])[0], query.get("state", [""])[0]
            ok = bool(code) and secrets.compare_digest(given, state)
            if ok:
                found["code"] = code
            else:
                found["error"] = query.get("error", ["no code"])[0] if given == state else "state mismatch"
            self.send_response(200 if ok else 400)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(_PAGE if ok else _REFUSED)

        def log_message(self, format: str, *args: Any) -> None:  # no request lines on the terminal
            return

    server.RequestHandlerClass = Redirect
    server.timeout = timeout
    server.handle_request()
    if "code" not in found:
        raise SignInFailed(found.get("error", "no answer from the browser in time"))
    return found["code"]


def sign_in(
    client_id: str,
    client_secret: str,
    *,
    port: int,
    show: Callable[[str], None],
    api: str | None = None,
    timeout: float = 300.0,
) -> Grant:
    """Run the flow: listen on 127.0.0.1:`port`, `show(url)` the authorization URL (open a browser, or print it),
    exchange the code. `api` is Notion's API root (the settings' `base_url`, else api.notion.com)."""
    from notion_client import Client

    from aide_notion.client import quiet_options

    root = (api or DEFAULT_API).rstrip("/")
    server = HTTPServer(("127.0.0.1", port), BaseHTTPRequestHandler)
    try:
        redirect_uri = f"http://localhost:{server.server_address[1]}/callback"
        state = secrets.token_urlsafe(24)
        opener = threading.Thread(target=show, args=(authorize_url(root, client_id, redirect_uri, state),), daemon=True)
        opener.start()
        try:
            code = wait_for_code(server, state, timeout)
        finally:
            opener.join(5)  # opening a browser returns at once; the command ends only after it
    finally:
        server.server_close()
    client = Client(base_url=root, **quiet_options())
    try:
        answer: dict[str, Any] = client.oauth.token(  # pyright: ignore[reportAssignmentType]
            client_id, client_secret, grant_type="authorization_code", code=code, redirect_uri=redirect_uri
        )
    finally:
        client.close()
    data = {"type": "oauth", "client_id": client_id, "client_secret": client_secret} | _granted(answer)
    workspace = data.get("workspace")
    return Grant(workspace if isinstance(workspace, str) else None, data)


def _granted(answer: dict[str, Any]) -> dict[str, Any]:
    """The account keys a token answer gives (`token`, `refresh_token`, `workspace`, ...)."""
    token = answer.get("access_token")
    if not isinstance(token, str) or not token:
        raise SignInFailed("Notion's answer carried no access token")
    data: dict[str, Any] = {"token": token}
    for key in ("refresh_token", "workspace_name", "workspace_id", "bot_id"):
        if isinstance(answer.get(key), str):
            data["workspace" if key == "workspace_name" else key] = answer[key]
    return data


def refresh(data: dict[str, Any], api: str | None = None) -> dict[str, Any] | None:
    """New token keys for an OAuth account's `data` (`grant_type=refresh_token`), or None when it cannot be
    refreshed (not OAuth, or no refresh token or client secret stored)."""
    from notion_client import Client

    from aide_notion.client import quiet_options

    needed = [data.get(key) for key in ("client_id", "client_secret", "refresh_token")]
    if data.get("type") != "oauth" or not all(isinstance(value, str) and value for value in needed):
        return None
    client_id, client_secret, refresh_token = (str(value) for value in needed)
    client = Client(base_url=(api or DEFAULT_API).rstrip("/"), **quiet_options())
    try:
        answer: dict[str, Any] = client.oauth.token(  # pyright: ignore[reportAssignmentType]
            client_id, client_secret, grant_type="refresh_token", refresh_token=refresh_token
        )
    finally:
        client.close()
    return _granted(answer)
