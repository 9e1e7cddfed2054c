"""Subtask span propagation with ContextVarsScopeManager: a task created while the parent
is active inherits it; ``no_parent_scope()`` starts one without a parent."""

import asyncio

from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.contextvars import ContextVarsScopeManager, no_parent_scope


async def subtask(tracer, name):
    await asyncio.sleep(0.001)
    with tracer.start_active_span(name) as scope:
        await asyncio.sleep(0.001)
        return scope.span


async def test_subtask_span_is_child_of_the_spawning_span():
    """The child span is parented to the spawning task's span, which stays active: the
    scope the subtask activates is not seen by the spawning task."""
    tracer = MockTracer(ContextVarsScopeManager())
    with tracer.start_active_span("parent") as scope:
        task = asyncio.ensure_future(subtask(tracer, "child"))
        await asyncio.sleep(0.001)
        assert tracer.active_span is scope.span
        child_span = await asyncio.wait_for(task, timeout=5)
        assert tracer.active_span is scope.span

    child, parent = tracer.finished_spans()
    assert child is child_span and parent is scope.span
    assert child.parent_id == parent.context.span_id
    assert child.context.trace_id == parent.context.trace_id
    assert tracer.active_span is None


async def test_subtask_without_parent():
    """A subtask created inside ``no_parent_scope()`` starts a trace of its own."""
    tracer = MockTracer(ContextVarsScopeManager())
    with tracer.start_active_span("parent") as scope:
        with no_parent_scope():
            task = asyncio.ensure_future(subtask(tracer, "detached"))
        assert tracer.active_span is scope.span
        detached = await asyncio.wait_for(task, timeout=5)

    assert detached.parent_id is None
    assert detached.context.trace_id != scope.span.context.trace_id
    assert [s.operation_name for s in tracer.finished_spans()] == ["detached", "parent"]
