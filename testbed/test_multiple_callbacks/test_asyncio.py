"""Multiple callbacks with asyncio tasks and AsyncioScopeManager: tasks created while the
parent is active do not see it, so the parent span is passed in and activated there."""

import asyncio
import random

from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.asyncio import AsyncioScopeManager

from .checks import CALLBACKS, check_spans, task_tags


async def task(tracer, parent, index):
    active_at_start = tracer.active_span
    await asyncio.sleep(random.uniform(0, 0.01))
    with tracer.scope_manager.activate(parent, False):
        with tracer.start_active_span("task", tags=task_tags(index)):
            await asyncio.sleep(random.uniform(0, 0.005))
    return active_at_start


async def test_callbacks_are_children_of_the_parent():
    """Every task's span is a direct child of the parent, which finishes last."""
    tracer = MockTracer(AsyncioScopeManager())
    with tracer.start_active_span("parent") as scope:
        tasks = [
            asyncio.ensure_future(task(tracer, scope.span, i)) for i in range(CALLBACKS)
        ]
        active_at_start = await asyncio.wait_for(asyncio.gather(*tasks), timeout=5)
        assert tracer.active_span is scope.span
    assert active_at_start == [None] * CALLBACKS  # nothing propagates to a new task

    check_spans(tracer)
