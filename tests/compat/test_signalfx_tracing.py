"""signalfx-tracing 2.2.0 and its Tornado instrumentation, signalfx-instrumentation-tornado
1.2.0 (a fork of tornado-opentracing, module ``tornado_opentracing``), on Tornado 5.1.

On Tornado < 6 that instrumentation wraps each traced request in our
``tracer_stack_context()`` and is meant for our ``TornadoScopeManager``. Tornado 5.1.1 is
installed into the library's own site/ (the virtualenv has Tornado 6), so everything here
runs in subprocesses with ``PYTHONPATH=site:testsite``, plus the ``old_tornado`` shim
(``plugins/old_tornado/sitecustomize.py``: Tornado 5.1's ``tornado.web`` and
``tornado.httputil`` import ``collections.MutableMapping``, which Python 3.10 removed; the
shim aliases those names to ``collections.abc``; it has nothing to do with opentracing).

``test_scenarios_on_tornado_5_1`` runs the ``scenario_*`` functions of this module in such a
subprocess: a real ``HTTPServer`` on 127.0.0.1 and a real ``IOLoop``, traced by
``tornado_opentracing.TornadoTracing`` with our ``MockTracer`` on our
``TornadoScopeManager``. They check that the server span stays active across the
handler's ``yield``s and in a callback it spawns (parents of the child spans), that
``AsyncHTTPClient`` calls made under an active span get a client span that is its child and
whose context, injected into the request headers, becomes the server span's parent (trace
ids, baggage), and the error tags of a failing handler. (Concurrent requests are not
checked: on Tornado 5.1 their scopes get mixed up on the real opentracing 2.4.0 as well.)

``test_own_suite`` runs signalfx-tracing's unit tests that the wheel ships (it has no sdist):
tests/unit/test_decorator.py, test_instrument.py, test_utils.py and
tests/unit/libraries/tornado_ (a Tornado 5.1 ``AsyncHTTPTestCase`` traced through
``tornado_opentracing`` with our MockTracer): 87 tests, all of which pass on the real
opentracing 2.4.0 too. Left out, none for a reason to do with opentracing:

* tests/unit/libraries/{celery_,django_,elasticsearch_,falcon_,flask_,psycopg2_,pymongo_,
  pymysql_,redis_,requests_} -- each needs its framework or client library and
  signalfx's instrumentation package for it;
* tests/unit/libraries/logging_ -- needs jaeger-client (``create_tracer``);
* tests/integration -- needs docker services, and its Tornado test serves on the fixed port
  32321 from a ``@classmethod`` fixture that current pytest does not run.

One mechanical fix of the extracted tests (``test_patches`` in conftest.py): Tornado 5.1's
``AsyncTestCase.__init__`` wraps ``getattr(self, methodName)``, and pytest 8 instantiates
unittest classes with the default method name ``runTest`` while collecting, so the
helper base class in tests/unit/libraries/tornado_/helpers/_test_case.py gets a
``runTest = None`` attribute (Tornado 6 has the same fix).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from .conftest import REPO, InstalledLibrary

OWN_SUITE = [
    "tests/unit/test_decorator.py",
    "tests/unit/test_instrument.py",
    "tests/unit/test_utils.py",
    "tests/unit/libraries/tornado_",
]

SCENARIOS = [
    "scenario_runs_on_tornado_5_1_and_our_package",
    "scenario_server_span_stays_active_across_yields",
    "scenario_client_span_is_propagated_to_the_server_span",
    "scenario_failing_handler_is_tagged",
]


def test_own_suite(signalfx_tracing_lib: InstalledLibrary, tmp_path: Path) -> None:
    result = signalfx_tracing_lib.run_own_tests(OWN_SUITE, tmp_path)
    result.assert_clean(minimum_passed=87)
    assert "tornado_/test_tornado.py" in " ".join(result.outcomes("passed"))


def test_scenarios_on_tornado_5_1(signalfx_tracing_lib: InstalledLibrary, tmp_path: Path) -> None:
    signalfx_tracing_lib.run_scenarios(__file__, SCENARIOS, tmp_path)


# --- everything below runs only in the Tornado 5.1 subprocess ---------------------------


@pytest.fixture
def tornado5():
    """A fresh IOLoop of Tornado 5.1 (from the library's site/), made current."""
    import tornado
    from tornado.ioloop import IOLoop

    assert tornado.version == "5.1.1", tornado.__file__
    loop = IOLoop()
    loop.make_current()
    yield loop
    loop.clear_current()
    loop.close(all_fds=True)


def _serve(loop, tracer, handlers, trace_client=True):
    """An instrumented Application on a real HTTPServer on 127.0.0.1; returns its base URL
    and the TornadoTracing object."""
    import tornado.web
    import tornado_opentracing
    from tornado.httpserver import HTTPServer
    from tornado.testing import bind_unused_port

    tornado_opentracing.init_tracing()
    tracing = tornado_opentracing.TornadoTracing(tracer)
    app = tornado.web.Application(
        [(path, handler, {"tracing": tracing}) for path, handler in handlers],
        opentracing_tracing=tracing,
        opentracing_trace_all=False,
        opentracing_trace_client=trace_client,
        opentracing_traced_attributes=["path"],
    )
    sock, port = bind_unused_port("127.0.0.1")
    server = HTTPServer(app)
    server.add_sockets([sock])
    return "http://127.0.0.1:%d" % port, server


def _handler_classes(tracer, seen):
    """Request handlers traced with ``@tracing.trace`` (which enters our
    ``tracer_stack_context``); ``seen`` collects what they observed."""
    import tornado.web
    from tornado import gen
    from tornado.ioloop import IOLoop

    import tornado_opentracing

    tracing = tornado_opentracing.TornadoTracing(tracer)

    @gen.coroutine
    def in_callback(label, parent_span):
        yield gen.sleep(0.001)
        seen.setdefault(label, {})["callback_active"] = tracer.active_span
        with tracer.start_active_span("callback", child_of=tracer.active_span):
            pass

    class Work(tornado.web.RequestHandler):
        def initialize(self, tracing):
            pass

        @tracing.trace("path")
        @gen.coroutine
        def get(self):
            label = self.get_argument("label", "work")
            server_span = tracing.get_span(self.request)
            record = seen.setdefault(label, {})
            record["server"] = server_span
            record["active_at_start"] = tracer.active_span
            yield gen.sleep(0.005)
            record["active_after_yield"] = tracer.active_span
            with tracer.start_active_span("db") as scope:
                scope.span.set_tag("label", label)
                yield gen.sleep(0.002)
                record["active_in_db"] = tracer.active_span
            record["active_after_db"] = tracer.active_span
            record["baggage"] = server_span.get_baggage_item("user")
            IOLoop.current().spawn_callback(in_callback, label, server_span)
            yield gen.sleep(0.01)
            self.write(label)

    class Fail(tornado.web.RequestHandler):
        def initialize(self, tracing):
            pass

        @tracing.trace()
        @gen.coroutine
        def get(self):
            yield gen.sleep(0.001)
            raise ValueError("boom")

    return Work, Fail


def _tracer():
    from opentracing.mocktracer import MockTracer
    from opentracing.scope_managers.tornado import TornadoScopeManager

    return MockTracer(scope_manager=TornadoScopeManager())


def _by_name(tracer):
    spans = {}
    for span in tracer.finished_spans():
        spans.setdefault(span.operation_name, []).append(span)
    return spans


def scenario_runs_on_tornado_5_1_and_our_package(tornado5) -> None:
    import tornado.stack_context

    import opentracing
    import opentracing.scope_managers.tornado as ours
    import tornado_opentracing.context_managers

    assert Path(opentracing.__file__).resolve().is_relative_to(REPO / "opentracing")
    assert "site-packages" not in Path(opentracing.__file__).resolve().parts
    assert Path(tornado.stack_context.__file__).resolve().parts[-4] == "signalfx-tracing"
    # on Tornado < 6 the instrumentation takes our tracer_stack_context
    assert tornado_opentracing.context_managers.tornado_context is ours.tracer_stack_context
    assert sys.modules["collections"].MutableMapping is sys.modules["collections.abc"].MutableMapping


def scenario_server_span_stays_active_across_yields(tornado5) -> None:
    from tornado.httpclient import AsyncHTTPClient

    from opentracing.ext import tags

    tracer = _tracer()
    seen = {}
    work, fail = _handler_classes(tracer, seen)
    base, server = _serve(tornado5, tracer, [("/work", work)], trace_client=False)

    async def main():
        response = await AsyncHTTPClient().fetch(base + "/work?label=one")
        assert response.body == b"one"
        for _ in range(100):  # the spawned callback finishes after the response
            if "callback" in _by_name(tracer):
                break
            await _sleep(0.005)

    tornado5.run_sync(main, timeout=10)
    server.stop()
    record = seen["one"]
    server_span = record["server"]
    assert record["active_at_start"] is server_span
    assert record["active_after_yield"] is server_span
    assert record["active_in_db"].operation_name == "db"
    assert record["active_after_db"] is server_span
    assert record["callback_active"] is server_span
    spans = _by_name(tracer)
    assert set(spans) == {"Work", "db", "callback"}
    (server_finished,) = spans["Work"]
    assert server_finished is server_span
    assert server_span.parent_id is None
    assert server_span.tags[tags.SPAN_KIND] == tags.SPAN_KIND_RPC_SERVER
    assert server_span.tags[tags.COMPONENT] == "tornado"
    assert server_span.tags[tags.HTTP_METHOD] == "GET"
    assert server_span.tags[tags.HTTP_URL] == "/work?label=one"
    assert server_span.tags[tags.HTTP_STATUS_CODE] == 200
    assert server_span.tags["path"] == "/work"
    for name in ("db", "callback"):
        (child,) = spans[name]
        assert child.parent_id == server_span.context.span_id
        assert child.context.trace_id == server_span.context.trace_id
    assert tracer.active_span is None


async def _sleep(seconds):
    from tornado import gen

    await gen.sleep(seconds)


def scenario_client_span_is_propagated_to_the_server_span(tornado5) -> None:
    from tornado.httpclient import AsyncHTTPClient

    from opentracing.ext import tags
    from opentracing.scope_managers.tornado import tracer_stack_context

    tracer = _tracer()
    seen = {}
    work, fail = _handler_classes(tracer, seen)
    base, server = _serve(tornado5, tracer, [("/work", work)], trace_client=True)

    async def main():
        with tracer.start_active_span("batch") as scope:
            scope.span.set_baggage_item("user", "alice")
            response = await AsyncHTTPClient().fetch(base + "/work?label=remote")
            assert response.code == 200
            assert tracer.active_span is scope.span

    with tracer_stack_context():
        tornado5.run_sync(main, timeout=10)
    server.stop()
    spans = _by_name(tracer)
    (batch,) = spans["batch"]
    (client,) = spans["GET"]
    (server_span,) = spans["Work"]
    assert client.tags[tags.SPAN_KIND] == tags.SPAN_KIND_RPC_CLIENT
    assert client.tags[tags.HTTP_URL] == base + "/work?label=remote"
    assert client.tags[tags.HTTP_STATUS_CODE] == 200
    assert client.parent_id == batch.context.span_id
    assert server_span.parent_id == client.context.span_id
    assert {batch.context.trace_id, client.context.trace_id, server_span.context.trace_id} == {
        batch.context.trace_id
    }
    assert seen["remote"]["baggage"] == "alice"
    (db,) = spans["db"]
    assert db.parent_id == server_span.context.span_id


def scenario_failing_handler_is_tagged(tornado5) -> None:
    from tornado.httpclient import AsyncHTTPClient, HTTPError

    from opentracing.ext import tags

    tracer = _tracer()
    work, fail = _handler_classes(tracer, {})
    base, server = _serve(tornado5, tracer, [("/fail", fail)], trace_client=True)

    async def main():
        try:
            await AsyncHTTPClient().fetch(base + "/fail")
        except HTTPError as err:
            assert err.code == 500
        else:  # pragma: no cover
            raise AssertionError("no error")

    tornado5.run_sync(main, timeout=10)
    server.stop()
    spans = _by_name(tracer)
    (server_span,) = spans["Fail"]
    (client,) = spans["GET"]
    assert server_span.tags[tags.ERROR] is True
    assert server_span.tags["sfx.error.kind"] == "ValueError"
    assert server_span.tags["sfx.error.message"] == "boom"
    assert server_span.parent_id == client.context.span_id
    assert client.tags[tags.ERROR] is True
    assert client.tags[tags.HTTP_STATUS_CODE] == 500
    assert client.logs[0].key_values["event"] == tags.ERROR
