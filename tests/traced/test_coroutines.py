"""@trace on ``async def``: the span covers the awaited execution (not the creation of
the coroutine object), return values and exceptions pass through, and cancellation is
recorded as ``cancelled``, not as an error."""

from __future__ import annotations

import asyncio

import pytest

from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.asyncio import AsyncioScopeManager
from opentracing.scope_managers.contextvars import ContextVarsScopeManager
from traced import trace

from ._tools import by_name, cancel_once_started


@pytest.fixture(params=[ContextVarsScopeManager, AsyncioScopeManager], ids=["contextvars", "asyncio"])
def atracer(request, install_tracer):
    """A global MockTracer with an asyncio-aware scope manager."""
    return install_tracer(MockTracer(request.param()))


async def test_creating_the_coroutine_starts_no_span(atracer):
    """Calling the traced coroutine function only creates the coroutine: no span is started
    (nor left active) until it is awaited, and the span is finished when the await ends."""
    started = []

    @trace("work")
    async def work():
        started.append(atracer.active_span)
        await asyncio.sleep(0)
        return "done"

    coro = work()
    assert atracer.active_span is None and started == [] and atracer.finished_spans() == []
    await asyncio.sleep(0)
    assert atracer.finished_spans() == []
    assert await coro == "done"
    [span] = atracer.finished_spans()
    assert started == [span] and span.operation_name == "work"


async def test_unawaited_coroutine_never_makes_a_span(atracer):
    """A traced coroutine that is closed without being awaited leaves no span at all."""

    @trace("never")
    async def never():
        raise AssertionError("not run")

    coro = never()
    coro.close()
    assert atracer.finished_spans() == [] and atracer.active_span is None


async def test_span_stays_active_across_awaits_and_parents_children(atracer):
    """The span is active in the coroutine before and after its awaits, and spans started
    inside (directly, or by a traced coroutine it awaits, or a task it creates) are its
    children; afterwards the caller's active span is back."""

    @trace("child")
    async def child():
        await asyncio.sleep(0)

    @trace("parent")
    async def parent():
        before = atracer.active_span
        await asyncio.sleep(0)
        await child()
        with atracer.start_active_span("inline"):
            await asyncio.sleep(0)
        assert atracer.active_span is before
        return before

    with atracer.start_active_span("outer") as outer:
        parent_span = await parent()
        assert atracer.active_span is outer.span
    spans = by_name(atracer)
    assert parent_span is spans["parent"]
    assert spans["parent"].parent_id == spans["outer"].context.span_id
    assert spans["child"].parent_id == spans["parent"].context.span_id
    assert spans["inline"].parent_id == spans["parent"].context.span_id


async def test_exception_is_recorded_and_propagates(atracer):
    """An exception from the coroutine is re-raised as is and marks the span as an error."""
    boom = ValueError("boom")

    @trace("fails")
    async def fails():
        await asyncio.sleep(0)
        raise boom

    with pytest.raises(ValueError) as info:
        await fails()
    assert info.value is boom
    [span] = atracer.finished_spans()
    assert span.tags.get("error") is True
    assert span.logs[0].key_values["error.object"] is boom
    assert atracer.active_span is None


async def test_cancellation_is_tagged_cancelled_not_error(atracer):
    """Cancelling the task awaiting a traced coroutine finishes the span with
    cancelled=True and no error tag, and the CancelledError reaches the awaiter."""
    entered = asyncio.Event()

    @trace("slow")
    async def slow():
        entered.set()
        await asyncio.Event().wait()  # never set: only cancellation ends this

    await cancel_once_started(slow(), entered)
    [span] = atracer.finished_spans()
    assert span.tags.get("cancelled") is True
    assert "error" not in span.tags
    assert all(log.key_values.get("event") != "error" for log in span.logs)


async def test_cancellation_inside_nested_traced_coroutines(atracer):
    """Cancellation reaching nested traced coroutines marks each of their spans cancelled
    and finishes them all; the awaiting task sees CancelledError."""
    entered = asyncio.Event()

    @trace("inner")
    async def inner():
        entered.set()
        await asyncio.sleep(3600)

    @trace("outer")
    async def outer():
        await inner()

    await cancel_once_started(outer(), entered)
    spans = atracer.finished_spans()
    assert [s.operation_name for s in spans] == ["inner", "outer"]
    assert all(s.tags.get("cancelled") is True and "error" not in s.tags for s in spans)


async def test_concurrent_calls_get_separate_spans(atracer):
    """Traced coroutines running concurrently in tasks each get a span of their own whose
    children are their own."""

    @trace("leaf")
    async def leaf():
        await asyncio.sleep(0)

    @trace("job", tag_args=("n",))
    async def job(n):
        await asyncio.sleep(0)
        await leaf()
        return atracer.active_span

    job_spans = await asyncio.wait_for(asyncio.gather(*(job(n) for n in range(5))), timeout=10)
    finished = atracer.finished_spans()
    leaves = [s for s in finished if s.operation_name == "leaf"]
    assert sorted(s.tags["n"] for s in job_spans) == list(range(5))
    assert sorted(s.parent_id for s in leaves) == sorted(s.context.span_id for s in job_spans)
    assert all(s.parent_id is None for s in job_spans)


async def test_traced_async_method_and_callable_object(atracer):
    """Async methods and async callable objects are traced over their awaited run."""

    class Client:
        @trace
        async def fetch(self, key):
            await asyncio.sleep(0)
            return key * 2

        async def __call__(self, x):
            return -x

    client = Client()
    traced_call = trace("call")(client)
    assert await client.fetch(2) == 4
    assert await traced_call(3) == -3
    names = [s.operation_name for s in atracer.finished_spans()]
    assert names == [f"{__name__}.test_traced_async_method_and_callable_object.<locals>.Client.fetch", "call"]
