"""opentelemetry-opentracing-shim 0.66b1 (OpenTelemetry's OpenTracing bridge) on this package.

The shim subclasses our ``Tracer``, ``Span``, ``SpanContext``, ``Scope`` and
``ScopeManager`` and keeps the active span in OpenTelemetry's context. The in-process
tests build it with ``create_tracer`` on an SDK ``TracerProvider`` exporting to an
``InMemorySpanExporter``, drive it through the OpenTracing API (``active_span`` and
``Span.__exit__`` come from our base classes, ``start_child_span`` and the global tracer
from our package) and check the exported spans, their parents and links, W3C trace-context
propagation through ``Format.HTTP_HEADERS``, and our exception classes. One test serves a
Flask app traced by Flask-OpenTracing with the shim as its tracer: two PyPI libraries
meeting on our API.

``test_own_suite`` runs the shim's whole test suite from its sdist (tests/test_shim.py,
test_util.py and the ``testbed`` scenarios for threads and asyncio: 58 tests) in a
subprocess. Nothing is deselected; opentelemetry-test-utils (for its mock propagators) is
installed for it.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Dict, Iterator, Tuple

import pytest

import opentracing
from opentracing import Format
from opentracing.ext import tags

from .conftest import InstalledLibrary, assert_ours

pytestmark = pytest.mark.filterwarnings("ignore:This package is no longer supported")


@pytest.fixture
def shim(otel_shim_lib: InstalledLibrary) -> Iterator[Tuple[Any, Any]]:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.shim import opentracing_shim

    assert_ours(opentracing_shim)
    provider = TracerProvider()
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = opentracing_shim.create_tracer(provider)
    yield tracer, exporter
    provider.shutdown()


def _by_name(exporter) -> Dict[str, Any]:
    spans = exporter.get_finished_spans()
    named = {s.name: s for s in spans}
    assert len(named) == len(spans), [s.name for s in spans]
    return named


def test_shim_classes_extend_ours(shim) -> None:
    tracer, _ = shim
    assert isinstance(tracer, opentracing.Tracer)
    assert isinstance(tracer.scope_manager, opentracing.ScopeManager)
    with tracer.start_active_span("x") as scope:
        assert isinstance(scope, opentracing.Scope)
        assert isinstance(scope.span, opentracing.Span)
        assert isinstance(scope.span.context, opentracing.SpanContext)
        assert scope.span.tracer is tracer


def test_nested_spans_are_exported_with_parents(shim) -> None:
    tracer, exporter = shim
    assert tracer.active_span is None
    with tracer.start_active_span("request", tags={tags.SPAN_KIND: "server"}) as root:
        assert tracer.active_span.unwrap() is root.span.unwrap()  # our Tracer.active_span
        with tracer.start_active_span("query") as query:
            query.span.set_tag(tags.DATABASE_STATEMENT, "SELECT 1")
            query.span.log_kv({"event": "rows", "count": 3})
            leaf = opentracing.start_child_span(query.span, "decode")
            leaf.finish()
        assert tracer.active_span.unwrap() is root.span.unwrap()
    assert tracer.active_span is None

    spans = _by_name(exporter)
    assert [s.name for s in exporter.get_finished_spans()] == ["decode", "query", "request"]
    request, query_span, decode = spans["request"], spans["query"], spans["decode"]
    assert request.parent is None
    assert query_span.parent.span_id == request.context.span_id
    assert decode.parent.span_id == query_span.context.span_id
    assert {s.context.trace_id for s in spans.values()} == {request.context.trace_id}
    assert request.attributes[tags.SPAN_KIND] == "server"
    assert query_span.attributes[tags.DATABASE_STATEMENT] == "SELECT 1"
    (event,) = query_span.events
    assert event.name == "rows" and event.attributes["count"] == 3


def test_references_become_links(shim) -> None:
    tracer, exporter = shim
    cause = tracer.start_span("cause")
    cause.finish()
    with tracer.start_active_span("unrelated"):
        effect = tracer.start_span(
            "effect",
            references=[opentracing.follows_from(cause.context)],
            ignore_active_span=True,
        )
        effect.finish()
    spans = _by_name(exporter)
    (link,) = spans["effect"].links
    assert link.context.span_id == spans["cause"].context.span_id
    assert spans["effect"].parent.span_id == spans["cause"].context.span_id
    assert spans["effect"].context.trace_id == spans["cause"].context.trace_id


def test_http_headers_round_trip(shim) -> None:
    tracer, exporter = shim
    headers: Dict[str, str] = {}
    with tracer.start_active_span("client") as scope:
        tracer.inject(scope.span.context, Format.HTTP_HEADERS, headers)
    assert set(headers) >= {"traceparent"}

    # "another process": nothing is active when the server extracts
    assert tracer.active_span is None
    remote = tracer.extract(Format.HTTP_HEADERS, headers)
    assert isinstance(remote, opentracing.SpanContext)
    with tracer.start_active_span("server", child_of=remote):
        pass
    spans = _by_name(exporter)
    server, client = spans["server"], spans["client"]
    assert server.parent.span_id == client.context.span_id
    assert server.parent.is_remote
    assert server.context.trace_id == client.context.trace_id
    assert headers["traceparent"].split("-")[1] == "%032x" % client.context.trace_id


def test_unsupported_format_raises_our_exception(shim) -> None:
    tracer, _ = shim
    span = tracer.start_span("x")
    with pytest.raises(opentracing.UnsupportedFormatException):
        tracer.inject(span.context, Format.BINARY, bytearray())
    with pytest.raises(opentracing.UnsupportedFormatException):
        tracer.extract("no-such-format", {})
    span.finish()


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_exception_in_span_is_recorded_by_our_span_exit(shim, caplog) -> None:
    tracer, exporter = shim
    with pytest.raises(ValueError):
        with tracer.start_active_span("scope"):
            with tracer.start_span("span"):  # SpanShim uses our Span.__exit__
                raise ValueError("disk on fire")
    spans = _by_name(exporter)
    span = spans["span"]
    assert span.attributes[tags.ERROR] is True
    (event,) = span.events
    assert event.name == "error"
    assert event.attributes["message"] == "disk on fire"
    assert event.attributes["error.kind"] == str(ValueError)
    # the shim's own ScopeShim.__exit__ records it the OpenTelemetry way
    assert [e.name for e in spans["scope"].events] == ["exception"]
    assert tracer.active_span is None


def test_global_tracer(shim, reset_global_tracer) -> None:
    tracer, exporter = shim
    opentracing.set_global_tracer(tracer)
    assert opentracing.global_tracer() is tracer and opentracing.tracer is tracer
    with opentracing.global_tracer().start_active_span("global") as scope:
        scope.span.set_baggage_item("k", "v")
        assert scope.span.get_baggage_item("k") == "v"
    assert [s.name for s in exporter.get_finished_spans()] == ["global"]


def test_flask_opentracing_with_the_shim(shim, flask_opentracing_lib: InstalledLibrary) -> None:
    """Flask-OpenTracing traces a real server with the OpenTelemetry shim as its tracer."""
    import flask
    import flask_opentracing
    import urllib.request
    from werkzeug.serving import make_server

    tracer, exporter = shim
    app = flask.Flask("compat-otel")
    tracing = flask_opentracing.FlaskTracing(tracer, True, app)

    @app.route("/work")
    def work():
        with tracer.start_active_span("inner"):
            pass
        return json.dumps({"span_id": tracing.get_span().unwrap().get_span_context().span_id})

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        with tracer.start_active_span("client") as scope:
            headers: Dict[str, str] = {}
            tracer.inject(scope.span.context, Format.HTTP_HEADERS, headers)
            url = "http://127.0.0.1:%d/work" % server.server_port
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
                reply = json.loads(r.read())
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    spans = _by_name(exporter)
    handled, client, inner = spans["work"], spans["client"], spans["inner"]
    assert handled.context.span_id == reply["span_id"]
    assert handled.parent.span_id == client.context.span_id
    assert handled.context.trace_id == client.context.trace_id
    assert inner.parent.span_id == handled.context.span_id
    assert handled.attributes[tags.COMPONENT] == "Flask"
    assert handled.attributes[tags.HTTP_STATUS_CODE] == 200


def test_own_suite(otel_shim_lib: InstalledLibrary, tmp_path: Path) -> None:
    result = otel_shim_lib.run_own_tests(["tests"], tmp_path)
    result.assert_clean(minimum_passed=58)
    passed = result.outcomes("passed")
    assert sum(c.startswith("test_shim.py::") for c in passed) >= 30, passed
    assert sum(c.startswith("testbed/") for c in passed) >= 15, passed
