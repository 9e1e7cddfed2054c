"""Listener per request on Tornado (5.1 and 6): responses arrive through ``call_later``
callbacks and through native and ``@gen.coroutine`` responders started with
``spawn_callback``; each listener finishes the span it carries."""

import random

from tornado import gen
from tornado.concurrent import Future
from tornado.ioloop import IOLoop

from opentracing import tags
from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.tornado import TornadoScopeManager, tracer_stack_context

from ..utils import get_one_by_tag

REQUESTS = 9


def run_on_new_loop(func):
    """Run the coroutine function ``func`` on a fresh IOLoop, failing after 5 seconds."""
    loop = IOLoop()
    try:
        return loop.run_sync(func, timeout=5)
    finally:
        loop.close()


class ResponseListener:
    """Finishes the span of one request when its response arrives."""

    def __init__(self, span):
        self.span = span
        self.calls = 0
        self.active_at_response = "unset"
        self.done = Future()

    def on_response(self, response):
        self.calls += 1
        self.active_at_response = self.span.tracer.active_span
        self.span.set_tag("response", response)
        self.span.finish()
        self.done.set_result(response)


class Client:
    """Delivers responses three ways, in turn: a timer, a native and a generator coroutine."""

    def __init__(self, tracer):
        self.tracer = tracer

    def send(self, request_id):
        span = self.tracer.start_span(
            "send",
            tags={tags.SPAN_KIND: tags.SPAN_KIND_RPC_CLIENT, "request.id": request_id},
        )
        listener = ResponseListener(span)
        response = f"answer-{request_id}"
        loop = IOLoop.current()
        if request_id % 3 == 0:
            loop.call_later(random.uniform(0, 0.01), listener.on_response, response)
        elif request_id % 3 == 1:
            loop.spawn_callback(self._serve_native, response, listener)
        else:
            loop.spawn_callback(self._serve_generator, response, listener)
        return listener

    @staticmethod
    async def _serve_native(response, listener):
        await gen.sleep(random.uniform(0, 0.01))
        listener.on_response(response)

    @staticmethod
    @gen.coroutine
    def _serve_generator(response, listener):
        yield gen.sleep(random.uniform(0, 0.01))
        listener.on_response(response)


def _check_request_spans(tracer, listeners, expected_active):
    spans = [s for s in tracer.finished_spans() if s.operation_name == "send"]
    assert len(spans) == REQUESTS
    assert len({s.context.span_id for s in spans}) == REQUESTS
    for i, listener in enumerate(listeners):
        span = get_one_by_tag(spans, "request.id", i)
        assert span is listener.span
        assert span.tags["response"] == f"answer-{i}"
        assert span.tags[tags.SPAN_KIND] == tags.SPAN_KIND_RPC_CLIENT
        assert listener.calls == 1
        assert listener.active_at_response is expected_active
    return spans


def test_one_root_span_per_request():
    """From a native coroutine with no active span, each request gets its own root span."""
    tracer = MockTracer(TornadoScopeManager())

    async def main():
        with tracer_stack_context():
            client = Client(tracer)
            listeners = [client.send(i) for i in range(REQUESTS)]
            await gen.multi([lst.done for lst in listeners])
            return listeners

    listeners = run_on_new_loop(main)
    spans = _check_request_spans(tracer, listeners, expected_active=None)
    assert all(s.parent_id is None for s in spans)
    assert len({s.context.trace_id for s in spans}) == REQUESTS
    assert tracer.active_span is None


def test_request_spans_are_children_of_the_active_span():
    """From a ``@gen.coroutine`` under a parent span: request spans are its children, the
    responders see the parent as active (inherited) but finish only their own span, and
    the parent finishes last."""
    tracer = MockTracer(TornadoScopeManager())

    @gen.coroutine
    def main():
        with tracer_stack_context():
            with tracer.start_active_span("batch") as scope:
                client = Client(tracer)
                listeners = [client.send(i) for i in range(REQUESTS)]
                yield [lst.done for lst in listeners]
                assert tracer.active_span is scope.span
        assert tracer.active_span is None
        return listeners

    listeners = run_on_new_loop(main)
    batch = tracer.finished_spans()[-1]
    assert batch.operation_name == "batch"
    spans = _check_request_spans(tracer, listeners, expected_active=batch)
    assert all(s.parent_id == batch.context.span_id for s in spans)
    assert all(s.context.trace_id == batch.context.trace_id for s in spans)
    assert tracer.active_span is None
