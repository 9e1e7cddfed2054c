"""Every traced path finishes each span exactly once and closes each scope exactly once
(never twice), and leaves the span that was active before active again: success, error,
BaseException, generator exhaustion / close / throw / garbage collection, coroutine and
async generator cancellation."""

from __future__ import annotations

import asyncio
import gc

import pytest

from opentracing.scope_managers.contextvars import ContextVarsScopeManager
from traced import trace

from ._tools import (
    CountingStackScopeManager,
    CountingTracer,
    PlainScopeManager,
    cancel_once_started,
    exhaust,
    one_item_then_hang,
)


class Boom(Exception):
    pass


class Interrupt(BaseException):
    pass


@pytest.fixture(params=[CountingStackScopeManager, PlainScopeManager], ids=["stack", "plain"])
def ctracer(request, install_tracer):
    """A global CountingTracer on a counting stack manager or a plain public-API manager."""
    return install_tracer(CountingTracer(request.param()))


def assert_scopes_closed_once(tracer, generator=False):
    """Each scope closed exactly once; with a stack manager a generator's scope is swapped
    in and out rather than closed, so it may be closed at most once."""
    manager = tracer.scope_manager
    assert manager.scopes
    for scope in manager.scopes:
        count = manager.closes[id(scope)]
        if generator and isinstance(manager, CountingStackScopeManager) and scope.span in tracer.started:
            assert count <= 1, scope
        else:
            assert count == 1, (scope.span, count)


# --- plain functions -------------------------------------------------------------------


def call_ok():
    @trace("f")
    def f():
        return 1

    assert f() == 1


def call_error():
    @trace("f")
    def f():
        raise Boom()

    with pytest.raises(Boom):
        f()


def call_base_exception():
    @trace("f")
    def f():
        raise Interrupt()

    with pytest.raises(Interrupt):
        f()


def call_nested_error():
    @trace("inner")
    def inner():
        raise Boom()

    @trace("outer")
    def outer():
        inner()

    with pytest.raises(Boom):
        outer()


@pytest.mark.parametrize("scenario", [call_ok, call_error, call_base_exception, call_nested_error])
def test_functions(ctracer, scenario):
    """Functions: one finish per span and one close per scope on success and failure; the
    outer span is active again afterwards."""
    with ctracer.start_active_span("outer") as outer:
        scenario()
        assert ctracer.active_span is outer.span
    ctracer.assert_each_span_finished_once()
    assert_scopes_closed_once(ctracer)


# --- generators ------------------------------------------------------------------------


@trace("g")
def three():
    with trace_child():
        pass
    yield 1
    yield 2
    yield 3


def trace_child():
    import opentracing

    return opentracing.global_tracer().start_active_span("child")


def gen_exhausted():
    assert list(three()) == [1, 2, 3]


def gen_closed():
    g = three()
    next(g)
    g.close()
    g.close()  # closing again does nothing


def gen_error():
    @trace("g")
    def gen():
        yield 1
        raise Boom()

    with pytest.raises(Boom):
        list(gen())


def gen_throw_propagates():
    g = three()
    next(g)
    with pytest.raises(Boom):
        g.throw(Boom())


def gen_throw_caught():
    @trace("g")
    def gen():
        try:
            yield 1
        except Boom:
            yield "caught"
        yield 2

    g = gen()
    next(g)
    assert g.throw(Boom()) == "caught"
    assert list(g) == [2]


def gen_garbage_collected():
    g = three()
    next(g)
    del g
    gc.collect()


def gen_base_exception_thrown():
    g = three()
    next(g)
    with pytest.raises(Interrupt):
        g.throw(Interrupt())


@pytest.mark.parametrize(
    "scenario",
    [gen_exhausted, gen_closed, gen_error, gen_throw_propagates, gen_throw_caught, gen_garbage_collected, gen_base_exception_thrown],
)
def test_generators(ctracer, scenario):
    """Generators: one finish per span on every way a generator can end; no scope is
    closed twice; the consumer's span is active again afterwards."""
    with ctracer.start_active_span("outer") as outer:
        scenario()
        assert ctracer.active_span is outer.span
    ctracer.assert_each_span_finished_once()
    assert_scopes_closed_once(ctracer, generator=True)


def test_generator_steps_activate_and_close_in_pairs(install_tracer):
    """With a public-API scope manager each generator step activates the span once and
    closes that activation once, and no activation is left open."""
    manager = PlainScopeManager()
    tracer = install_tracer(CountingTracer(manager))
    g = three()
    next(g)
    next(g)
    g.close()
    gen_activations = [s for s in manager.scopes if s.span.operation_name == "g"]
    assert len(gen_activations) == 3  # two steps and the close
    assert all(manager.closes[id(s)] == 1 for s in gen_activations)
    assert manager.active is None
    tracer.assert_each_span_finished_once()


# --- coroutines and async generators ---------------------------------------------------


async def coro_ok():
    @trace("c")
    async def c():
        await asyncio.sleep(0)
        return 1

    assert await c() == 1


async def coro_error():
    @trace("c")
    async def c():
        await asyncio.sleep(0)
        raise Boom()

    with pytest.raises(Boom):
        await c()


async def coro_cancelled():
    started = asyncio.Event()

    @trace("c")
    async def c():
        started.set()
        await asyncio.sleep(3600)

    await cancel_once_started(c(), started)


@trace("ag")
async def three_async():
    for i in range(3):
        await asyncio.sleep(0)
        yield i


async def agen_exhausted():
    assert [x async for x in three_async()] == [0, 1, 2]


async def agen_closed():
    it = three_async()
    await it.__anext__()
    await it.aclose()
    await it.aclose()


async def agen_error():
    @trace("ag")
    async def ag():
        yield 1
        raise Boom()

    with pytest.raises(Boom):
        await exhaust(ag())


async def agen_cancelled():
    started = asyncio.Event()

    ag = trace("ag")(one_item_then_hang)
    await cancel_once_started(exhaust(ag(started)), started)


@pytest.mark.parametrize(
    "scenario", [coro_ok, coro_error, coro_cancelled, agen_exhausted, agen_closed, agen_error, agen_cancelled]
)
async def test_async_paths(install_tracer, scenario):
    """Coroutines and async generators (contextvars manager): one finish per span on
    success, error, close and cancellation; the outer span is active again afterwards."""
    tracer = install_tracer(CountingTracer(ContextVarsScopeManager()))
    with tracer.start_active_span("outer") as outer:
        await scenario()
        assert tracer.active_span is outer.span
    tracer.assert_each_span_finished_once()
    assert len(tracer.finished_spans()) == len(tracer.started)
