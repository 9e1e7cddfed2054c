"""Subtask span propagation with asyncio tasks and AsyncioScopeManager: the subtask task is
given the parent span and activates it; without it, it would start a new trace."""

import asyncio

from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.asyncio import AsyncioScopeManager

from .checks import check_parentage


async def subtask(tracer, parent):
    assert tracer.active_span is None  # nothing is inherited by a new task
    await asyncio.sleep(0.001)
    with tracer.scope_manager.activate(parent, False):
        with tracer.start_active_span("child"):
            await asyncio.sleep(0.001)
            return "done"


async def test_subtask_span_is_child_of_the_spawning_span():
    """The child span is parented to the spawning task's span, which stays active."""
    tracer = MockTracer(AsyncioScopeManager())
    with tracer.start_active_span("parent") as scope:
        task = asyncio.ensure_future(subtask(tracer, scope.span))
        await asyncio.sleep(0)
        assert tracer.active_span is scope.span
        assert await asyncio.wait_for(task, timeout=5) == "done"
        assert tracer.active_span is scope.span

    check_parentage(tracer, ["child", "parent"])
