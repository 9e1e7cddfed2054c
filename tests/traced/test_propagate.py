"""``traced.propagate``: carries the span active when it is called into threads, executors,
greenlets, event-loop callbacks and coroutines; activates it there for the call only, never
finishes it, and passes return values and exceptions through untouched."""

from __future__ import annotations

import asyncio
import inspect
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor

import gevent
import pytest

import opentracing
from opentracing.mocktracer import MockTracer
from opentracing.scope_managers import ThreadLocalScopeManager
from opentracing.scope_managers.asyncio import AsyncioScopeManager
from opentracing.scope_managers.contextvars import ContextVarsScopeManager
from opentracing.scope_managers.gevent import GeventScopeManager
from traced import active_span, propagate, span, trace

from ._tools import by_name

WAIT = 30  # seconds: bound on every join/result, so nothing hangs


@pytest.fixture
def use_tracer():
    """Installs MockTracer(manager) as the global tracer; restores the previous one after
    and checks that no span was left active in the test's thread."""
    previous, registered = opentracing.tracer, opentracing.is_tracer_registered
    installed = []

    def install(manager=None):
        tracer = MockTracer(manager)
        opentracing.set_global_tracer(tracer)
        installed.append(tracer)
        return tracer

    try:
        yield install
        for tracer in installed:
            assert tracer.active_span is None
    finally:
        opentracing.tracer, opentracing.is_tracer_registered = previous, registered


@pytest.fixture
def tracer(use_tracer):
    """A global MockTracer with the thread-local scope manager."""
    return use_tracer(ThreadLocalScopeManager())


@trace("work", tag_args=["x"])
def work(x):
    """Traced work reporting what was active inside it."""
    return x * 2, active_span().parent_id


def report():
    """What a callee sees as active, without starting a span."""
    return active_span()


def test_no_active_span_returns_fn_itself(tracer):
    """With no active span there is nothing to carry: propagate gives back ``fn`` itself,
    for plain and async functions alike."""

    async def coro():
        return 1

    assert propagate(report) is report
    assert propagate(coro) is coro


def test_wrapper_keeps_the_function_metadata(tracer):
    """The wrapper looks like the function it wraps (name, docstring, __wrapped__)."""
    with span("parent"):
        wrapped = propagate(report)
    assert wrapped is not report
    assert wrapped.__name__ == "report"
    assert wrapped.__doc__ == report.__doc__
    assert wrapped.__wrapped__ is report


def test_threading_thread(tracer):
    """As a Thread target: the thread sees the parent active, its spans are children of
    the parent, and the parent is not finished by the thread."""
    out = {}

    def target(x):
        out["active"] = active_span()
        out["result"] = work(x)
        out["after"] = active_span()

    with span("parent") as parent:
        t = threading.Thread(target=propagate(target), args=(21,))
        t.start()
        t.join(WAIT)
        assert not t.is_alive()
        assert not parent.finished
    assert out == {"active": parent, "result": (42, parent.context.span_id), "after": parent}
    assert [s.operation_name for s in tracer.finished_spans()] == ["work", "parent"]


