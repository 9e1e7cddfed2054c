"""Multiple callbacks with ContextVarsScopeManager: tasks and ``loop.call_later``
callbacks created while the parent is active inherit it without being given the span."""

import asyncio
import random

from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.contextvars import ContextVarsScopeManager

from .checks import CALLBACKS, check_spans, task_tags


async def task(tracer, index):
    await asyncio.sleep(random.uniform(0, 0.01))
    with tracer.start_active_span("task", tags=task_tags(index)):
        await asyncio.sleep(random.uniform(0, 0.005))


def callback(tracer, index, done):
    with tracer.start_active_span("task", tags=task_tags(index)):
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

    check_spans(tracer)
