"""@trace on async generator functions, under asyncio with the contextvars and asyncio
scope managers: the span opens at the first anext(), covers the whole iteration, is
active only while the generator's own code runs, and finishes on exhaustion, aclose(),
an exception or cancellation; asend()/athrow() pass through."""

from __future__ import annotations

import asyncio

import pytest

from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.asyncio import AsyncioScopeManager
from opentracing.scope_managers.contextvars import ContextVarsScopeManager
from traced import trace

from ._tools import by_name, cancel_once_started, exhaust, one_item_then_hang


@pytest.fixture(params=[ContextVarsScopeManager, AsyncioScopeManager], ids=["contextvars", "asyncio"])
def atracer(request, install_tracer):
    """A global MockTracer with an asyncio-aware scope manager."""
    return install_tracer(MockTracer(request.param()))


async def test_span_opens_at_first_anext_and_covers_iteration(atracer):
    """Calling the function starts nothing; the span starts at the first anext() (parent:
    the span active then), stays open across yields and finishes at exhaustion."""
    ran = []

    @trace("agen")
    async def agen():
        for i in range(3):
            ran.append(atracer.active_span)
            await asyncio.sleep(0)
            yield i

    it = agen()
    assert ran == []
    with atracer.start_active_span("first-anext"):
        assert await it.__anext__() == 0
    assert atracer.finished_spans()[0].operation_name == "first-anext"
    assert [x async for x in it] == [1, 2]
    spans = by_name(atracer)
    assert ran == [spans["agen"]] * 3
    assert spans["agen"].parent_id == spans["first-anext"].context.span_id
    assert [s.operation_name for s in atracer.finished_spans()] == ["first-anext", "agen"]


async def test_active_only_while_generator_code_runs(atracer):
    """Between steps the consumer's span is active; spans the consumer starts there are its
    children, and spans the generator starts are the generator's children."""

    @trace("agen")
    async def agen():
        for i in range(2):
            with atracer.start_active_span(f"gen-child{i}"):
                await asyncio.sleep(0)
            yield i

    with atracer.start_active_span("consumer") as consumer:
        async for i in agen():
            assert atracer.active_span is consumer.span
            with atracer.start_active_span(f"consumer-child{i}"):
                await asyncio.sleep(0)
    spans = by_name(atracer)
    gen_id = spans["agen"].context.span_id
    consumer_id = consumer.span.context.span_id
    assert spans["agen"].parent_id == consumer_id
    assert [spans[f"gen-child{i}"].parent_id for i in range(2)] == [gen_id, gen_id]
    assert [spans[f"consumer-child{i}"].parent_id for i in range(2)] == [consumer_id, consumer_id]


async def test_scope_kept_open_across_yield_is_never_active_in_consumer(atracer):
    """A scope held open by the async generator across a yield is active when it resumes
    but never in the consumer, and the consumer's span is active after the loop."""
    resumed = []

    @trace("agen")
    async def agen():
        with atracer.start_active_span("held") as held:
            yield 1
            resumed.append(atracer.active_span is held.span)
            yield 2

    with atracer.start_active_span("consumer") as consumer:
        async for _ in agen():
            assert atracer.active_span is consumer.span
        assert atracer.active_span is consumer.span
    assert resumed == [True]
    spans = by_name(atracer)
    assert spans["held"].parent_id == spans["agen"].context.span_id


async def test_aclose_finishes_span_without_error(atracer):
    """aclose() on a suspended traced async generator runs its cleanup (which may await)
    with the span active, finishes the span, and is not an error."""
    cleanup = []

    @trace("agen")
    async def agen():
        try:
            yield 1
            yield 2
        finally:
            await asyncio.sleep(0)
            cleanup.append(atracer.active_span)

    it = agen()
    assert await it.__anext__() == 1
    await it.aclose()
    [span] = atracer.finished_spans()
    assert cleanup == [span]
    assert "error" not in span.tags and span.logs == []
    assert atracer.active_span is None


