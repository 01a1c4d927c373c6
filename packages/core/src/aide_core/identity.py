"""Who is calling: the identity a server scopes its data by (memories, for one, are per user).

Over HTTP it is the identity of the bearer token (or of an OAuth token, when the SDK's auth runs): both arrive
through the SDK's auth context. Over stdio there is no caller identity: the server's configured `user` applies,
since whoever can spawn the process owns its data anyway.
"""

from __future__ import annotations

from mcp.server.auth.middleware.auth_context import get_access_token

DEFAULT_IDENTITY = "default"


def current_user(configured: str = DEFAULT_IDENTITY) -> str:
    """The authenticated identity of this request, else `configured`. The main HTTP token maps to
    `DEFAULT_IDENTITY`, which also yields to `configured`, so one user reaches the same data over stdio and HTTP."""
    token = get_access_token()
    if token is None or token.client_id == DEFAULT_IDENTITY:
        return configured
    return token.client_id
