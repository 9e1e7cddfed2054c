"""Listener per request with threads: a worker thread delivers each response to the
listener that carries the request's span."""

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait

from opentracing.mocktracer import MockTracer

from .checks import check_children_of_batch, check_root_spans, response_for, start_request

REQUESTS = 8


class Client:
    def __init__(self, tracer, executor):
        self.tracer = tracer
        self.executor = executor

    def send(self, request_id):
        """Start the request's span and a pool job that will give its listener the response."""
        listener = start_request(self.tracer, request_id)
        future = self.executor.submit(self._serve, request_id, listener)
        return listener, future

    @staticmethod
    def _serve(request_id, listener):
        time.sleep(random.uniform(0, 0.01))
        listener.on_response(response_for(request_id))
        return threading.current_thread()


def _send_all(tracer):
    with ThreadPoolExecutor(max_workers=4) as executor:
        client = Client(tracer, executor)
        sent = [client.send(i) for i in range(REQUESTS)]
        done, not_done = wait([future for _, future in sent], timeout=5)
        assert not not_done, "responses did not arrive in time"
    assert all(future.result() is not threading.current_thread() for _, future in sent)
    return [listener for listener, _ in sent]


def test_one_root_span_per_request():
    """With no active span, each request gets its own finished root span and trace."""
    tracer = MockTracer()
    listeners = _send_all(tracer)

    check_root_spans(tracer, listeners)


def test_request_spans_are_children_of_the_active_span():
    """Requests sent under a parent become its children; the parent stays active and
    finishes after every response."""
    tracer = MockTracer()
    with tracer.start_active_span("batch") as scope:
        listeners = _send_all(tracer)
        assert tracer.active_span is scope.span

    # A worker thread has no active span, so the listeners saw none.
    check_children_of_batch(tracer, listeners, batch_active_at_response=False)
