"""Listener per request on Tornado (5.1 and 6): responses arrive through ``call_later``
callbacks and through native and ``@gen.coroutine`` responders started with
``spawn_callback``; each listener finishes the span it carries."""

import random

from tornado import gen
from tornado.concurrent import Future
from tornado.ioloop import IOLoop

from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.tornado import TornadoScopeManager, tracer_stack_context

from ..utils import run_on_new_loop
from .checks import check_children_of_batch, check_root_spans, response_for, start_request

REQUESTS = 9


class Client:
    """Delivers responses three ways, in turn: a timer, a native and a generator coroutine."""

    def __init__(self, tracer):
        self.tracer = tracer

    def send(self, request_id):
        listener = start_request(self.tracer, request_id, done=Future())
        response = response_for(request_id)
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


def test_one_root_span_per_request():
    """From a native coroutine with no active span, each request gets its own root span."""
    tracer = MockTracer(TornadoScopeManager())

    async def main():
        client = Client(tracer)
        listeners = [client.send(i) for i in range(REQUESTS)]
        await gen.multi([lst.done for lst in listeners])
        return listeners

    with tracer_stack_context():  # around the loop run: see the next test
        listeners = run_on_new_loop(main)
    check_root_spans(tracer, listeners)


def test_request_spans_are_children_of_the_active_span():
    """From a ``@gen.coroutine`` under a parent span: request spans are its children, the
    responders see the parent as active (inherited) but finish only their own span, and
    the parent finishes last."""
    tracer = MockTracer(TornadoScopeManager())

    @gen.coroutine
    def main():
        with tracer.start_active_span("batch") as scope:
            client = Client(tracer)
            listeners = [client.send(i) for i in range(REQUESTS)]
            yield [lst.done for lst in listeners]
            assert tracer.active_span is scope.span
        assert tracer.active_span is None
        return listeners

    # The stack context is entered around the whole loop run, not inside the coroutine:
    # on Tornado < 6 a @gen.coroutine may not yield inside a stack context it entered.
    with tracer_stack_context():
        listeners = run_on_new_loop(main)
    # Callbacks and coroutines started under batch inherit its stack context.
    check_children_of_batch(tracer, listeners, batch_active_at_response=True)
