"""Notion's OAuth for public integrations (connections), as Notion documents it:

- developers.notion.com/reference/create-a-token (POST /v1/oauth/token, `grant_type=authorization_code`),
- developers.notion.com/reference/refresh-a-token (the same endpoint, `grant_type=refresh_token`: "generating a new
  access token and new refresh token"),
- developers.notion.com/reference/status-codes (400 `invalid_grant`: the code or refresh token "is invalid, expired,
  revoked, does not match the redirection URI used in the authorization request, or was issued to another client"),
- developers.notion.com/guides/get-started/authorization (the authorization URL and its redirect).

What the emulator does:

- `GET /v1/oauth/authorize?client_id&response_type=code&owner=user&redirect_uri?&state?` approves at once (there is
  nobody to ask) for the first seeded workspace and redirects to the redirect URI with `code` and `state`. An unknown
  client, a redirect URI the client did not register (or none when it registered several), or another
  `response_type`/`owner` is a 400 error object and no redirect.
- `POST /v1/oauth/token` authenticates the client with HTTP Basic (`client_id:client_secret`) and reads a JSON body.
  `authorization_code` takes `code` (once) and `redirect_uri`, which is required when the authorization URL carried
  one or the client registered several, must then equal it, and is refused when neither holds. `refresh_token`
  takes `refresh_token`; the refresh token rotates: the answer carries a new one and the old one stops working
  (the access tokens already issued keep working). Both answer `access_token`, `token_type` "bearer",
  `refresh_token`, `bot_id`, `workspace_id`, `workspace_name`, `workspace_icon`, `owner` (the approving user),
  `duplicated_template_id` (null: no template) and `request_id`.
- Errors are Notion's error object: 400 `invalid_grant` (unknown, used or rotated-out code or refresh token, a
  redirect URI other than the authorized one, another client's grant), 400 `validation_error` (a body that does not
  match: no code, no refresh token, another grant type), 400 `invalid_json`, and 401 `invalid_client` when the
  Basic credentials are missing or wrong (Notion's pages name the code; the status is the one RFC 6749 §5.2 requires
  of a client that authenticated through the Authorization header).

An access token acts, on the API, as the client's bot in the granted workspace (one bot per client and workspace,
added to the workspace's users on its first grant). Notion documents no lifetime, so tokens do not expire by time
here: `Grants.expire` ends access tokens now, after which the API answers 401 `unauthorized` as for any invalid
token, so a test can drive a client's refresh.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from aide_sandbox.notion.errors import NotionError, validation
from aide_sandbox.notion.objects import new_id
from aide_sandbox.notion.store import Workspaces

JsonObject = dict[str, Any]
GRANT_TYPES = ("authorization_code", "refresh_token")


@dataclass(frozen=True)
class OAuthClient:
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    name: str


def invalid_grant(message: str) -> NotionError:
    return NotionError(400, message, "invalid_grant")


def invalid_client() -> NotionError:
    return NotionError(401, "Invalid client: the client id or secret is wrong.", "invalid_client")


def workspace_id(workspace: str) -> str:
    """The workspace's UUID (the emulator keys workspaces by a slug; Notion answers UUIDs)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"notion-workspace:{workspace}"))


