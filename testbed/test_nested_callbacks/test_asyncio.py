"""Nested callbacks with asyncio tasks and AsyncioScopeManager: each step is a task created
by the previous one with the span as argument; the last step finishes the span."""

import asyncio

from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.asyncio import AsyncioScopeManager

from .checks import STEPS, check_span, tag_step


async def test_one_span_through_the_pipeline():
    """One span with a tag per step, in order, active in every step, finished by the last."""
    tracer = MockTracer(AsyncioScopeManager())
    seen = []
    finished = asyncio.get_running_loop().create_future()

    async def step(span, number):
        active_before = tracer.active_span
        await asyncio.sleep(0.001)
        finish = number == STEPS
        with tracer.scope_manager.activate(span, finish):
            seen.append((number, active_before, tracer.active_span is span, span.finished))
            tag_step(span, number)
            if not finish:
                asyncio.ensure_future(step(span, number + 1))
        if finish:
            finished.set_result(number)

    with tracer.start_active_span("one", finish_on_close=False) as scope:
        asyncio.ensure_future(step(scope.span, 1))
    assert tracer.active_span is None
    assert await asyncio.wait_for(finished, timeout=5) == STEPS

    span = scope.span
    check_span(tracer, span)
    # A new task sees no active span until the step activates the one it was given.
    assert seen == [(n, None, True, False) for n in range(1, STEPS + 1)]
