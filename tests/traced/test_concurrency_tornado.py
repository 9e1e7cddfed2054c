"""Traced coroutines inside a Tornado IOLoop with TornadoScopeManager: native coroutines,
``@gen.coroutine`` and IOLoop callbacks all see the span active where they were started."""

from __future__ import annotations

import pytest
from tornado import gen
from tornado.ioloop import IOLoop

from opentracing.scope_managers.tornado import TornadoScopeManager, tracer_stack_context
from traced import active_span, span, trace

from ._tools import by_name, by_name_and_i

CHILDREN = 50
WAIT = 30  # seconds: run_sync timeout, so nothing hangs


@pytest.fixture
def tracer(install_mock_tracer):
    """A MockTracer on TornadoScopeManager, global for the test; nothing left active."""
    return install_mock_tracer(TornadoScopeManager())


@pytest.fixture
def io_loop():
    """A fresh IOLoop of its own (on a new asyncio loop), closed after the test."""
    loop = IOLoop()
    try:
        yield loop
    finally:
        loop.close(all_fds=True)


@trace("fetch", tag_args=["i"])
async def fetch(i):
    await gen.sleep(0)
    return active_span().tags["i"]


@trace("handle", tag_args=["i"])
async def handle(i):
    await gen.sleep(0)
    got = await fetch(i)
    assert active_span().tags["i"] == i
    return got


def test_concurrent_handlers_in_an_ioloop(tracer, io_loop):
    """50 traced handlers gathered under one traced request inside IOLoop.run_sync: each
    handler is a child of the request, each fetch a child of its own handler."""

    @trace("request")
    async def request():
        return await gen.multi([handle(i) for i in range(CHILDREN)])

    assert io_loop.run_sync(request, timeout=WAIT) == list(range(CHILDREN))
    spans = by_name_and_i(tracer)
    root = spans["request", None]
    assert root.parent_id is None
    for i in range(CHILDREN):
        assert spans["handle", i].parent_id == root.context.span_id
        assert spans["fetch", i].parent_id == spans["handle", i].context.span_id


def test_gen_coroutine_and_callbacks_inherit_the_active_span(tracer, io_loop):
    """A ``@gen.coroutine`` calling a traced coroutine, and a callback added with
    ``IOLoop.add_callback`` while a span is active, both parent their spans on it."""

    @gen.coroutine
    def legacy():
        result = yield fetch(1)
        return result

    done = []

    def callback():
        with span("callback"):
            done.append(active_span().operation_name)

    async def main():
        with span("outer") as outer:
            assert (await legacy()) == 1
            IOLoop.current().add_callback(callback)
        await gen.sleep(0.01)
        while not done:
            await gen.sleep(0.01)
        return outer

    outer = io_loop.run_sync(main, timeout=WAIT)
    spans = by_name(tracer)
    assert done == ["callback"]
    assert spans["fetch"].parent_id == outer.context.span_id
    assert spans["callback"].parent_id == outer.context.span_id


def test_tracer_stack_context_starts_fresh(tracer, io_loop):
    """Inside tracer_stack_context() a traced coroutine starts a root span even though a
    span is active outside, and the outer span is active again after the block."""

    async def main():
        with span("outer") as outer:
            with tracer_stack_context():
                await fetch(3)
            assert active_span() is outer

    io_loop.run_sync(main, timeout=WAIT)
    spans = by_name(tracer)
    assert spans["fetch"].parent_id is None
    assert spans["outer"].parent_id is None
