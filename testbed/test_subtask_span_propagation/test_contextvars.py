"""Subtask span propagation with ContextVarsScopeManager: a task created while the parent
is active inherits it; ``no_parent_scope()`` starts one without a parent."""

import asyncio

from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.contextvars import ContextVarsScopeManager, no_parent_scope

from .checks import check_detached, check_parentage


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

    child, parent = check_parentage(tracer, ["child", "parent"])
    assert child is child_span and parent is scope.span


async def test_subtask_without_parent():
    """A subtask created inside ``no_parent_scope()`` starts a trace of its own."""
    tracer = MockTracer(ContextVarsScopeManager())
    with tracer.start_active_span("parent") as scope:
        with no_parent_scope():
            task = asyncio.ensure_future(subtask(tracer, "detached"))
        assert tracer.active_span is scope.span
        detached = await asyncio.wait_for(task, timeout=5)

    check_detached(tracer, detached, scope.span)
