"""Multiple callbacks with asyncio tasks and AsyncioScopeManager: tasks created while the
parent is active do not see it, so the parent span is passed in and activated there."""

import asyncio
import random

from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.asyncio import AsyncioScopeManager

from ..utils import get_one_by_operation_name, get_one_by_tag

CALLBACKS = 10


async def task(tracer, parent, index):
    active_at_start = tracer.active_span
    await asyncio.sleep(random.uniform(0, 0.01))
    with tracer.scope_manager.activate(parent, False):
        with tracer.start_active_span("task", tags={"task.index": index}):
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

    spans = tracer.finished_spans()
    assert len(spans) == CALLBACKS + 1
    parent = get_one_by_operation_name(spans, "parent")
    assert spans[-1] is parent
    for i in range(CALLBACKS):
        child = get_one_by_tag(spans, "task.index", i)
        assert child.operation_name == "task"
        assert child.parent_id == parent.context.span_id
        assert child.context.trace_id == parent.context.trace_id
    assert tracer.active_span is None
