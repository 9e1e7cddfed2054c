"""Listener per request with asyncio tasks and AsyncioScopeManager: one task per request
delivers the response to the listener that carries the request's span."""

import asyncio
import random

from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.asyncio import AsyncioScopeManager

from .checks import check_children_of_batch, check_root_spans, response_for, start_request

REQUESTS = 8


class Client:
    def __init__(self, tracer):
        self.tracer = tracer

    def send(self, request_id):
        """Start the request's span and a task that will give its listener the response."""
        listener = start_request(self.tracer, request_id)
        task = asyncio.ensure_future(self._serve(request_id, listener))
        return listener, task

    @staticmethod
    async def _serve(request_id, listener):
        await asyncio.sleep(random.uniform(0, 0.01))
        listener.on_response(response_for(request_id))


async def _send_all(tracer):
    client = Client(tracer)
    sent = [client.send(i) for i in range(REQUESTS)]
    await asyncio.wait_for(asyncio.gather(*(task for _, task in sent)), timeout=5)
    return [listener for listener, _ in sent]


async def test_one_root_span_per_request():
    """With no active span, each request gets its own finished root span and trace."""
    tracer = MockTracer(AsyncioScopeManager())
    listeners = await _send_all(tracer)

    check_root_spans(tracer, listeners)


async def test_request_spans_are_children_of_the_active_span():
    """Requests sent under a parent become its children; the parent stays active while
    the responses arrive and finishes after all of them."""
    tracer = MockTracer(AsyncioScopeManager())
    with tracer.start_active_span("batch") as scope:
        listeners = await _send_all(tracer)
        assert tracer.active_span is scope.span

    # A new task starts with no scope, so the listeners saw no active span.
    check_children_of_batch(tracer, listeners, batch_active_at_response=False)
