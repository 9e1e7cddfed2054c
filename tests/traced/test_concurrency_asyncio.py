"""Traced coroutines running concurrently on one event loop get exact parents, with the
scope managers made for asyncio: Asyncio, ContextVars and Tornado.

AsyncioScopeManager keeps the active scope on the task, and a new task starts with none;
so there, work started in new tasks (asyncio.gather wraps each coroutine in a task) must be
wrapped with ``traced.propagate`` to be parented. ContextVars and Tornado managers need no
help: a new task copies the context, and with it the active scope.
"""

from __future__ import annotations

import asyncio

import pytest

from opentracing.scope_managers.asyncio import AsyncioScopeManager
from traced import active_span, propagate, span, trace

from ._tools import ASYNCIO_MANAGERS, by_name_and_i

CHILDREN = 100
WAIT = 30  # seconds: bound on every gather, so nothing hangs


@pytest.fixture(params=list(ASYNCIO_MANAGERS))
def tracer(request, install_mock_tracer):
    """A MockTracer on the given manager, global for the test; no span may be left active."""
    return install_mock_tracer(ASYNCIO_MANAGERS[request.param]())


def inherits(tracer):
    """Whether new tasks see the active span by themselves (not so for AsyncioScopeManager)."""
    return not isinstance(tracer.scope_manager, AsyncioScopeManager)


@trace("leaf", tag_args=["i"])
async def leaf(i):
    await asyncio.sleep(0)
    return active_span().operation_name


@trace("child", tag_args=["i"])
async def child(i):
    await asyncio.sleep(0)  # let the other children run in between
    name = await leaf(i)
    await asyncio.sleep(0)
    assert active_span().tags["i"] == i  # still this child's span, not a sibling's
    return name


async def test_nested_traced_coroutines(tracer):
    """Three nested traced coroutines awaited in one task give an exact chain."""

    @trace("root")
    async def root():
        return await child(7)

    assert await root() == "leaf"
    spans = by_name_and_i(tracer)
    assert spans["leaf", 7].parent_id == spans["child", 7].context.span_id
    assert spans["child", 7].parent_id == spans["root", None].context.span_id
    assert spans["root", None].parent_id is None
    assert active_span() is None


async def test_gathered_children_are_direct_children_of_the_parent(tracer):
    """100 traced coroutines gathered under one traced parent, interleaving at every await:
    each is a direct child of the parent and the parent of its own leaf, no cross-talk.
    With AsyncioScopeManager they are started through propagate(); with the others the
    tasks inherit the parent by themselves."""

    @trace("parent")
    async def parent():
        run = propagate(child) if not inherits(tracer) else child
        results = await asyncio.wait_for(asyncio.gather(*(run(i) for i in range(CHILDREN))), WAIT)
        assert active_span().operation_name == "parent"
        return results

    assert await parent() == ["leaf"] * CHILDREN
    spans = by_name_and_i(tracer)
    assert len(spans) == 2 * CHILDREN + 1
    parent_span = spans["parent", None]
    assert parent_span.parent_id is None
    for i in range(CHILDREN):
        assert spans["child", i].parent_id == parent_span.context.span_id
        assert spans["leaf", i].parent_id == spans["child", i].context.span_id
        assert spans["leaf", i].context.trace_id == parent_span.context.trace_id
    assert active_span() is None


async def test_asyncio_manager_tasks_without_propagate_are_roots(install_mock_tracer):
    """The documented limit of AsyncioScopeManager: a gathered coroutine not wrapped with
    propagate() starts in a task with no active span, so its span is a root."""
    tracer = install_mock_tracer(AsyncioScopeManager())
    with span("parent"):
        await asyncio.wait_for(asyncio.gather(*(child(i) for i in range(10))), WAIT)
    spans = by_name_and_i(tracer)
    for i in range(10):
        assert spans["child", i].parent_id is None
        assert spans["leaf", i].parent_id == spans["child", i].context.span_id
    assert active_span() is None


async def test_sibling_tasks_do_not_see_each_others_spans(tracer):
    """Tasks started with no active span, each opening a span and yielding while it is
    open: none sees another's span as active or as its parent."""
    seen = {}

    @trace("worker", tag_args=["i"])
    async def worker(i):
        for _ in range(3):
            await asyncio.sleep(0)
            seen.setdefault(i, set()).add(active_span().tags["i"])

    await asyncio.wait_for(asyncio.gather(*(worker(i) for i in range(CHILDREN))), WAIT)
    assert seen == {i: {i} for i in range(CHILDREN)}
    assert all(s.parent_id is None for s in tracer.finished_spans())
    assert active_span() is None


async def test_async_with_span_in_concurrent_tasks(tracer):
    """``async with span(...)`` blocks in concurrent tasks parent only their own work."""

    async def work(i):
        async with span("block", tags={"i": i}):
            await asyncio.sleep(0)
            return await leaf(i)

    with span("request") as request:
        run = work if inherits(tracer) else propagate(work)  # captures "request"
        await asyncio.wait_for(asyncio.gather(*(run(i) for i in range(20))), WAIT)
    spans = by_name_and_i(tracer)
    for i in range(20):
        assert spans["block", i].parent_id == request.context.span_id
        assert spans["leaf", i].parent_id == spans["block", i].context.span_id
    assert active_span() is None
