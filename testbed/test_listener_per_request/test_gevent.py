"""Listener per request with gevent: one greenlet per request delivers the response to the
listener that carries the request's span (no monkey patching)."""

import random

import gevent

from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.gevent import GeventScopeManager

from .checks import check_children_of_batch, check_root_spans, response_for, start_request

REQUESTS = 8


class Client:
    def __init__(self, tracer):
        self.tracer = tracer

    def send(self, request_id):
        """Start the request's span and a greenlet that will give its listener the response."""
        listener = start_request(self.tracer, request_id)
        greenlet = gevent.spawn(self._serve, request_id, listener)
        return listener, greenlet

    @staticmethod
    def _serve(request_id, listener):
        gevent.sleep(random.uniform(0, 0.01))
        listener.on_response(response_for(request_id))


def _send_all(tracer):
    client = Client(tracer)
    sent = [client.send(i) for i in range(REQUESTS)]
    greenlets = [greenlet for _, greenlet in sent]
    gevent.joinall(greenlets, timeout=5, raise_error=True)
    assert all(g.successful() for g in greenlets), "responses did not arrive in time"
    return [listener for listener, _ in sent]


def test_one_root_span_per_request():
    """With no active span, each request gets its own finished root span and trace."""
    tracer = MockTracer(GeventScopeManager())
    listeners = _send_all(tracer)

    check_root_spans(tracer, listeners)


def test_request_spans_are_children_of_the_active_span():
    """Requests sent under a parent become its children; the parent stays active while
    the greenlets run and finishes after every response."""
    tracer = MockTracer(GeventScopeManager())
    with tracer.start_active_span("batch") as scope:
        listeners = _send_all(tracer)
        assert tracer.active_span is scope.span

    # A new greenlet has no scope, so the listeners saw no active span.
    check_children_of_batch(tracer, listeners, batch_active_at_response=False)
