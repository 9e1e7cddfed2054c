"""Listener per request with ContextVarsScopeManager: ``loop.call_later`` callbacks deliver
the responses. They inherit the caller's active span, yet each listener finishes the span
it carries, not the active one."""

import asyncio
import random

from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.contextvars import ContextVarsScopeManager

from .checks import check_children_of_batch, check_root_spans, response_for, start_request

REQUESTS = 8


class Client:
    def __init__(self, tracer):
        self.tracer = tracer

    def send(self, request_id):
        """Start the request's span; a timer callback will give its listener the response."""
        loop = asyncio.get_running_loop()
        listener = start_request(self.tracer, request_id, done=loop.create_future())
        loop.call_later(random.uniform(0, 0.01), listener.on_response, response_for(request_id))
        return listener


async def _send_all(tracer):
    client = Client(tracer)
    listeners = [client.send(i) for i in range(REQUESTS)]
    await asyncio.wait_for(asyncio.gather(*(lst.done for lst in listeners)), timeout=5)
    return listeners


async def test_one_root_span_per_request():
    """With no active span, each request gets its own finished root span and trace."""
    tracer = MockTracer(ContextVarsScopeManager())
    listeners = await _send_all(tracer)

    check_root_spans(tracer, listeners)


async def test_request_spans_are_children_of_the_active_span():
    """Requests sent under a parent become its children. The callbacks see the parent as
    active (inherited context) but finish only their own span; the parent finishes last."""
    tracer = MockTracer(ContextVarsScopeManager())
    with tracer.start_active_span("batch") as scope:
        listeners = await _send_all(tracer)
        assert tracer.active_span is scope.span

    # call_later copies the caller's context: the callbacks saw batch as active.
    check_children_of_batch(tracer, listeners, batch_active_at_response=True)
