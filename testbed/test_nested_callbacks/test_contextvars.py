"""Nested callbacks with ContextVarsScopeManager: a chain of ``loop.call_soon`` callbacks,
each scheduled by the previous one, all inheriting the span active when the first was
scheduled; the last one finishes it."""

import asyncio

from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.contextvars import ContextVarsScopeManager

from .checks import STEPS, check_span, tag_step


async def test_one_span_through_the_pipeline():
    """One span with a tag per step, in order, active in every step, finished by the last."""
    tracer = MockTracer(ContextVarsScopeManager())
    loop = asyncio.get_running_loop()
    seen = []
    finished = loop.create_future()

    def step(number):
        span = tracer.active_span
        seen.append((number, span is not None and not span.finished))
        tag_step(span, number)
        if number < STEPS:
            loop.call_soon(step, number + 1)
        else:
            span.finish()
            finished.set_result(span)

    with tracer.start_active_span("one", finish_on_close=False):
        loop.call_soon(step, 1)
    assert tracer.active_span is None
    span = await asyncio.wait_for(finished, timeout=5)

    check_span(tracer, span)
    assert seen == [(n, True) for n in range(1, STEPS + 1)]