async def test_break_out_of_async_for_then_aclose(atracer):
    """Breaking out of ``async for`` and closing the generator finishes its span."""

    @trace("agen")
    async def agen():
        for i in range(100):
            yield i

    it = agen()
    async for i in it:
        if i == 2:
            break
    assert atracer.finished_spans() == []
    await it.aclose()
    [span] = atracer.finished_spans()
    assert "error" not in span.tags


async def test_exception_is_recorded_and_propagates(atracer):
    """An exception from the async generator's code reaches the consumer as is and marks
    the span as an error."""
    boom = ValueError("boom")

    @trace("agen")
    async def agen():
        yield 1
        raise boom

    with pytest.raises(ValueError) as info:
        async for _ in agen():
            pass
    assert info.value is boom
    [span] = atracer.finished_spans()
    assert span.tags.get("error") is True
    assert span.logs[0].key_values["error.object"] is boom


async def test_athrow_caught_keeps_span_open_and_uncaught_records(atracer):
    """athrow() of an exception the generator catches (and yields again) leaves the span
    open; one it does not catch finishes the span with the error recorded."""

    @trace("agen")
    async def agen():
        while True:
            try:
                yield "ok"
            except LookupError:
                yield "handled"

    it = agen()
    assert await it.__anext__() == "ok"
    assert await it.athrow(LookupError("first")) == "handled"
    assert atracer.finished_spans() == []
    fatal = TypeError("fatal")
    with pytest.raises(TypeError) as info:
        await it.athrow(fatal)
    assert info.value is fatal
    [span] = atracer.finished_spans()
    assert span.tags.get("error") is True
    assert [log.key_values["error.object"] for log in span.logs] == [fatal]


async def test_asend_values_pass_through(atracer):
    """Values sent with asend() reach the generator, and its replies come back."""

    @trace("echo")
    async def echo():
        received = None
        while True:
            received = yield f"got {received}"

    it = echo()
    assert await it.asend(None) == "got None"
    assert await it.asend(1) == "got 1"
    assert await it.asend("x") == "got x"
    await it.aclose()
    [span] = atracer.finished_spans()
    assert "error" not in span.tags


async def test_cancellation_while_suspended_inside_generator(atracer):
    """Cancelling the task while the async generator's own code awaits finishes its span
    tagged cancelled (not error) and the CancelledError reaches the task."""
    entered = asyncio.Event()

    agen = trace("agen")(one_item_then_hang)
    await cancel_once_started(exhaust(agen(entered)), entered)
    [span] = atracer.finished_spans()
    assert span.tags.get("cancelled") is True
    assert "error" not in span.tags


async def test_nested_traced_async_generators(atracer):
    """A traced async generator iterating another one is its parent."""

    @trace("inner")
    async def inner():
        yield "a"
        yield "b"

    @trace("outer")
    async def outer():
        async for x in inner():
            yield x.upper()

    assert [x async for x in outer()] == ["A", "B"]
    spans = by_name(atracer)
    assert spans["inner"].parent_id == spans["outer"].context.span_id
    assert atracer.active_span is None


async def test_concurrent_consumers_keep_their_own_spans(atracer):
    """Two tasks iterating traced async generators concurrently each see only their own
    span inside their generator and their own consumer span outside it."""

    @trace("agen", tag_args=("name",))
    async def agen(name):
        for _ in range(3):
            assert atracer.active_span.tags["name"] == name
            await asyncio.sleep(0)
            yield name

    async def consume(name):
        with atracer.start_active_span(f"consumer-{name}") as scope:
            async for got in agen(name):
                assert got == name
                assert atracer.active_span is scope.span
                await asyncio.sleep(0)
            return scope.span

    a, b = await asyncio.wait_for(asyncio.gather(consume("a"), consume("b")), timeout=10)
    spans = [s for s in atracer.finished_spans() if s.operation_name == "agen"]
    parents = {s.tags["name"]: s.parent_id for s in spans}
    assert parents == {"a": a.context.span_id, "b": b.context.span_id}
