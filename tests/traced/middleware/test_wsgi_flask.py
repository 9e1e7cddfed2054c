"""A real Flask app behind ``traced.middleware.wsgi.TracingMiddleware``, served by
werkzeug's threaded server on 127.0.0.1 and called over HTTP with ``traceparent``."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator, List, Tuple

import pytest

flask = pytest.importorskip("flask")

from tests.compat._servers import Served  # noqa: E402
from traced import Tracer  # noqa: E402
from traced.middleware.wsgi import TracingMiddleware  # noqa: E402
from traced.tracer import MemoryRecorder  # noqa: E402

from ._support import children, client_headers, recording_tracer, wait_for_servers  # noqa: E402


def make_app(tracer: Tracer, seen: List[Any]) -> Any:
    app = flask.Flask("shop")

    @app.route("/users/<int:user_id>")
    def user(user_id: int) -> Any:
        seen.append(tracer.active_span)
        with tracer.start_active_span("db.query", tags={"user": user_id}):
            return {"id": user_id}

    @app.route("/fail")
    def fail() -> Any:
        raise ValueError("handler failed")

    @app.route("/bad")
    def bad() -> Any:
        flask.abort(400)

    @app.route("/stream/<int:count>")
    def stream(count: int) -> Any:
        def chunks() -> Iterator[str]:
            for i in range(count):
                with tracer.start_active_span("chunk", tags={"i": i}):
                    yield "chunk %d\n" % i

        return flask.Response(flask.stream_with_context(chunks()), mimetype="text/plain")

    app.wsgi_app = TracingMiddleware(app.wsgi_app, tracer=tracer, component="flask")  # type: ignore[method-assign]
    return app


@pytest.fixture
def served() -> Iterator[Tuple[Served, Tracer, MemoryRecorder, List[Any]]]:
    tracer, recorder = recording_tracer()
    seen: List[Any] = []
    server = Served(make_app(tracer, seen))
    try:
        yield server, tracer, recorder, seen
    finally:
        server.close()


def test_route_span_continues_the_callers_trace(served: Any) -> None:
    server, tracer, recorder, seen = served
    client, headers = client_headers(tracer)
    status, body = server.get("/users/7?full=1", headers)
    assert (status, body.strip()) == (200, '{"id":7}')
    [span] = wait_for_servers(recorder, 1)
    assert span.operation_name == "GET /users/<int:user_id>"
    assert span.trace_id == client.context.trace_id
    assert span.parent_id == client.context.span_id
    assert span.tags["http.route"] == "/users/<int:user_id>"
    assert span.tags["http.method"] == "GET"
    assert span.tags["http.url"] == "%s/users/7?full=1" % server.base
    assert span.tags["http.status_code"] == 200
    assert span.tags["component"] == "flask"
    assert span.tags["peer.ipv4"] == "127.0.0.1"
    assert isinstance(span.tags["peer.port"], int)
    assert "error" not in span.tags
    # the handler ran with the server span active, and its own span is a child of it
    assert seen[0].context.span_id == span.span_id
    [db] = children(recorder.spans, span)
    assert db.operation_name == "db.query"


def test_without_incoming_context_a_new_trace_starts(served: Any) -> None:
    server, tracer, recorder, _ = served
    assert server.get("/users/1")[0] == 200
    [span] = wait_for_servers(recorder, 1)
    assert span.parent_id is None


def test_a_malformed_traceparent_starts_a_new_trace(served: Any) -> None:
    server, tracer, recorder, _ = served
    assert server.get("/users/1", {"traceparent": "00-zz-not-valid-01"})[0] == 200
    [span] = wait_for_servers(recorder, 1)
    assert span.parent_id is None and span.tags["http.status_code"] == 200


def test_404_is_not_an_error_and_keeps_the_method_name(served: Any) -> None:
    server, tracer, recorder, _ = served
    assert server.get("/nowhere")[0] == 404
    [span] = wait_for_servers(recorder, 1)
    assert span.operation_name == "HTTP GET"
    assert span.tags["http.status_code"] == 404
    assert "error" not in span.tags and "http.route" not in span.tags


def test_400_from_abort_is_not_an_error(served: Any) -> None:
    server, tracer, recorder, _ = served
    assert server.get("/bad")[0] == 400
    [span] = wait_for_servers(recorder, 1)
    assert span.operation_name == "GET /bad"
    assert span.tags["http.status_code"] == 400 and "error" not in span.tags


def test_500_from_a_handler_exception_is_an_error(served: Any) -> None:
    server, tracer, recorder, _ = served
    assert server.get("/fail")[0] == 500
    [span] = wait_for_servers(recorder, 1)
    assert span.operation_name == "GET /fail"
    assert span.tags["http.status_code"] == 500
    assert span.tags["error"] is True


def test_streamed_response_spans_nest_in_the_server_span(served: Any) -> None:
    server, tracer, recorder, _ = served
    client, headers = client_headers(tracer)
    status, body = server.get("/stream/5", headers)
    assert status == 200 and body.splitlines() == ["chunk %d" % i for i in range(5)]
    [span] = wait_for_servers(recorder, 1)
    chunks = children(recorder.spans, span)
    assert sorted(c.tags["i"] for c in chunks) == [0, 1, 2, 3, 4]
    assert all(c.operation_name == "chunk" for c in chunks)
    # the server span ends after the last chunk was produced
    assert span.finish_time >= max(c.finish_time for c in chunks)
    assert span.parent_id == client.context.span_id


def test_concurrent_requests_are_each_their_own_trace(served: Any) -> None:
    server, tracer, recorder, seen = served
    calls = [client_headers(tracer, "client-%d" % i) for i in range(40)]

    def call(i: int) -> int:
        return server.get("/users/%d" % i, calls[i][1])[0]

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(call, range(40))) == [200] * 40
    servers = wait_for_servers(recorder, 40)
    spans = recorder.spans
    for i, (client, _) in enumerate(calls):
        [span] = [s for s in servers if s.parent_id == client.context.span_id]
        assert span.trace_id == client.context.trace_id
        assert span.tags["http.url"].endswith("/users/%d" % i)
        [db] = children(spans, span)
        assert db.tags["user"] == i
    assert len({s.context.span_id for s in seen}) == 40
    assert tracer.active_span is None
