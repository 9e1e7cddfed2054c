"""Multiple callbacks with ContextVarsScopeManager: tasks and ``loop.call_later``
callbacks created while the parent is active inherit it without being given the span."""

import asyncio
import random

from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.contextvars import ContextVarsScopeManager

from ..utils import get_one_by_operation_name, get_one_by_tag

CALLBACKS = 10


async def task(tracer, index):
    await asyncio.sleep(random.uniform(0, 0.01))
    with tracer.start_active_span("task", tags={"task.index": index}):
        await asyncio.sleep(random.uniform(0, 0.005))


def callback(tracer, index, done):
    with tracer.start_active_span("task", tags={"task.index": index}):
        pass
    done.set_result(index)


async def test_callbacks_are_children_of_the_parent():
    """Tasks (even indexes) and timer callbacks (odd indexes) all become direct children
    of the parent, which finishes last."""
    tracer = MockTracer(ContextVarsScopeManager())
    loop = asyncio.get_running_loop()
    with tracer.start_active_span("parent") as scope:
        waits = []
        for i in range(CALLBACKS):
            if i % 2 == 0:
                waits.append(asyncio.ensure_future(task(tracer, i)))
            else:
                done = loop.create_future()
                loop.call_later(random.uniform(0, 0.01), callback, tracer, i, done)
                waits.append(done)
        await asyncio.wait_for(asyncio.gather(*waits), timeout=5)
        assert tracer.active_span is scope.span

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
