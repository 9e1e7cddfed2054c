"""A programmable HTTP collector on 127.0.0.1 for the export tests, and a small exporter that
POSTs span ids through :class:`~traced.export._http.HttpSender` to it.

Each request is answered by the next entry of :attr:`Sink.script`, then by
:attr:`Sink.default`: ``"ok"`` (200, body recorded), ``"hang"`` (read the request, never
answer), ``("slow", seconds)``, ``(status, {header: value})`` for any status, ``"reset"``
(RST instead of an answer), ``"close_mid"`` (half a response, then close), ``"ok_then_close"`` (200, then the
connection is closed while idle).
Importable from subprocesses (``python -m tests.traced.export._sink``) too.
"""

from __future__ import annotations

import gzip
import json
import socket
import socketserver
import struct
import threading
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

from traced.counters import Counters
from traced.export._http import HttpSender
from traced.export.base import Exporter
from traced.tracer.span import FinishedSpan

Action = Any


class Sink:
    """The collector: requests received, and how to answer the next ones."""

    def __init__(self) -> None:
        self.script: List[Action] = []
        self.default: Action = "ok"
        self.requests: List[Tuple[str, Dict[str, str], bytes]] = []
        self.attempts = 0
        self.connections = 0
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                with sink.lock:
                    sink.connections += 1
                while not sink.stopping.is_set():
                    if not sink._one(self.connection, self.rfile):
                        return

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d/v1/traces" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def _one(self, conn: socket.socket, rfile: Any) -> bool:
        line = rfile.readline()
        if not line:
            return False
        path = line.split()[1].decode()
        headers: Dict[str, str] = {}
        while True:
            header = rfile.readline()
            if header in (b"\r\n", b"\n", b""):
                break
            name, _, value = header.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        body = rfile.read(int(headers.get("content-length", "0")))
        with self.lock:
            self.attempts += 1
            action = self.script.pop(0) if self.script else self.default
        if action == "hang":
            self.stopping.wait(60)
            return False
        if action == "reset":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()
            return False
        if action == "close_mid":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
            conn.shutdown(socket.SHUT_RDWR)
            return False
        status, extra = 200, {}
        if isinstance(action, tuple) and action[0] == "slow":
            self.stopping.wait(action[1])
        elif isinstance(action, tuple):
            status, extra = action
        if status == 200:
            if headers.get("content-encoding") == "gzip":
                body = gzip.decompress(body)
            with self.lock:
                self.requests.append((path, headers, body))
        head = "HTTP/1.1 %d X\r\nContent-Length: 0\r\n" % status
        head += "".join("%s: %s\r\n" % item for item in extra.items())
        conn.sendall((head + "\r\n").encode())
        if action == "ok_then_close":  # keep-alive promised, then the idle connection is closed
            time.sleep(0.05)
            return False
        return True

    def bodies(self) -> List[bytes]:
        with self.lock:
            return [body for _, _, body in self.requests]

    def span_ids(self) -> List[int]:
        """The span ids that :class:`IdExporter` delivered."""
        return [i for body in self.bodies() for i in json.loads(body)]

    def close(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class IdExporter(Exporter):
    """Sends each batch's span ids as a JSON list through HttpSender: the smallest real
    network exporter, so the processor tests count exactly what arrived."""

    def __init__(self, url: str, counters: Optional[Counters] = None, timeout: float = 10.0) -> None:
        self.sender = HttpSender(url, content_type="application/json", counters=counters, timeout=timeout)
        self.closed = False

    def export(self, spans: Sequence[FinishedSpan], timeout: float) -> bool:
        if self.closed:
            return False
        return self.sender.send(json.dumps([s.span_id for s in spans]).encode(), timeout)

    def shutdown(self, timeout: float = 5.0) -> None:
        self.closed = True
        self.sender.close()


def make_spans(n: int, tags: int = 0) -> List[FinishedSpan]:
    """``n`` real finished spans with distinct ids (from a recording tracer)."""
    import traced.tracer as tr

    memory = tr.MemoryRecorder()
    tracer = tr.Tracer(recorder=memory)
    for i in range(n):
        span = tracer.start_span("op")
        for t in range(tags):
            span.set_tag("tag%d" % t, t)
        span.finish()
    return memory.spans


def now() -> float:
    return time.monotonic()
