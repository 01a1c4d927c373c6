"""Who is calling: the subject a server scopes its data by (memories, idempotency keys, confirmation tokens and the
audit log are all per subject).

The person is the access token's `subject` (RFC 7662/9068 `sub`), never its `client_id`: under OAuth the client id
names the client application, which many people share. Over HTTP the token comes from a `TokenVerifier` through the
SDK's auth context: today `BearerTokens` (aide's own bearer tokens), later an OAuth 2.1 authorization server's
verifier, which reads or introspects the token and puts its `sub` in `AccessToken.subject`; nothing downstream
changes. Over stdio there is no caller: the server's configured user applies, since whoever can spawn the process owns
its data anyway. A program that runs servers in its own process (`aide chat --user NAME`, an application built on
`aide_agent`) says whom it acts for with `acting_as(NAME)`, which servers started inside it then follow.
"""

from __future__ import annotations

import contextlib
import contextvars
import hmac
from collections.abc import Generator, Mapping

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken, TokenVerifier

from aide_core.errors import PermissionDenied

DEFAULT_IDENTITY = "default"

#: The `client_id` of every aide bearer token: they are all issued to one client, the user's own configuration.
BEARER_CLIENT_ID = "aide"


_acting: contextvars.ContextVar[str | None] = contextvars.ContextVar("aide_acting_as", default=None)


@contextlib.contextmanager
def acting_as(user: str) -> Generator[None]:
    """Calls made without an access token in this context (in-process servers, and the tasks and threads started
    from it) act for `user`."""
    if not user.strip():
        raise ValueError("acting_as needs a user name")
    reset = _acting.set(user)
    try:
        yield
    finally:
        _acting.reset(reset)


def current_user(configured: str = DEFAULT_IDENTITY) -> str:
    """The subject of this request's access token, else the user of an enclosing `acting_as`, else `configured`.
    The main HTTP token's subject is `DEFAULT_IDENTITY`, which also yields, so one user reaches the same data over
    stdio and HTTP.

    A token without a subject (an OAuth client acting for itself, with no person behind it) is refused rather than
    scoped by its client id, which would pool everyone using that client."""
    token = get_access_token()
    if token is None or token.subject == DEFAULT_IDENTITY:
        return _acting.get() or configured
    if not token.subject:
        raise PermissionDenied(
            "This access token names no person (it has no subject), so aide cannot tell whose data to use.",
            hint="The user must connect with a token issued to them, not to the client application alone.",
        )
    return token.subject


class BearerTokens(TokenVerifier):
    """The SDK's `TokenVerifier` for aide's static bearer tokens: `tokens` maps each accepted token to the subject it
    stands for (the main token to `DEFAULT_IDENTITY`, each `[http.users]` token to that user's name).

    Every candidate is compared (no early exit), each in constant time, so timing tells nothing about which token or
    how much of one matched."""

    def __init__(self, tokens: Mapping[str, str]) -> None:
        self._expected = [(token.encode(), subject) for token, subject in tokens.items()]

    async def verify_token(self, token: str) -> AccessToken | None:
        # Starlette decodes header values as latin-1: encoding back gives the bytes the client sent.
        try:
            given = token.encode("latin-1")
        except UnicodeEncodeError:
            given = b""
        matches = [subject for expected, subject in self._expected if hmac.compare_digest(given, expected)]
        if not matches:
            return None
        return AccessToken(token=token, client_id=BEARER_CLIENT_ID, scopes=[], subject=matches[0])