class Grants:
    """OAuth clients, authorization codes and tokens over the Notion store."""

    def __init__(self, store: Workspaces) -> None:
        self.store = store

    # -- clients and codes ----------------------------------------------------------------------------------------
    def register_client(
        self, client_id: str, client_secret: str, redirect_uris: tuple[str, ...], name: str = "aide"
    ) -> OAuthClient:
        """A public integration (its id, secret and the redirect URIs of its "OAuth Domain & URIs" settings)."""
        with self.store.db.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO notion_oauth_clients VALUES (?, ?, ?, ?)",
                (client_id, client_secret, json.dumps(list(redirect_uris)), name),
            )
        return OAuthClient(client_id, client_secret, tuple(redirect_uris), name)

    def client(self, client_id: str) -> OAuthClient | None:
        with self.store.db.transaction() as conn:
            row = conn.execute("SELECT * FROM notion_oauth_clients WHERE client_id = ?", (client_id,)).fetchone()
        if row is None:
            return None
        return OAuthClient(row[0], row[1], tuple(json.loads(row[2])), row[3])

    def authenticate(self, header: str) -> OAuthClient:
        """The client of an `Authorization: Basic ...` header (`invalid_client` otherwise)."""
        scheme, _, encoded = header.partition(" ")
        try:
            pair = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise invalid_client() from None
        client_id, colon, secret = pair.partition(":")
        client = self.client(client_id) if scheme.lower() == "basic" and colon else None
        if client is None or not secrets.compare_digest(client.client_secret, secret):
            raise invalid_client()
        return client

    def authorize(self, client_id: str, redirect_uri: str | None, workspace: str | None = None) -> str:
        """A code for `workspace` (default: the first seeded one), as if its user approved the client."""
        client = self.client(client_id)
        if client is None:
            raise validation(f"Invalid client_id: {client_id}.")
        if redirect_uri is None and len(client.redirect_uris) != 1:
            raise validation("redirect_uri is required: the integration has several redirect URIs.")
        if redirect_uri is not None and redirect_uri not in client.redirect_uris:
            raise validation(f"Invalid redirect_uri: {redirect_uri} is not one of the integration's redirect URIs.")
        spaces = self.store.integrations()
        chosen = workspace or (spaces[0].workspace if spaces else None)
        if chosen is None or chosen not in {s.workspace for s in spaces}:
            raise validation(f"Unknown workspace: {chosen}.")
        code = str(uuid.uuid4())
        with self.store.db.transaction() as conn:
            conn.execute(
                "INSERT INTO notion_oauth_codes (code, client_id, workspace, redirect_uri) VALUES (?, ?, ?, ?)",
                (code, client_id, chosen, redirect_uri),
            )
        return code

    # -- grants ---------------------------------------------------------------------------------------------------
    def exchange(self, client: OAuthClient, code: str, redirect_uri: str | None) -> JsonObject:
        with self.store.db.transaction() as conn:
            row = conn.execute(
                "SELECT workspace, redirect_uri, used FROM notion_oauth_codes WHERE code = ? AND client_id = ?",
                (code, client.client_id),
            ).fetchone()
            if row is None:
                raise invalid_grant("Invalid code: this code does not exist.")
            if row["used"]:
                raise invalid_grant("Invalid code: this code has been revoked.")
            _check_redirect(client, row["redirect_uri"], redirect_uri)
            conn.execute("UPDATE notion_oauth_codes SET used = 1 WHERE code = ?", (code,))
        return self._issue(client, row["workspace"])

    def refresh(self, client: OAuthClient, refresh_token: str) -> JsonObject:
        with self.store.db.transaction() as conn:
            row = conn.execute(
                "SELECT workspace FROM notion_oauth_tokens WHERE token = ? AND kind = 'refresh' AND live = 1 "
                "AND client_id = ?",
                (refresh_token, client.client_id),
            ).fetchone()
            if row is None:
                raise invalid_grant("Invalid refresh token: it does not exist, was revoked or was already used.")
            conn.execute("UPDATE notion_oauth_tokens SET live = 0 WHERE token = ?", (refresh_token,))
        return self._issue(client, row["workspace"])

    def expire(self, token: str | None = None) -> int:
        """End access tokens now (`token`, or every one); returns how many were live."""
        with self.store.db.transaction() as conn:
            cursor = conn.execute(
                "UPDATE notion_oauth_tokens SET live = 0 WHERE kind = 'access' AND live = 1 "
                "AND token = COALESCE(?, token)",
                (token,),
            )
        return cursor.rowcount

    def _issue(self, client: OAuthClient, workspace: str) -> JsonObject:
        owner = next((u for u in self.store.users(workspace) if u.get("type") == "person"), None)
        name = next(s.workspace_name for s in self.store.integrations() if s.workspace == workspace)
        bot_id = self._bot(client, workspace, name, owner)
        access, refresh = "ntn_" + secrets.token_hex(23), secrets.token_urlsafe(32)
        with self.store.db.transaction() as conn:
            for token, kind in ((access, "access"), (refresh, "refresh")):
                conn.execute(
                    "INSERT INTO notion_oauth_tokens (token, kind, client_id, workspace, bot_id) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (token, kind, client.client_id, workspace, bot_id),
                )
        return {
            "access_token": access,
            "token_type": "bearer",
            "refresh_token": refresh,
            "bot_id": bot_id,
            "workspace_id": workspace_id(workspace),
            "workspace_name": name,
            "workspace_icon": None,
            "owner": {"type": "user", "user": owner} if owner else {"type": "workspace", "workspace": True},
            "duplicated_template_id": None,
            "request_id": str(uuid.uuid4()),
        }

    def _bot(self, client: OAuthClient, workspace: str, name: str, owner: JsonObject | None) -> str:
        """The client's bot in `workspace`, made (and added to its users) on the first grant."""
        with self.store.db.transaction() as conn:
            row = conn.execute(
                "SELECT bot_id FROM notion_oauth_bots WHERE client_id = ? AND workspace = ?",
                (client.client_id, workspace),
            ).fetchone()
            if row is not None:
                return str(row[0])
            bot_id = new_id()
            conn.execute("INSERT INTO notion_oauth_bots VALUES (?, ?, ?)", (client.client_id, workspace, bot_id))
        by = {"type": "user", "user": owner} if owner else {"type": "workspace", "workspace": True}
        bot = {"owner": by, "workspace_name": name}
        self.store.add_user(
            workspace,
            {"object": "user", "id": bot_id, "type": "bot", "name": client.name, "avatar_url": None, "bot": bot},
        )
        return bot_id


