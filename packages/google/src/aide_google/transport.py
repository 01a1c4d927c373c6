"""The httplib2 transport for actions: each request on a new connection, sent once.

httplib2 repeats a request by itself when its connection fails (`Http._conn_request`): once more when the answer
does not start, whatever `httplib2.RETRIES` says, and on some other connection errors up to `RETRIES` times. For a
read that is harmless, and it is how google-api-python-client survives most kept-alive connections the server
closed while idle. For a send it is a second message: a server that carried the request out and closed the
connection before answering (a crash, a proxy's timeout, a lost line) gets the same POST again, and the caller sees
one success. Nor does the repeat save a send written to a stale connection: when the reset arrives before the
answer is read (as on loopback), httplib2 raises, and a confirmation that took a human longer than the server's
keep-alive (5 s for uvicorn and Apache, 75 s for nginx) fails the send.

`SingleAttemptHttp` therefore opens a new connection for every request, writes it once, and closes the connection
after the answer, so nothing is left idle to go stale. A failure to connect raises `NotSent`: the request never
left, which is what lets the guard release an action's idempotency key. Everything else (a reset, a timeout, an
answer that never comes) is raised as it is: the request may have been carried out.

Why a subclass and not `httplib2.RETRIES = 1`: that is a module global of the host process (every other httplib2
user in it would change), and it does not stop the repeat after a missing status line anyway. The subclass replaces
`_conn_request`, httplib2's hook for one request on one connection; `test_google_transport` drives it against a
loopback server, so an httplib2 release that stops calling it fails there. Reads keep httplib2's own `Http`, its
kept-alive connections and its repeat.
"""

from __future__ import annotations

from typing import Any

import httplib2

from aide_core.retry import NotSent


class SingleAttemptHttp(httplib2.Http):
    """An `httplib2.Http` that sends each request exactly once, on a connection of its own.

    Asks for an unencoded answer: an action's answer is a few hundred bytes of JSON, and httplib2's decoder is
    private to the method this class replaces."""

    def _conn_request(self, conn: Any, request_uri: str, method: str, body: Any, headers: dict[str, str]) -> Any:
        conn.close()  # a connection from an earlier request may have been closed by the server since
        try:
            conn.connect()
        except Exception as exc:  # refused, unknown host, connect timeout, TLS handshake: nothing was written
            conn.close()
            raise NotSent(f"could not connect to {conn.host}:{conn.port}: {exc}") from exc
        try:
            conn.request(method, request_uri, body, {**headers, "accept-encoding": "identity"})
            answer = conn.getresponse()
            content = b"" if method == "HEAD" else answer.read()
        finally:
            conn.close()
        return httplib2.Response(answer), content
