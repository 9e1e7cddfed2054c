"""Shared by the middleware tests: a recording tracer, the client side of a trace (a span
whose context goes out as ``traceparent``), waiting for server spans that finish after the
response has reached the client, and a tracer whose every method raises."""

from __future__ import annotations

import time
from typing import Any, Callable, Dict, List, Tuple

import opentracing
from opentracing import Format
from traced import Tracer
from traced.tracer import MemoryRecorder
from traced.tracer.span import FinishedSpan


def recording_tracer() -> Tuple[Tracer, MemoryRecorder]:
    recorder = MemoryRecorder()
    return Tracer("middleware-test", recorder=recorder), recorder


def client_headers(tracer: Tracer, name: str = "client") -> Tuple[Any, Dict[str, str]]:
    """A finished client span and the headers carrying its context."""
    span = tracer.start_span(name, ignore_active_span=True)
    headers: Dict[str, str] = {}
    tracer.inject(span.context, Format.HTTP_HEADERS, headers)
    span.finish()
    return span, headers


def wait_for(recorder: MemoryRecorder, predicate: Callable[[List[FinishedSpan]], bool], timeout: float = 10.0) -> List[FinishedSpan]:
    """The recorded spans once ``predicate`` holds for them (the server finishes its span
    after the client has read the response, so tests wait a little)."""
    deadline = time.monotonic() + timeout
    while True:
        spans = recorder.spans
        if predicate(spans):
            return spans
        if time.monotonic() > deadline:
            raise AssertionError("spans never matched: %r" % [s.operation_name for s in spans])
        time.sleep(0.005)


def server_spans(spans: List[FinishedSpan]) -> List[FinishedSpan]:
    return [s for s in spans if s.tags.get("span.kind") == "server"]


def wait_for_servers(recorder: MemoryRecorder, count: int, timeout: float = 10.0) -> List[FinishedSpan]:
    """The server spans, once there are ``count`` of them."""
    return server_spans(wait_for(recorder, lambda spans: len(server_spans(spans)) >= count, timeout))


def children(spans: List[FinishedSpan], parent: FinishedSpan) -> List[FinishedSpan]:
    return [s for s in spans if s.parent_id == parent.span_id and s.trace_id == parent.trace_id]


class BrokenTracer(opentracing.Tracer):
    """A tracer failing in every way a tracer can: extract, start_span, and spans whose
    set_tag, set_operation_name, log_kv and finish raise."""

    def __init__(self, fail_start: bool) -> None:
        super().__init__()
        self.fail_start = fail_start
        self.finished = 0

    def extract(self, format: str, carrier: Any) -> Any:
        raise RuntimeError("extract is broken")

    def start_span(self, *args: Any, **kwargs: Any) -> Any:
        if self.fail_start:
            raise RuntimeError("start_span is broken")
        return _BrokenSpan(self)


class _BrokenSpan(opentracing.Span):
    def __init__(self, tracer: BrokenTracer) -> None:
        super().__init__(tracer, opentracing.SpanContext())
        self._owner = tracer

    def set_tag(self, key: str, value: Any) -> Any:
        raise RuntimeError("set_tag is broken")

    def set_operation_name(self, name: str) -> Any:
        raise RuntimeError("set_operation_name is broken")

    def log_kv(self, key_values: Any, timestamp: Any = None) -> Any:
        raise RuntimeError("log_kv is broken")

    def finish(self, finish_time: Any = None) -> None:
        self._owner.finished += 1
        raise RuntimeError("finish is broken")


class WsgirefServer:
    """A WSGI app on the standard library's single-threaded server on 127.0.0.1: every
    request is handled in the same thread, so a scope one request leaks is seen by the
    next."""

    def __init__(self, app: Any) -> None:
        import threading
        from wsgiref.simple_server import WSGIRequestHandler, make_server

        class Quiet(WSGIRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = make_server("127.0.0.1", 0, app, handler_class=Quiet)
        self.server.timeout = 0.05
        self.port = self.server.server_port
        self.base = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def get(self, path: str, headers: Dict[str, str] | None = None) -> Tuple[int, Dict[str, str], bytes]:
        """Status, headers and body; a dropped connection is status 0."""
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", path, headers=headers or {})
            response = conn.getresponse()
            try:
                body = response.read()
            except (http.client.IncompleteRead, ConnectionError):
                body = b""
            return response.status, {k.lower(): v for k, v in response.getheaders()}, body
        except (http.client.RemoteDisconnected, ConnectionError):
            return 0, {}, b""
        finally:
            conn.close()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class Uvicorn:
    """An ASGI app served by uvicorn on 127.0.0.1 (a free port) on the running loop, as an
    async context manager; ``lifespan`` as uvicorn's option."""

    def __init__(self, app: Any, lifespan: str = "off") -> None:
        import uvicorn

        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="critical", lifespan=lifespan, access_log=False)
        self.server = uvicorn.Server(config)
        self.port = 0

    @property
    def base(self) -> str:
        return "http://127.0.0.1:%d" % self.port

    async def __aenter__(self) -> "Uvicorn":
        import asyncio

        self._serving = asyncio.ensure_future(self.server.serve())
        for _ in range(1000):
            if self.server.started or self._serving.done():
                break
            await asyncio.sleep(0.01)
        assert self.server.started
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: Any) -> None:
        import asyncio

        self.server.should_exit = True
        await asyncio.wait_for(self._serving, 10)


async def async_wait_for_servers(recorder: MemoryRecorder, count: int, timeout: float = 10.0) -> List[FinishedSpan]:
    """:func:`wait_for_servers` without blocking the loop the server runs on."""
    import asyncio

    deadline = time.monotonic() + timeout
    while len(server_spans(recorder.spans)) < count:
        if time.monotonic() > deadline:
            raise AssertionError("only %d server spans" % len(server_spans(recorder.spans)))
        await asyncio.sleep(0.005)
    return server_spans(recorder.spans)
