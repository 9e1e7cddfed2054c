"""Traced generators and async generators consumed concurrently by several tasks (and
greenlets) keep their spans apart: a generator's span is active only while its own code
runs, so spans the consumer opens between steps are not its children, and spans opened
inside the generator are never the consumer's or another consumer's."""

from __future__ import annotations

import asyncio

import gevent
import pytest

from opentracing.scope_managers.gevent import GeventScopeManager
from traced import active_span, span, trace

from ._tools import ASYNCIO_MANAGERS

TASKS = 20
ITEMS = 3
WAIT = 30  # seconds: bound on every gather/join, so nothing hangs


@pytest.fixture(params=list(ASYNCIO_MANAGERS))
def tracer(request, install_mock_tracer):
    """A MockTracer on each asyncio-ready manager, global for the test; nothing left active."""
    return install_mock_tracer(ASYNCIO_MANAGERS[request.param]())


@trace("produce", tag_args=["i"])
def produce(i):
    for n in range(ITEMS):
        with span("make", tags={"i": i, "n": n}):
            yield active_span().tags["i"]


@trace("aproduce", tag_args=["i"])
async def aproduce(i):
    for n in range(ITEMS):
        async with span("amake", tags={"i": i, "n": n}):
            await asyncio.sleep(0)
            yield active_span().tags["i"]


def check(tracer, gen_name, item_name):
    """Per consumer i: its generator span is a child of consume(i); every item span of
    generator i is its child; every use span of consumer i is a child of consume(i)."""
    spans = tracer.finished_spans()
    consume = {s.tags["i"]: s for s in spans if s.operation_name == "consume"}
    gens = {s.tags["i"]: s for s in spans if s.operation_name == gen_name}
    assert len(consume) == len(gens) == TASKS
    for s in spans:
        if s.operation_name == item_name:
            assert s.parent_id == gens[s.tags["i"]].context.span_id
        elif s.operation_name == "use":
            assert s.parent_id == consume[s.tags["i"]].context.span_id
    for i in range(TASKS):
        assert gens[i].parent_id == consume[i].context.span_id
    assert sum(s.operation_name == "use" for s in spans) == TASKS * ITEMS


async def test_sync_generators_consumed_by_concurrent_tasks(tracer):
    """Each of 20 tasks iterates its own traced generator, opening a span of its own and
    yielding to the other tasks between items: no span crosses between consumers."""

    @trace("consume", tag_args=["i"])
    async def consume(i):
        got = []
        for value in produce(i):
            with span("use", tags={"i": i}):
                await asyncio.sleep(0)
                got.append(value)
            assert active_span().operation_name == "consume"
        return got

    results = await asyncio.wait_for(asyncio.gather(*(consume(i) for i in range(TASKS))), WAIT)
    assert results == [[i] * ITEMS for i in range(TASKS)]
    check(tracer, "produce", "make")
    assert active_span() is None


async def test_async_generators_consumed_by_concurrent_tasks(tracer):
    """The same with traced async generators that await while their item span is open."""

    @trace("consume", tag_args=["i"])
    async def consume(i):
        got = []
        async for value in aproduce(i):
            assert active_span().operation_name == "consume"
            with span("use", tags={"i": i}):
                await asyncio.sleep(0)
                got.append(value)
        return got

    results = await asyncio.wait_for(asyncio.gather(*(consume(i) for i in range(TASKS))), WAIT)
    assert results == [[i] * ITEMS for i in range(TASKS)]
    check(tracer, "aproduce", "amake")
    assert active_span() is None


async def test_one_generator_shared_by_several_tasks(tracer):
    """Several tasks take turns pulling from one traced generator: its item spans stay its
    children whichever task resumes it, and no task sees them."""

    gen = produce(99)
    seen = []

    async def pull(k):
        with span("puller", tags={"k": k}):
            for _ in range(ITEMS):
                await asyncio.sleep(0)
                value = next(gen, None)
                seen.append((k, active_span().tags["k"], value))

    await asyncio.wait_for(asyncio.gather(*(pull(k) for k in range(3))), WAIT)
    assert all(k == active_k for k, active_k, _ in seen)
    assert [v for _, _, v in seen if v is not None] == [99] * ITEMS
    spans = tracer.finished_spans()
    gen_span = next(s for s in spans if s.operation_name == "produce")
    makes = [s for s in spans if s.operation_name == "make"]
    assert len(makes) == ITEMS
    assert all(m.parent_id == gen_span.context.span_id for m in makes)
    assert active_span() is None


def test_generators_consumed_by_concurrent_greenlets(install_mock_tracer):
    """Traced generators consumed by 20 greenlets (GeventScopeManager), switching between
    items: the same separation holds."""
    tracer = install_mock_tracer(GeventScopeManager())

    @trace("consume", tag_args=["i"])
    def consume(i):
        got = []
        for value in produce(i):
            with span("use", tags={"i": i}):
                gevent.sleep(0)
                got.append(value)
        return got

    greenlets = [gevent.spawn(consume, i) for i in range(TASKS)]
    assert len(gevent.joinall(greenlets, timeout=WAIT, raise_error=True)) == TASKS
    assert [g.value for g in greenlets] == [[i] * ITEMS for i in range(TASKS)]
    check(tracer, "produce", "make")
    assert tracer.active_span is None
