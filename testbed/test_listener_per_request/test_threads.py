"""Listener per request with threads: a worker thread delivers each response to the
listener that carries the request's span."""

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait

from opentracing import tags
from opentracing.mocktracer import MockTracer

from ..utils import get_one_by_tag

REQUESTS = 8


class ResponseListener:
    """Finishes the span of one request when its response arrives."""

    def __init__(self, span):
        self.span = span
        self.calls = 0
        self.active_at_response = "unset"

    def on_response(self, response):
        self.calls += 1
        self.active_at_response = self.span.tracer.active_span
        self.span.set_tag("response", response)
        self.span.finish()


class Client:
    def __init__(self, tracer, executor):
        self.tracer = tracer
        self.executor = executor

    def send(self, request_id):
        span = self.tracer.start_span(
            "send",
            tags={tags.SPAN_KIND: tags.SPAN_KIND_RPC_CLIENT, "request.id": request_id},
        )
        listener = ResponseListener(span)
        future = self.executor.submit(self._serve, request_id, listener)
        return listener, future

    @staticmethod
    def _serve(request_id, listener):
        time.sleep(random.uniform(0, 0.01))
        listener.on_response(f"answer-{request_id}")
        return threading.current_thread()


def _send_all(tracer):
    with ThreadPoolExecutor(max_workers=4) as executor:
        client = Client(tracer, executor)
        sent = [client.send(i) for i in range(REQUESTS)]
        done, not_done = wait([future for _, future in sent], timeout=5)
        assert not not_done, "responses did not arrive in time"
    assert all(future.result() is not threading.current_thread() for _, future in sent)
    return [listener for listener, _ in sent]


def _check_request_spans(tracer, listeners):
    spans = [s for s in tracer.finished_spans() if s.operation_name == "send"]
    assert len(spans) == REQUESTS
    assert len({s.context.span_id for s in spans}) == REQUESTS
    for i, listener in enumerate(listeners):
        span = get_one_by_tag(spans, "request.id", i)
        assert span is listener.span
        assert span.tags == {
            tags.SPAN_KIND: tags.SPAN_KIND_RPC_CLIENT,
            "request.id": i,
            "response": f"answer-{i}",
        }
        assert listener.calls == 1
        assert listener.active_at_response is None  # a worker thread has no active span
    return spans


def test_one_root_span_per_request():
    """With no active span, each request gets its own finished root span and trace."""
    tracer = MockTracer()
    listeners = _send_all(tracer)

    spans = _check_request_spans(tracer, listeners)
    assert all(s.parent_id is None for s in spans)
    assert len({s.context.trace_id for s in spans}) == REQUESTS
    assert tracer.active_span is None


def test_request_spans_are_children_of_the_active_span():
    """Requests sent under a parent become its children; the parent stays active and
    finishes after every response."""
    tracer = MockTracer()
    with tracer.start_active_span("batch") as scope:
        listeners = _send_all(tracer)
        assert tracer.active_span is scope.span

    spans = _check_request_spans(tracer, listeners)
    batch = tracer.finished_spans()[-1]
    assert batch.operation_name == "batch"
    assert all(s.parent_id == batch.context.span_id for s in spans)
    assert all(s.context.trace_id == batch.context.trace_id for s in spans)
    assert tracer.active_span is None