def test_executor_submit_and_map(tracer):
    """ThreadPoolExecutor.submit and .map: each call runs under the parent and returns its
    value; afterwards the worker thread has no span active any more."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        with span("parent") as parent:
            fn = propagate(work)
            submitted = pool.submit(fn, 1).result(WAIT)
            mapped = list(pool.map(fn, [2, 3], timeout=WAIT))
            assert not parent.finished
        # the same worker thread, later, without propagate: the parent is no longer active
        assert pool.submit(report).result(WAIT) is None
    pid = parent.context.span_id
    assert submitted == (2, pid)
    assert mapped == [(4, pid), (6, pid)]


def test_active_span_is_captured_when_propagate_is_called(tracer):
    """The span carried is the one active at propagate() time, not at call time."""
    with span("first") as first:
        fn = propagate(report)
    with span("second"):
        assert fn() is first
        assert active_span().operation_name == "second"  # restored after the call


def test_gevent_spawn(use_tracer):
    """gevent.spawn(propagate(fn)) with GeventScopeManager: the greenlet sees the parent;
    without propagate it sees nothing."""
    use_tracer(GeventScopeManager())
    with span("parent") as parent:
        with_it = gevent.spawn(propagate(work), 5)
        without = gevent.spawn(report)
        gevent.joinall([with_it, without], timeout=WAIT, raise_error=True)
        assert not parent.finished
    assert with_it.value == (10, parent.context.span_id)
    assert without.value is None


async def test_loop_call_soon_callback(use_tracer):
    """A loop.call_soon callback runs outside any task, so with AsyncioScopeManager it
    sees no span, unless it is wrapped with propagate()."""
    use_tracer(AsyncioScopeManager())
    loop = asyncio.get_running_loop()
    seen = loop.create_future()
    plain = loop.create_future()
    with span("parent") as parent:
        loop.call_soon(lambda: plain.set_result(report()))
        loop.call_soon(propagate(lambda: seen.set_result(report())))
        assert await asyncio.wait_for(seen, WAIT) is parent
        assert await asyncio.wait_for(plain, WAIT) is None
        assert not parent.finished
    assert active_span() is None


async def test_loop_run_in_executor(use_tracer):
    """loop.run_in_executor runs fn in a thread with an empty context: with
    ContextVarsScopeManager only the propagated call sees the parent."""
    use_tracer(ContextVarsScopeManager())
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=2) as pool:
        with span("parent") as parent:
            carried = await asyncio.wait_for(loop.run_in_executor(pool, propagate(work), 4), WAIT)
            bare = await asyncio.wait_for(loop.run_in_executor(pool, report), WAIT)
            assert not parent.finished
    assert carried == (8, parent.context.span_id)
    assert bare is None
    assert active_span() is None


async def test_async_function_gives_a_coroutine_function(use_tracer):
    """propagate(async fn) is itself an async function; run as a new task under
    AsyncioScopeManager (which gives new tasks no span) it sees the parent."""
    use_tracer(AsyncioScopeManager())

    @trace("child")
    async def child(x):
        await asyncio.sleep(0)
        return x + 1

    async def look():
        await asyncio.sleep(0)
        return active_span()

    with span("parent") as parent:
        carried = propagate(look)
        assert inspect.iscoroutinefunction(carried)
        assert await asyncio.wait_for(asyncio.create_task(carried()), WAIT) is parent
        assert await asyncio.wait_for(asyncio.create_task(look()), WAIT) is None
        assert await asyncio.wait_for(asyncio.create_task(propagate(child)(1)), WAIT) == 2
        assert not parent.finished
    spans = by_name(opentracing.global_tracer())
    assert spans["child"].parent_id == parent.context.span_id
    assert active_span() is None


def test_return_value_passes_through_unchanged(tracer):
    """The callee's return value is returned as is (the very same object)."""
    value = object()
    with span("parent"):
        assert propagate(lambda: value)() is value


def test_exception_passes_through_unchanged(tracer):
    """An exception from the callee reaches the caller as the same object, with the
    callee's frame in its traceback; the parent is deactivated but not finished nor
    marked as an error, and the calling thread's active span is restored."""
    error = ValueError("boom")

    def fail():
        raise error

    with span("parent") as parent:
        outer_scope = tracer.scope_manager.active
        with pytest.raises(ValueError) as info:
            propagate(fail)()
        assert info.value is error
        assert tracer.scope_manager.active is outer_scope
        assert not parent.finished
        assert "error" not in parent.tags
    assert "fail" in [f.name for f in traceback.extract_tb(info.value.__traceback__)]


async def test_async_exception_passes_through_unchanged(use_tracer):
    """The same for a propagated async function."""
    use_tracer(ContextVarsScopeManager())
    error = KeyError("k")

    async def fail():
        await asyncio.sleep(0)
        raise error

    with span("parent") as parent:
        with pytest.raises(KeyError) as info:
            await propagate(fail)()
        assert info.value is error
        assert active_span() is parent
        assert not parent.finished


def test_explicit_tracer(tracer):
    """propagate(fn, tracer=t) carries t's active span and activates it on t, whatever the
    global tracer is."""
    other = MockTracer()
    with other.start_active_span("other-parent") as scope:
        fn = propagate(lambda: other.active_span, tracer=other)
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(fn).result(WAIT) is scope.span
    assert tracer.finished_spans() == []
