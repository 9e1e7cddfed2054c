"""Flask-OpenTracing 2.0.0 (the OpenTracing Flask integration) on this package.

A real Flask 3 application is served by werkzeug's threaded server on 127.0.0.1 and traced
with ``FlaskTracing`` and our ``MockTracer`` (on our thread-local and contextvars scope
managers). Requests carry a span context injected by a client-side MockTracer into HTTP
headers; the tests check the server spans' tags, that the propagated context became their
parent (with its baggage), that concurrent requests each get their own active span, that
``FlaskTracing()`` without a tracer follows our global tracer, and the decorator mode.

``test_own_suite`` runs Flask-OpenTracing's test suite from its sdist
(tests/test_flask_tracing.py, test_flask_api.py, test_flask_tracing_span_callbacks.py:
15 of its 16 tests, on Flask's test client and our MockTracer) in a subprocess.
Deselected: test_flask_tracing.py::TestTracing::test_over_wire, which its authors mark
``@flaky``: ``FlaskTracing`` keys its open scopes by the ``flask.request`` proxy, whose
hash changes with the request it points to, and a nested request now and then leaves the
outer span unfinished. It fails in about one run in ten against the real opentracing
2.4.0 as well (checked: 4 of 40 runs), and once it fails all its reruns do, so it would
make this suite flaky. ``test_server_span_is_child_of_propagated_context`` covers the
same ground over a real HTTP connection.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, Iterator, Tuple

import pytest

import opentracing
from opentracing import Format
from opentracing.ext import tags
from opentracing.mocktracer import MockTracer
from opentracing.scope_managers import ThreadLocalScopeManager
from opentracing.scope_managers.contextvars import ContextVarsScopeManager

from ._servers import Served
from .conftest import InstalledLibrary, assert_ours

pytestmark = pytest.mark.filterwarnings("ignore:This package is no longer supported")


@pytest.fixture
def flask_opentracing(flask_opentracing_lib: InstalledLibrary):
    import flask_opentracing
    import flask_opentracing.tracing

    assert_ours(flask_opentracing.tracing)
    return flask_opentracing


def _make_app(flask_opentracing, tracer: MockTracer):
    import flask

    app = flask.Flask("compat")
    tracing = flask_opentracing.FlaskTracing(tracer, True, app, ["url", "method"])

    @app.route("/hello/<name>")
    def hello(name: str):
        span = tracing.get_span()
        assert tracer.active_span is span  # the server span is active in the handler
        with tracer.start_active_span("render") as scope:
            scope.span.set_tag("name", name)
        return json.dumps(
            {
                "span_id": span.context.span_id,
                "user": span.get_baggage_item("user"),
                "thread": threading.get_ident(),
            }
        )

    @app.route("/boom")
    def boom():
        raise RuntimeError("broken handler")

    return app, tracing


@pytest.fixture(params=[ThreadLocalScopeManager, ContextVarsScopeManager], ids=lambda m: m.__name__)
def served(request, flask_opentracing) -> Iterator[Tuple[Served, MockTracer, Any]]:
    tracer = MockTracer(request.param())
    app, tracing = _make_app(flask_opentracing, tracer)
    server = Served(app)
    try:
        yield server, tracer, tracing
    finally:
        server.close()


def test_server_span_is_child_of_propagated_context(served) -> None:
    server, tracer, tracing = served
    client_tracer = MockTracer()
    with client_tracer.start_active_span("client") as scope:
        scope.span.set_baggage_item("user", "grace hopper")
        headers: Dict[str, str] = {}
        client_tracer.inject(scope.span.context, Format.HTTP_HEADERS, headers)
        status, body = server.get("/hello/ada", headers)
    assert status == 200, body
    reply = json.loads(body)
    assert reply["user"] == "grace hopper"

    (client,) = client_tracer.finished_spans()
    render, handled = tracer.finished_spans()
    assert handled.operation_name == "hello"  # the Flask endpoint
    assert handled.context.span_id == reply["span_id"]
    assert handled.parent_id == client.context.span_id
    assert handled.context.trace_id == client.context.trace_id
    assert handled.tags[tags.COMPONENT] == "Flask"
    assert handled.tags[tags.SPAN_KIND] == tags.SPAN_KIND_RPC_SERVER
    assert handled.tags[tags.HTTP_METHOD] == "GET"
    assert handled.tags[tags.HTTP_URL] == server.base + "/hello/ada"
    assert handled.tags[tags.HTTP_STATUS_CODE] == 200
    assert handled.tags["url"] == server.base + "/hello/ada"
    assert render.parent_id == handled.context.span_id
    assert render.tags == {"name": "ada"}
    assert not tracing._current_scopes  # every request's scope was closed
    assert tracer.active_span is None


def test_request_without_context_starts_a_trace(served) -> None:
    server, tracer, _ = served
    status, body = server.get("/hello/x")
    assert status == 200, body
    _, handled = tracer.finished_spans()
    assert handled.parent_id is None
    assert json.loads(body)["user"] is None


def test_concurrent_requests_keep_their_own_spans(served) -> None:
    server, tracer, _ = served
    client_tracer = MockTracer()

    def call(i: int) -> Tuple[int, Dict[str, Any]]:
        span = client_tracer.start_span("client%d" % i)
        headers: Dict[str, str] = {}
        client_tracer.inject(span.context, Format.HTTP_HEADERS, headers)
        status, body = server.get("/hello/n%d" % i, headers)
        span.finish()
        assert status == 200, body
        return span.context.span_id, json.loads(body)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(call, range(16)))
    by_id = {s.context.span_id: s for s in tracer.finished_spans()}
    assert len(by_id) == 32  # 16 server spans and 16 render spans
    for client_span_id, reply in results:
        assert by_id[reply["span_id"]].parent_id == client_span_id
    renders = [s for s in by_id.values() if s.operation_name == "render"]
    assert all(by_id[r.parent_id].operation_name == "hello" for r in renders)


def test_failing_handler(served) -> None:
    server, tracer, tracing = served
    status, _ = server.get("/boom")
    assert status == 500
    (span,) = tracer.finished_spans()
    assert span.operation_name == "boom"
    assert span.tags[tags.HTTP_STATUS_CODE] == 500
    assert not tracing._current_scopes


def test_malformed_context_starts_a_new_trace(served) -> None:
    server, tracer, _ = served
    status, body = server.get("/hello/x", {"ot-tracer-traceid": "zz", "ot-tracer-spanid": "1"})
    assert status == 200, body  # FlaskTracing catches our SpanContextCorruptedException
    _, handled = tracer.finished_spans()
    assert handled.parent_id is None


def test_global_tracer_is_used_when_none_given(
    flask_opentracing, reset_global_tracer
) -> None:
    import flask

    app = flask.Flask("compat-global")
    tracing = flask_opentracing.FlaskTracing(app=app)
    assert tracing.tracer is opentracing.tracer  # the no-op tracer before registration

    @app.route("/")
    def index():
        return "ok"

    tracer = MockTracer()
    opentracing.set_global_tracer(tracer)
    assert tracing.tracer is tracer  # FlaskTracing reads opentracing.tracer late
    server = Served(app)
    try:
        assert server.get("/") == (200, "ok")
    finally:
        server.close()
    (span,) = tracer.finished_spans()
    assert span.operation_name == "index"


def test_decorator_traces_only_decorated_routes(flask_opentracing) -> None:
    import flask

    tracer = MockTracer()
    app = flask.Flask("compat-decorator")
    tracing = flask_opentracing.FlaskTracing(lambda: tracer)  # a deferred tracer

    @app.route("/traced")
    @tracing.trace("path")
    def traced():
        with tracing.tracer.start_active_span("inner"):
            pass
        return flask.Response("traced")  # the decorator reads response.status_code

    @app.route("/plain")
    def plain():
        return "plain"

    server = Served(app)
    try:
        assert server.get("/plain") == (200, "plain")
        assert server.get("/traced") == (200, "traced")
    finally:
        server.close()
    inner, span = tracer.finished_spans()
    assert span.operation_name == "traced"
    assert span.tags["path"] == "/traced"
    assert inner.parent_id == span.context.span_id


def test_own_suite(flask_opentracing_lib: InstalledLibrary, tmp_path: Path) -> None:
    result = flask_opentracing_lib.run_own_tests(
        ["tests", "--deselect=tests/test_flask_tracing.py::TestTracing::test_over_wire"],
        tmp_path,
    )
    result.assert_clean(minimum_passed=15)
    passed = result.outcomes("passed")
    assert sum(c.startswith("test_flask_tracing.py::") for c in passed) >= 7, passed
    assert any("StartSpanCallback" in c for c in passed), passed
