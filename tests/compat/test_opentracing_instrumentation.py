"""opentracing-instrumentation 3.3.1 (Uber's helpers for Tornado and WSGI services), on
Tornado 5.1 and on Tornado 6.

Its ``request_context`` module imports ``ThreadSafeStackContext``, ``TornadoScopeManager``
and ``tracer_stack_context`` from ``opentracing.scope_managers.tornado``, so everything in it
(``span_in_stack_context``, ``get_current_span``, the ``@traced_function`` decorator, the
``http_server``/``http_client`` helpers and the Tornado client hook) stands or falls with
that module. It ships no test suite (its wheel has none, and its own tests need boto3,
celery, moto, redis, SQLAlchemy, ...), so the scenarios here are ours, each a real
``tornado.httpserver.HTTPServer`` on 127.0.0.1 served by a real ``IOLoop``, with
``MockTracer(scope_manager=TornadoScopeManager())`` as the global tracer ``opentracing.tracer``
that the library reads.

The library requires ``tornado<6``: Tornado 5.1.1 is installed into its own site/ (the
virtualenv has Tornado 6), so ``test_scenarios_on_tornado_5_1`` runs the ``scenario_*``
functions of this module in a subprocess with ``PYTHONPATH=site:testsite`` and the
``old_tornado`` shim (``plugins/old_tornado/sitecustomize.py``: Tornado 5.1 imports
``collections.MutableMapping``, gone since Python 3.10; nothing to do with opentracing):

* ``scenario_runs_on_tornado_5_1_and_our_package`` -- the library, Tornado 5.1.1 and our
  package are the ones imported, and the names it takes from us are ours;
* ``scenario_current_span_and_traced_functions`` -- handlers that start a server span with
  ``http_server.before_request(TornadoRequestWrapper(request))`` and run their work under
  ``request_context.span_in_stack_context(span)``: ``get_current_span()`` and
  ``opentracing.tracer.active_span`` are that span across the ``@gen.coroutine``'s
  ``yield``\\ s and in a callback it schedules with ``IOLoop.add_callback`` (not
  ``spawn_callback``, which on Tornado 5.1 drops the caller's stack context on purpose, on
  2.4.0 as here); ``@traced_function`` makes child spans (of a
  coroutine, of a coroutine nested in it, of a plain function, of a coroutine that
  raises) with the right parents, current inside the function and no longer after it, with
  ``on_start`` tags, the error tag and log; ``require_active_trace=True`` without a current
  span makes none; the server span's tags;
* ``scenario_concurrent_requests_keep_their_own_span`` -- ten requests served at once, with
  interleaved ``yield``\\ s, each seeing only its own server span and parenting its own
  children;
* ``scenario_client_hook_propagates_to_the_server`` -- the Tornado client hook
  (``client_hooks.tornado_http``, which wraps ``SimpleAsyncHTTPClient.fetch_impl``): a fetch
  under a current span gets a client span that is its child, injected as ``HTTP_HEADERS``
  into the request, and ``before_request`` on the server, with a second MockTracer,
  extracts it as the server span's parent (trace id, baggage); a fetch with no current span
  starts a new trace; a 404 tags the client span with the error.

Each of these passes on the real opentracing 2.4.0 as well (run once by hand with 2.4.0
in place of this package, the first scenario left out).

``test_on_tornado_6`` runs the handlers and checks of the concurrent scenario in this
process, on the virtualenv's Tornado 6, where the library (though it asks for
``tornado<6``) imports and works on our package: our ``opentracing.scope_managers.tornado``
exists on Tornado 6 and keeps the active scope in a context variable there. On the real
opentracing 2.4.0 it cannot even be imported on Tornado 6: 2.4.0's
``opentracing/scope_managers/tornado.py`` does ``import tornado.stack_context``, which
Tornado 6 removed, so ``import opentracing_instrumentation`` fails there with
``ModuleNotFoundError: No module named 'tornado.stack_context'``.

Not covered: ``client_hooks`` for other libraries (boto3, celery, MySQLdb, psycopg2, redis,
requests, SQLAlchemy, urllib) need those libraries; ``wrapt`` is pinned only because
``client_hooks._dbapi2`` imports it.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any, Dict

import pytest

from .conftest import REPO, InstalledLibrary, assert_ours

SCENARIOS = [
    "scenario_runs_on_tornado_5_1_and_our_package",
    "scenario_current_span_and_traced_functions",
    "scenario_concurrent_requests_keep_their_own_span",
    "scenario_client_hook_propagates_to_the_server",
]

LABELS = ["r%d" % i for i in range(10)]


def test_scenarios_on_tornado_5_1(
    opentracing_instrumentation_lib: InstalledLibrary, tmp_path: Path
) -> None:
    opentracing_instrumentation_lib.run_scenarios(__file__, SCENARIOS, tmp_path)


def test_on_tornado_6(
    opentracing_instrumentation_lib: InstalledLibrary, reset_global_tracer: None
) -> None:
    import tornado

    import opentracing
    import opentracing_instrumentation.request_context as request_context
    from opentracing.scope_managers import tornado as ours

    assert tornado.version_info[0] == 6, tornado.__file__
    assert "site-packages" in Path(tornado.__file__).parts  # the virtualenv's, not site/'s
    assert_ours(request_context)
    assert request_context.ThreadSafeStackContext is ours.ThreadSafeStackContext
    assert not ours._USES_STACK_CONTEXT

    tracer = _global_tracer()
    seen: Dict[str, Dict[str, Any]] = {}

    async def main() -> None:
        from tornado import gen
        from tornado.httpclient import AsyncHTTPClient

        base, server = _serve(tracer, seen)
        client = AsyncHTTPClient()
        try:
            responses = await gen.multi(
                [client.fetch(_url(base, label, i)) for i, label in enumerate(LABELS)]
            )
            assert [r.body.decode() for r in responses] == LABELS
        finally:
            server.stop()
            client.close()

    asyncio.run(main())
    assert opentracing.tracer is tracer
    for label in LABELS:
        _check_request(tracer, seen[label], base_label=label)
    assert len(tracer.finished_spans()) == len(LABELS) * 5


# --- shared by the Tornado 5.1 subprocess and the Tornado 6 test ------------------------


def _global_tracer():
    """A MockTracer on our TornadoScopeManager, installed as ``opentracing.tracer``."""
    import opentracing
    from opentracing.mocktracer import MockTracer
    from opentracing.scope_managers.tornado import TornadoScopeManager

    tracer = MockTracer(scope_manager=TornadoScopeManager())
    opentracing.set_global_tracer(tracer)
    return tracer


def _url(base, label, index):
    # later requests sleep less, so that the requests' steps interleave
    return "%s/traced?label=%s&delay=%.3f" % (base, label, 0.002 * (len(LABELS) - index))


def _handlers(seen, server_tracer=None):
    """Request handlers written as opentracing-instrumentation's docs say; ``seen``
    collects what they observed, by the ``label`` query argument."""
    import tornado.web
    from tornado import gen
    from tornado.concurrent import Future
    from tornado.ioloop import IOLoop

    import opentracing
    from opentracing_instrumentation import (
        get_current_span,
        span_in_stack_context,
        traced_function,
    )
    from opentracing_instrumentation.http_server import TornadoRequestWrapper, before_request

    def tag_label(span, label, delay):
        span.set_tag("label", label)

    @traced_function(on_start=tag_label)
    @gen.coroutine
    def load_user(label, delay):
        mine = get_current_span()
        yield gen.sleep(delay)
        row = yield query(label)
        raise gen.Return({"span": mine, "after_yield": get_current_span(), "row": row})

    @traced_function(name="db_query")
    @gen.coroutine
    def query(label):
        yield gen.sleep(0.001)
        raise gen.Return(get_current_span())

    @traced_function
    def render(label):
        return get_current_span()

    @traced_function
    @gen.coroutine
    def broken(record):
        record["broken_span"] = get_current_span()
        yield gen.sleep(0.001)
        raise ValueError("boom")

    def in_callback(record, done):
        record["callback"] = get_current_span()
        done.set_result(None)

    class Traced(tornado.web.RequestHandler):
        @gen.coroutine
        def get(self):
            span = before_request(TornadoRequestWrapper(self.request))
            # start the work inside the stack context, wait for it outside
            with span_in_stack_context(span):
                work = self.work(span)
            try:
                yield work
            finally:
                span.finish()

        @gen.coroutine
        def work(self, span):
            label = self.get_argument("label")
            delay = float(self.get_argument("delay"))
            record = seen.setdefault(label, {})
            record["server"] = span
            record["at_start"] = get_current_span()
            yield gen.sleep(delay)
            record["after_sleep"] = get_current_span()
            record["active_span"] = opentracing.tracer.active_span
            record["user"] = yield load_user(label, delay)
            record["after_traced"] = get_current_span()
            record["render"] = render(label)
            try:
                yield broken(record)
            except ValueError as exc:
                record["raised"] = str(exc)
            record["after_broken"] = get_current_span()
            done = Future()
            IOLoop.current().add_callback(in_callback, record, done)
            yield done
            record["at_end"] = get_current_span()
            self.write(label)

    class Remote(tornado.web.RequestHandler):
        def get(self):
            span = before_request(TornadoRequestWrapper(self.request), tracer=server_tracer)
            seen[self.get_argument("label")] = {
                "server": span,
                "headers": dict(self.request.headers),
                "baggage": span.get_baggage_item("user"),
            }
            span.finish()
            self.write("ok")

    return [("/traced", Traced), ("/remote", Remote)]


def _serve(tracer, seen, server_tracer=None):
    """The handlers on a real HTTPServer on 127.0.0.1; returns its base URL and server."""
    import tornado.web
    from tornado.httpserver import HTTPServer
    from tornado.testing import bind_unused_port

    sock, port = bind_unused_port("127.0.0.1")
    server = HTTPServer(tornado.web.Application(_handlers(seen, server_tracer)))
    server.add_sockets([sock])
    return "http://127.0.0.1:%d" % port, server


def _check_request(tracer, record, base_label):
    """What one /traced request saw, and the spans it left with ``tracer``."""
    from opentracing.ext import tags

    server = record["server"]
    assert server.operation_name == "GET"
    assert server.parent_id is None  # no tracing headers came with the request
    assert server.finished
    assert server.tags[tags.SPAN_KIND] == tags.SPAN_KIND_RPC_SERVER
    assert server.tags[tags.HTTP_METHOD] == "GET"
    assert server.tags[tags.HTTP_URL].startswith("http://127.0.0.1:")
    assert "/traced?label=%s&" % base_label in server.tags[tags.HTTP_URL]
    assert server.tags[tags.PEER_HOST_IPV4] == "127.0.0.1"
    for key in (
        "at_start",
        "after_sleep",
        "active_span",
        "after_traced",
        "after_broken",
        "callback",
        "at_end",
    ):
        assert record[key] is server, (base_label, key, record[key])

    user = record["user"]
    load_user = user["span"]
    assert load_user.operation_name == "load_user"
    assert load_user.parent_id == server.context.span_id
    assert load_user.tags["label"] == base_label
    assert user["after_yield"] is load_user
    query = user["row"]
    assert query.operation_name == "db_query"
    assert query.parent_id == load_user.context.span_id
    render = record["render"]
    assert render.operation_name == "render"
    assert render.parent_id == server.context.span_id

    broken = record["broken_span"]
    assert record["raised"] == "boom"
    assert broken.operation_name == "broken"
    assert broken.parent_id == server.context.span_id
    assert broken.tags["error"] == "true"
    assert broken.logs[0].key_values["event"] == "exception"
    assert str(broken.logs[0].key_values["payload"]) == "boom"

    trace = server.context.trace_id
    for span in (load_user, query, render, broken):
        assert span.finished
        assert span.context.trace_id == trace
    for span in (server, load_user, query, render, broken):
        assert span in tracer.finished_spans()


# --- everything below runs only in the Tornado 5.1 subprocess ---------------------------


@pytest.fixture
def tornado5():
    """A fresh IOLoop of Tornado 5.1 (from the library's site/), made current; the global
    tracer is put back afterwards."""
    import tornado
    from tornado.ioloop import IOLoop

    import opentracing

    assert tornado.version == "5.1.1", tornado.__file__
    loop = IOLoop()
    loop.make_current()
    yield loop
    loop.clear_current()
    loop.close(all_fds=True)
    opentracing._reset_global_tracer()


def scenario_runs_on_tornado_5_1_and_our_package(tornado5) -> None:
    import tornado.stack_context

    import opentracing
    import opentracing.scope_managers.tornado as ours
    import opentracing_instrumentation
    import opentracing_instrumentation.local_span as local_span
    import opentracing_instrumentation.request_context as request_context

    assert Path(opentracing.__file__).resolve().is_relative_to(REPO / "opentracing")
    assert "site-packages" not in Path(opentracing.__file__).resolve().parts
    site = Path(opentracing_instrumentation.__file__).resolve().parents[1]
    assert site.parts[-2:] == ("opentracing-instrumentation", "site"), site
    assert Path(tornado.stack_context.__file__).resolve().is_relative_to(site)
    assert ours._USES_STACK_CONTEXT
    assert request_context.ThreadSafeStackContext is ours.ThreadSafeStackContext
    assert request_context.tracer_stack_context is ours.tracer_stack_context
    assert local_span.TornadoScopeManager is ours.TornadoScopeManager
    collections = sys.modules["collections"]
    assert collections.MutableMapping is sys.modules["collections.abc"].MutableMapping


def scenario_current_span_and_traced_functions(tornado5) -> None:
    from tornado.httpclient import AsyncHTTPClient

    from opentracing_instrumentation import get_current_span

    tracer = _global_tracer()
    seen = {}
    base, server = _serve(tracer, seen)

    async def main():
        response = await AsyncHTTPClient().fetch(_url(base, "one", 0))
        assert response.body == b"one"

    tornado5.run_sync(main, timeout=10)
    server.stop()
    _check_request(tracer, seen["one"], base_label="one")
    assert len(tracer.finished_spans()) == 5
    assert get_current_span() is None
    assert tracer.active_span is None

    # without a current span, require_active_trace=True starts no span; the default does
    from opentracing_instrumentation import traced_function

    @traced_function(require_active_trace=True)
    def only_in_a_trace():
        return get_current_span()

    @traced_function
    def anywhere():
        return get_current_span()

    assert only_in_a_trace() is None
    root = anywhere()
    assert root.operation_name == "anywhere" and root.parent_id is None and root.finished
    assert len(tracer.finished_spans()) == 6


def scenario_concurrent_requests_keep_their_own_span(tornado5) -> None:
    from tornado import gen
    from tornado.httpclient import AsyncHTTPClient

    tracer = _global_tracer()
    seen = {}
    base, server = _serve(tracer, seen)

    async def main():
        client = AsyncHTTPClient()
        responses = await gen.multi(
            [client.fetch(_url(base, label, i)) for i, label in enumerate(LABELS)]
        )
        assert [r.body.decode() for r in responses] == LABELS

    tornado5.run_sync(main, timeout=10)
    server.stop()
    for label in LABELS:
        _check_request(tracer, seen[label], base_label=label)
    servers = {id(seen[label]["server"]) for label in LABELS}
    assert len(servers) == len(LABELS)
    assert len(tracer.finished_spans()) == len(LABELS) * 5


def scenario_client_hook_propagates_to_the_server(tornado5) -> None:
    from tornado.httpclient import AsyncHTTPClient, HTTPError

    from opentracing.ext import tags
    from opentracing.mocktracer import MockTracer
    from opentracing.scope_managers.tornado import TornadoScopeManager
    from opentracing_instrumentation import span_in_stack_context
    from opentracing_instrumentation.client_hooks import tornado_http

    tracer = _global_tracer()  # the client's: the hook injects with opentracing.tracer
    server_tracer = MockTracer(scope_manager=TornadoScopeManager())
    seen = {}
    base, server = _serve(tracer, seen, server_tracer=server_tracer)
    tornado_http.install_patches()
    try:

        async def main():
            client = AsyncHTTPClient()
            root = tracer.start_span("batch")
            root.set_baggage_item("user", "alice")
            with span_in_stack_context(root):
                call = client.fetch(base + "/remote?label=traced")
            response = await call
            assert response.body == b"ok"
            root.finish()
            # no current span: the client span starts a trace of its own
            await client.fetch(base + "/remote?label=untraced")
            try:
                await client.fetch(base + "/missing")
            except HTTPError as err:
                assert err.code == 404
            else:  # pragma: no cover
                raise AssertionError("no 404")

        tornado5.run_sync(main, timeout=10)
    finally:
        tornado_http.reset_patchers()
        server.stop()

    port = int(base.rsplit(":", 1)[1])
    batch = _one(tracer, "batch")
    traced, untraced, missing = _clients(tracer)
    assert traced.operation_name == "GET"
    assert traced.parent_id == batch.context.span_id
    assert traced.context.trace_id == batch.context.trace_id
    assert traced.tags[tags.SPAN_KIND] == tags.SPAN_KIND_RPC_CLIENT
    assert traced.tags[tags.HTTP_URL] == base + "/remote?label=traced"
    assert traced.tags[tags.PEER_HOST_IPV4] == "127.0.0.1"
    assert traced.tags[tags.PEER_PORT] == port
    assert traced.tags[tags.HTTP_STATUS_CODE] == "200"
    assert tags.ERROR not in traced.tags

    remote = seen["traced"]["server"]
    assert remote in server_tracer.finished_spans()
    assert remote.parent_id == traced.context.span_id
    assert remote.context.trace_id == batch.context.trace_id
    assert remote.tags[tags.SPAN_KIND] == tags.SPAN_KIND_RPC_SERVER
    assert seen["traced"]["baggage"] == "alice"
    headers = {k.lower(): v for k, v in seen["traced"]["headers"].items()}
    assert headers["ot-tracer-spanid"] == "%x" % traced.context.span_id
    assert headers["ot-baggage-user"] == "alice"

    assert untraced.parent_id is None
    assert untraced.context.trace_id != batch.context.trace_id
    other = seen["untraced"]["server"]
    assert other.parent_id == untraced.context.span_id
    assert other.context.trace_id == untraced.context.trace_id
    assert seen["untraced"]["baggage"] is None

    assert missing.tags[tags.HTTP_URL] == base + "/missing"
    assert missing.tags[tags.HTTP_STATUS_CODE] == "404"
    assert missing.tags[tags.ERROR] is True
    assert missing.logs[0].key_values["event"] == tags.ERROR
    assert "404" in missing.logs[0].key_values["payload"]


def _one(tracer, name):
    (span,) = [s for s in tracer.finished_spans() if s.operation_name == name]
    return span


def _clients(tracer):
    from opentracing.ext import tags

    spans = [
        s
        for s in tracer.finished_spans()
        if s.tags.get(tags.SPAN_KIND) == tags.SPAN_KIND_RPC_CLIENT
    ]
    assert len(spans) == 3, spans
    return sorted(spans, key=lambda s: s.start_time)