def _check_redirect(client: OAuthClient, authorized: str | None, given: str | None) -> None:
    """The create-a-token page's rule: `redirect_uri` is required when the authorization URL carried one or the
    client registered several, and not allowed otherwise; given, it must be the authorized (or a registered) one."""
    required = authorized is not None or len(client.redirect_uris) > 1
    if given is None:
        if required:
            raise validation("body failed validation: body.redirect_uri should be defined, instead was `undefined`.")
        return
    if not required:
        raise validation("body failed validation: body.redirect_uri should not be present.")
    if given != (authorized or given) or given not in client.redirect_uris:
        raise invalid_grant("Invalid redirect_uri: it does not match the one of the authorization request.")


class OAuthRoutes:
    """The two OAuth endpoints, answered by `NotionApp` before it looks for a bearer token."""

    def __init__(self, grants: Grants) -> None:
        self.grants = grants

    def authorize(self, request: Request) -> Response:
        query = request.query_params
        if query.get("response_type") != "code" or query.get("owner", "user") != "user":
            raise validation("response_type should be `code` and owner should be `user`.")
        code = self.grants.authorize(query.get("client_id", ""), query.get("redirect_uri"))
        client = self.grants.client(query.get("client_id", ""))
        target = query.get("redirect_uri") or (client.redirect_uris[0] if client else "")
        back = {"code": code} | ({"state": query["state"]} if "state" in query else {})
        separator = "&" if "?" in target else "?"
        return RedirectResponse(f"{target}{separator}{urlencode(back)}", status_code=302)

    def token(self, request: Request, raw: bytes) -> JSONResponse:
        client = self.grants.authenticate(request.headers.get("authorization", ""))
        try:
            body: object = json.loads(raw) if raw.strip() else {}
        except ValueError:
            raise NotionError(400, "Error parsing JSON body.", "invalid_json") from None
        if not isinstance(body, dict):
            raise validation("body failed validation: body should be an object.")
        fields: JsonObject = dict(body)  # pyright: ignore[reportUnknownArgumentType]
        grant = fields.get("grant_type")
        if grant not in GRANT_TYPES:
            raise validation(
                'body failed validation: body.grant_type should be `"authorization_code"` or `"refresh_token"`, '
                f"instead was `{json.dumps(grant)}`."
            )
        wanted = "code" if grant == "authorization_code" else "refresh_token"
        value = fields.get(wanted)
        if not isinstance(value, str) or not value:
            raise validation(f"body failed validation: body.{wanted} should be a string, instead was `undefined`.")
        if grant == "authorization_code":
            redirect = fields.get("redirect_uri")
            return JSONResponse(self.grants.exchange(client, value, redirect if isinstance(redirect, str) else None))
        return JSONResponse(self.grants.refresh(client, value))
