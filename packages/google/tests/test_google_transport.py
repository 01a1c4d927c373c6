"""The actions' transport against a loopback HTTP server: one attempt, a new connection each time, and a failure to
connect told apart from a failure after the request left."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httplib2
import pytest

from aide_core.retry import NotSent
from aide_google.transport import SingleAttemptHttp


class Upstream:
    """Records each request (with the client's port and its Accept-Encoding) and answers it, or, with `drop`, reads
    it and closes the connection without a word: a server that acted and then lost the line."""

    def __init__(self) -> None:
        self.drop = False
        self.seen: list[tuple[int, str]] = []
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real APIs answer

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                upstream.seen.append((self.client_address[1], self.headers.get("Accept-Encoding", "")))
                if upstream.drop:
                    self.close_connection = True
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/send"


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    server = Upstream()
    thread = threading.Thread(target=server.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()
    thread.join()


def test_httplib2_alone_sends_a_request_again_when_its_answer_never_comes(upstream: Upstream) -> None:
    """Why the transport exists: the repeat is silent, whatever the method."""
    upstream.drop = True
    http = httplib2.Http(timeout=10)
    with pytest.raises(ConnectionError):
        http.request(upstream.url, "POST", body="{}")
    assert len(upstream.seen) == 2


def test_a_request_whose_answer_never_comes_is_sent_once_and_may_have_acted(upstream: Upstream) -> None:
    upstream.drop = True
    with pytest.raises(ConnectionError) as raised:
        SingleAttemptHttp(timeout=10).request(upstream.url, "POST", body="{}")
    assert not isinstance(raised.value, NotSent)
    assert len(upstream.seen) == 1


def test_each_request_goes_on_a_new_connection_and_asks_for_an_unencoded_answer(upstream: Upstream) -> None:
    http = SingleAttemptHttp(timeout=10)
    for _ in range(2):
        response, content = http.request(upstream.url, "POST", body="{}", headers={"accept-encoding": "gzip"})
        assert response.status == 200 and content == b"{}"
    (first_port, encoding), (second_port, _) = upstream.seen
    assert first_port != second_port and encoding == "identity"
    assert all(connection.sock is None for connection in http.connections.values())  # nothing left idle


def test_a_refused_connection_raises_not_sent() -> None:
    with socket.socket() as bound:  # bound and not listening: connecting to it is refused
        bound.bind(("127.0.0.1", 0))
        with pytest.raises(NotSent) as raised:
            SingleAttemptHttp(timeout=10).request(f"http://127.0.0.1:{bound.getsockname()[1]}/send", "POST", body="{}")
    assert isinstance(raised.value.__cause__, ConnectionRefusedError)
