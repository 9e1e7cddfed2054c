"""Plain WSGI applications behind ``TracingMiddleware`` on the standard library's server:
exceptions from the app and from its body, clients that go away, finishing exactly once,
scopes left behind, other tracers and failing tracers."""

from __future__ import annotations

import socket
import sys
import threading
import time
from typing import Any, Callable, Dict, Iterator, List

import pytest

import opentracing
from opentracing import Format
from opentracing.mocktracer import MockTracer
from traced.middleware import set_route
from traced.middleware.wsgi import TracingMiddleware, request_url

from ._support import BrokenTracer, WsgirefServer, client_headers, recording_tracer, wait_for_servers

StartResponse = Callable[..., Any]


def hello(environ: Dict[str, Any], start_response: StartResponse) -> List[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


@pytest.fixture
def serve() -> Iterator[Callable[[Any], WsgirefServer]]:
    servers: List[WsgirefServer] = []

    def start(app: Any) -> WsgirefServer:
        servers.append(WsgirefServer(app))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def test_an_app_exception_is_recorded_and_reaches_the_server_unchanged(serve: Any) -> None:
    tracer, recorder = recording_tracer()
    cause = KeyError("missing")
    raised: List[BaseException] = []
    caught: List[BaseException] = []

    def failing(environ: Dict[str, Any], start_response: StartResponse) -> List[bytes]:
        try:
            raise cause
        except KeyError as exc:
            error = ValueError("handler failed")
            raised.append(error)
            raise error from exc

    traced_app = TracingMiddleware(failing, tracer=tracer)

    def outermost(environ: Dict[str, Any], start_response: StartResponse) -> Any:
        try:
            return traced_app(environ, start_response)
        except ValueError as exc:
            caught.append(exc)
            raise

    server = serve(outermost)
    assert server.get("/x")[0] == 500  # the server's own answer to an exception
    [span] = wait_for_servers(recorder, 1)
    assert caught[0] is raised[0] and caught[0].__cause__ is cause
    assert span.tags["error"] is True and "http.status_code" not in span.tags
    [log] = span.logs
    assert log.fields["error.object"] is raised[0]
    assert tracer.active_span is None


def test_a_body_that_raises_is_an_error_and_the_span_finishes_once(serve: Any) -> None:
    tracer = MockTracer()  # records a span once per finish() call

    def streaming(environ: Dict[str, Any], start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"first\n"
        raise RuntimeError("body failed")

    server = serve(TracingMiddleware(streaming, tracer=tracer))
    server.get("/stream")
    deadline = time.monotonic() + 5
    while not tracer.finished_spans() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)  # a second finish would come right after the first
    [span] = tracer.finished_spans()
    assert span.tags["error"] is True and span.tags["http.status_code"] == 200
    assert any(log.key_values.get("message") == "body failed" for log in span.logs)


def test_a_client_that_disconnects_ends_the_span_and_closes_the_body(serve: Any) -> None:
    tracer, recorder = recording_tracer()
    closed = threading.Event()

    def endless(environ: Dict[str, Any], start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        try:
            for _ in range(4000):
                yield b"x" * 16384
        finally:
            closed.set()

    server = serve(TracingMiddleware(endless, tracer=tracer))
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"GET /download HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert sock.recv(1024).startswith(b"HTTP/1.")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    assert closed.wait(10)
    [span] = wait_for_servers(recorder, 1)
    assert span.tags["http.status_code"] == 200
    assert "error" not in span.tags  # GeneratorExit is how a body is told to stop
    assert [log.fields["event"] for log in span.logs] == ["response closed early"]


def test_a_scope_the_app_leaves_open_does_not_outlive_the_request(serve: Any) -> None:
    tracer, recorder = recording_tracer()
    at_entry: List[Any] = []
    in_handler: List[Any] = []

    def leaky(environ: Dict[str, Any], start_response: StartResponse) -> Iterator[bytes]:
        in_handler.append(tracer.active_span)
        tracer.start_active_span("left-open")  # never closed
        start_response("200 OK", [])
        yield b"ok"

    traced_app = TracingMiddleware(leaky, tracer=tracer)

    def outermost(environ: Dict[str, Any], start_response: StartResponse) -> Any:
        at_entry.append(tracer.active_span)
        return traced_app(environ, start_response)

    server = serve(outermost)
    for _ in range(3):
        assert server.get("/")[0] == 200
    servers = wait_for_servers(recorder, 3)
    assert at_entry == [None, None, None]
    assert [s.context.span_id for s in in_handler] == [s.span_id for s in servers]
    assert len({s.trace_id for s in servers}) == 3


def test_a_list_body_keeps_its_length_for_the_server(serve: Any) -> None:
    tracer, recorder = recording_tracer()
    server = serve(TracingMiddleware(hello, tracer=tracer))
    status, headers, body = server.get("/", {"Host": "user:secret@example.com:8080"})
    assert (status, body) == (200, b"hello")
    assert headers["content-length"] == "5"  # wsgiref sets it for a one-item sized body
    [span] = wait_for_servers(recorder, 1)
    assert span.tags["http.url"] == "http://example.com:8080/"
    assert span.logs == ()


def test_another_tracer_gets_the_headers_as_a_dict(serve: Any) -> None:
    tracer = MockTracer()
    server = serve(TracingMiddleware(hello, tracer=tracer))
    client = tracer.start_span("client")
    headers: Dict[str, str] = {}
    tracer.inject(client.context, Format.HTTP_HEADERS, headers)
    client.finish()
    assert server.get("/", headers)[0] == 200
    deadline = time.monotonic() + 5
    while len(tracer.finished_spans()) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    server_span = tracer.finished_spans()[1]
    assert server_span.parent_id == client.context.span_id
    assert server_span.tags["span.kind"] == "server"


def test_the_global_tracer_is_read_on_each_request(serve: Any, install_tracer: Any) -> None:
    server = serve(TracingMiddleware(hello))
    assert server.get("/")[0] == 200  # the no-op tracer: nothing to record
    tracer, recorder = recording_tracer()
    install_tracer(tracer)
    _, headers = client_headers(tracer)
    assert server.get("/", headers)[0] == 200
    [span] = wait_for_servers(recorder, 1)
    assert span.operation_name == "HTTP GET"


def test_set_route_names_the_span_from_any_framework(serve: Any) -> None:
    tracer, recorder = recording_tracer()
    results: List[bool] = []

    def routed(environ: Dict[str, Any], start_response: StartResponse) -> List[bytes]:
        results.append(set_route(environ, "/items/{id}"))
        return hello(environ, start_response)

    server = serve(TracingMiddleware(routed, tracer=tracer))
    assert server.get("/items/3")[0] == 200
    [span] = wait_for_servers(recorder, 1)
    assert span.operation_name == "GET /items/{id}" and span.tags["http.route"] == "/items/{id}"
    assert results == [True]
    assert set_route({}, "/x") is False


@pytest.mark.parametrize("fail_start", [True, False], ids=["start_span", "span-methods"])
def test_a_failing_tracer_never_breaks_a_request(serve: Any, fail_start: bool, caplog: Any) -> None:
    tracer = BrokenTracer(fail_start)

    def streaming(environ: Dict[str, Any], start_response: StartResponse) -> Iterator[bytes]:
        start_response("201 Created", [("Content-Type", "text/plain")])
        yield b"a"
        yield b"b"

    server = serve(TracingMiddleware(streaming, tracer=tracer))
    for _ in range(2):
        status, _, body = server.get("/", {"traceparent": "garbage"})
        assert (status, body) == (201, b"ab")
    assert tracer.finished == (0 if fail_start else 2)
    assert any("tracer failed" in r.getMessage() for r in caplog.records)


def test_the_noop_tracer_passes_the_response_through_untouched() -> None:
    result = [b"body"]
    app = TracingMiddleware(lambda environ, start_response: result, tracer=opentracing.Tracer())
    assert app({"REQUEST_METHOD": "GET"}, lambda *a: None) is result


@pytest.mark.parametrize(
    "environ, url",
    [
        ({"HTTP_HOST": "h:81", "PATH_INFO": "/a b/ü", "QUERY_STRING": "q=1"}, "http://h:81/a%20b/%C3%BC?q=1"),
        ({"SERVER_NAME": "srv", "SERVER_PORT": "443", "wsgi.url_scheme": "https", "SCRIPT_NAME": "/app", "PATH_INFO": "/x"}, "https://srv/app/x"),
        ({"SERVER_NAME": "srv", "SERVER_PORT": "8000", "PATH_INFO": "/100%"}, "http://srv:8000/100%25"),
        ({"HTTP_HOST": "u:p@h", "PATH_INFO": "/"}, "http://h/"),
    ],
)
def test_the_url_is_rebuilt_from_the_environ(environ: Dict[str, Any], url: str) -> None:
    if "PATH_INFO" in environ:  # as a server passes it: UTF-8 bytes decoded as latin-1
        environ["PATH_INFO"] = environ["PATH_INFO"].encode("utf-8").decode("latin-1")
    assert request_url(environ) == url


def test_start_response_with_exc_info_reaches_the_server(serve: Any) -> None:
    tracer, recorder = recording_tracer()

    def recovering(environ: Dict[str, Any], start_response: StartResponse) -> List[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        try:
            raise OSError("disk gone")
        except OSError:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")], exc_info=sys.exc_info())
        return [b"try later"]

    server = serve(TracingMiddleware(recovering, tracer=tracer))
    status, _, body = server.get("/")
    assert (status, body) == (503, b"try later")
    [span] = wait_for_servers(recorder, 1)
    assert span.tags["http.status_code"] == 503 and span.tags["error"] is True
