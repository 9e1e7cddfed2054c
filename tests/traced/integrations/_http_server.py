"""A real HTTP/1.1 server on 127.0.0.1 for the outbound HTTP integration tests: threaded,
keep-alive, recording every request it receives (method, path, headers).

Paths: ``/status/<code>`` answers with that status; ``/redirect/<n>`` answers 302 to
``/redirect/<n-1>``, and ``/redirect/0`` to ``/status/200``; anything else answers 200.
The body is ``ok``.
"""

from __future__ import annotations

import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, Iterator, List, NamedTuple

import pytest


class Received(NamedTuple):
    """One request as the server saw it; ``headers`` by lowercase name."""

    method: str
    path: str
    headers: Dict[str, str]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "HTTPTestServer"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.received.append(
            Received(self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
        )
        status, location = 200, None
        parts = self.path.split("?")[0].strip("/").split("/")
        if parts[0] == "status" and len(parts) > 1:
            status = int(parts[1])
        elif parts[0] == "redirect" and len(parts) > 1:
            hops = int(parts[1])
            status = 302
            location = "/redirect/%d" % (hops - 1) if hops > 0 else "/status/200"
        body = b"ok"
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests read ``received`` instead."""


class HTTPTestServer(ThreadingHTTPServer):
    """The server; ``url(path)`` is an absolute URL to it, ``received`` what came in."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: List[Received] = []
        self.port: int = self.server_address[1]

    def handle_error(self, request: object, client_address: object) -> None:
        """A client hanging up a keep-alive connection is not worth a traceback."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]

    def url(self, path: str = "/") -> str:
        return "http://127.0.0.1:%d%s" % (self.port, path)


@pytest.fixture(scope="module")
def http_server() -> Iterator[HTTPTestServer]:
    """One server per test module, its ``received`` list emptied before each test by
    :func:`server`."""
    httpd = HTTPTestServer()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.fixture
def server(http_server: HTTPTestServer) -> HTTPTestServer:
    """The module's server with nothing received yet."""
    http_server.received.clear()
    return http_server


@pytest.fixture
def refused_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: a port just bound and released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return "http://127.0.0.1:%d/" % port
