"""Listener per request with ContextVarsScopeManager: ``loop.call_later`` callbacks deliver
the responses. They inherit the caller's active span, yet each listener finishes the span
it carries, not the active one."""

import asyncio
import random

from opentracing import tags
from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.contextvars import ContextVarsScopeManager

from ..utils import get_one_by_tag

REQUESTS = 8


class ResponseListener:
    """Finishes the span of one request when its response arrives."""

    def __init__(self, span):
        self.span = span
        self.calls = 0
        self.active_at_response = "unset"
        self.done = asyncio.get_running_loop().create_future()

    def on_response(self, response):
        self.calls += 1
        self.active_at_response = self.span.tracer.active_span
        self.span.set_tag("response", response)
        self.span.finish()
        self.done.set_result(response)


class Client:
    def __init__(self, tracer):
        self.tracer = tracer

    def send(self, request_id):
        span = self.tracer.start_span(
            "send",
            tags={tags.SPAN_KIND: tags.SPAN_KIND_RPC_CLIENT, "request.id": request_id},
        )
        listener = ResponseListener(span)
        asyncio.get_running_loop().call_later(
            random.uniform(0, 0.01), listener.on_response, f"answer-{request_id}"
        )
        return listener


async def _send_all(tracer):
    client = Client(tracer)
    listeners = [client.send(i) for i in range(REQUESTS)]
    await asyncio.wait_for(asyncio.gather(*(lst.done for lst in listeners)), timeout=5)
    return listeners


def _check_request_spans(tracer, listeners):
    spans = [s for s in tracer.finished_spans() if s.operation_name == "send"]
    assert len(spans) == REQUESTS
    assert len({s.context.span_id for s in spans}) == REQUESTS
    for i, listener in enumerate(listeners):
        span = get_one_by_tag(spans, "request.id", i)
        assert span is listener.span
        assert span.tags["response"] == f"answer-{i}"
        assert span.tags[tags.SPAN_KIND] == tags.SPAN_KIND_RPC_CLIENT
        assert listener.calls == 1
    return spans


async def test_one_root_span_per_request():
    """With no active span, each request gets its own finished root span and trace."""
    tracer = MockTracer(ContextVarsScopeManager())
    listeners = await _send_all(tracer)

    spans = _check_request_spans(tracer, listeners)
    assert all(s.parent_id is None for s in spans)
    assert all(lst.active_at_response is None for lst in listeners)
    assert len({s.context.trace_id for s in spans}) == REQUESTS
    assert tracer.active_span is None


async def test_request_spans_are_children_of_the_active_span():
    """Requests sent under a parent become its children. The callbacks see the parent as
    active (inherited context) but finish only their own span; the parent finishes last."""
    tracer = MockTracer(ContextVarsScopeManager())
    with tracer.start_active_span("batch") as scope:
        listeners = await _send_all(tracer)
        assert tracer.active_span is scope.span

    spans = _check_request_spans(tracer, listeners)
    batch = tracer.finished_spans()[-1]
    assert batch.operation_name == "batch"
    assert all(lst.active_at_response is batch for lst in listeners)
    assert all(s.parent_id == batch.context.span_id for s in spans)
    assert all(s.context.trace_id == batch.context.trace_id for s in spans)
    assert tracer.active_span is None
