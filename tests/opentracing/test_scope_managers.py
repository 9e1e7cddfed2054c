"""The scope managers: closing scopes twice or out of order, a failing finish(), and how
each manager isolates or hands on the active scope."""

import asyncio
import itertools
import threading
from unittest import mock

import gevent
import pytest
from tornado.ioloop import IOLoop

from opentracing import Span
from opentracing.scope_managers import ThreadLocalScopeManager
from opentracing.scope_managers.asyncio import AsyncioScopeManager
from opentracing.scope_managers.contextvars import ContextVarsScopeManager, no_parent_scope
from opentracing.scope_managers.gevent import GeventScopeManager
from opentracing.scope_managers.tornado import TornadoScopeManager, tracer_stack_context

from ._tools import run_in_asyncio_task, run_in_greenlet, run_in_ioloop


def _direct(fn):
    fn()


MANAGERS = [
    pytest.param(ThreadLocalScopeManager, _direct, id="threadlocal"),
    pytest.param(AsyncioScopeManager, run_in_asyncio_task, id="asyncio"),
    pytest.param(AsyncioScopeManager, _direct, id="asyncio-no-loop"),
    pytest.param(ContextVarsScopeManager, run_in_asyncio_task, id="contextvars"),
    pytest.param(GeventScopeManager, run_in_greenlet, id="gevent"),
    pytest.param(TornadoScopeManager, run_in_ioloop, id="tornado"),
]


def _span():
    return mock.MagicMock(spec=Span)


@pytest.mark.parametrize("make, run", MANAGERS)
def test_close_twice(make, run):
    """A second close() raises nothing, finishes nothing and leaves the outer scope active."""

    def check():
        manager = make()
        outer_span, inner_span = _span(), _span()
        outer = manager.activate(outer_span, True)
        inner = manager.activate(inner_span, True)
        inner.close()
        inner.close()
        assert manager.active is outer
        assert inner_span.finish.call_count == 1
        outer.close()
        outer.close()
        inner.close()
        assert manager.active is None
        assert outer_span.finish.call_count == 1

    run(check)


@pytest.mark.parametrize("make, run", MANAGERS)
def test_any_close_order_keeps_the_stack_right(make, run):
    """For every order of close() calls on three nested scopes, the active scope is always
    the innermost one not yet really closed; ignored closes finish nothing."""

    def check():
        manager = make()
        for order in itertools.permutations(range(3)):
            spans = [_span() for _ in range(3)]
            scopes = [manager.activate(span, True) for span in spans]
            stack = list(scopes)
            while stack:
                for index in order:
                    scopes[index].close()
                    if stack and stack[-1] is scopes[index]:
                        stack.pop()
                    assert manager.active is (stack[-1] if stack else None)
            assert [s.finish.call_count for s in spans] == [1, 1, 1]

    run(check)


@pytest.mark.parametrize("make, run", MANAGERS)
def test_failing_finish_still_restores_previous_scope(make, run):
    """When finish() raises on close, the error propagates but the outer scope is active."""

    def check():
        manager = make()
        outer = manager.activate(_span(), False)
        failing = _span()
        failing.finish.side_effect = RuntimeError("exporter down")
        inner = manager.activate(failing, True)
        with pytest.raises(RuntimeError):
            inner.close()
        assert manager.active is outer
        outer.close()
        assert manager.active is None

    run(check)


def test_threadlocal_scope_not_seen_by_other_threads():
    """Each thread has its own stack."""
    manager = ThreadLocalScopeManager()
    seen = []
    with manager.activate(_span(), False):
        thread = threading.Thread(target=lambda: seen.append(manager.active))
        thread.start()
        thread.join()
    assert seen == [None]


async def test_asyncio_tasks_do_not_share_scopes():
    """A task starts with no active scope, and its scopes stay inside it."""
    manager = AsyncioScopeManager()

    async def child():
        assert manager.active is None
        manager.activate(_span(), False)
        return manager.active

    with manager.activate(_span(), False) as scope:
        inner = await asyncio.create_task(child())
        assert inner is not None and inner is not scope
        assert manager.active is scope


async def test_contextvars_tasks_inherit_unless_no_parent_scope():
    """Tasks see the scope active when they were created; no_parent_scope() hides it."""
    manager = ContextVarsScopeManager()

    async def active():
        return manager.active

    with manager.activate(_span(), False) as scope:
        assert await asyncio.create_task(active()) is scope
        with no_parent_scope():
            assert manager.active is None
            orphan = asyncio.create_task(active())
        assert manager.active is scope
        assert await orphan is None


def test_gevent_greenlets_do_not_share_scopes():
    """A spawned greenlet starts with no active scope."""
    manager = GeventScopeManager()

    def child():
        assert manager.active is None
        manager.activate(_span(), False)
        return manager.active

    with manager.activate(_span(), False) as scope:
        assert gevent.spawn(child).get() is not scope
        assert manager.active is scope
    assert manager.active is None


def test_tornado_stack_context_and_callbacks():
    """tracer_stack_context() empties the stack for its block only; coroutines and
    IOLoop callbacks started under a scope see it as active."""
    manager = TornadoScopeManager()
    seen = {}

    async def handler():
        with manager.activate(_span(), True) as scope:
            seen["scope"] = scope
            with tracer_stack_context():
                seen["inside"] = manager.active
            seen["after"] = manager.active
            done = asyncio.Event()

            def callback():
                seen["callback"] = manager.active
                done.set()

            IOLoop.current().add_callback(callback)
            await done.wait()

    loop = IOLoop(make_current=False)
    try:
        loop.run_sync(handler)
    finally:
        loop.close()
    assert seen["inside"] is None
    assert seen["after"] is seen["scope"] is seen["callback"]
    assert manager.active is None
