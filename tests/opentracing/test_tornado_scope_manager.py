"""TornadoScopeManager and its stack contexts, on whichever Tornado is importable.

The main suite runs this file on the virtualenv's Tornado 6; ``test_tornado_versions.py``
runs it again in subprocesses on Tornado 4.5.3 and 5.1.1, where ``tornado.stack_context``
exists and the module behaves as OpenTracing 2.4's. Tests for one side only say so.
"""

from __future__ import annotations

import threading
import unittest
from typing import Any, Callable, Generator, List, Optional

import pytest
import tornado
from tornado import gen
from tornado.concurrent import Future
from tornado.ioloop import IOLoop

import opentracing
from opentracing.harness.scope_check import ScopeCompatibilityCheckMixin
from opentracing.mocktracer import MockTracer
from opentracing.scope_managers import ThreadLocalScopeManager
from opentracing.scope_managers.tornado import (
    ThreadSafeStackContext,
    TornadoScopeManager,
    _TornadoScope,
    _TracerRequestContext,
    _TracerRequestContextManager,
    tracer_stack_context,
)

STACK_CONTEXT = tornado.version_info < (6,)
old_tornado_only = pytest.mark.skipif(not STACK_CONTEXT, reason="tornado.stack_context only")
tornado6_only = pytest.mark.skipif(STACK_CONTEXT, reason="Tornado 6 (contextvars) only")


def run_on_new_loop(func: Callable[[], Any]) -> Any:
    loop = IOLoop()
    try:
        return loop.run_sync(func, timeout=5)
    finally:
        loop.close()


class TornadoHarnessCheck(ScopeCompatibilityCheckMixin, unittest.TestCase):
    """The scope harness, each check run on an IOLoop inside tracer_stack_context(), as
    OpenTracing 2.4's own test of this manager does."""

    def scope_manager(self) -> TornadoScopeManager:
        return TornadoScopeManager()

    def run_test(self, test_fn: Callable[[], Any]) -> None:
        with tracer_stack_context():
            run_on_new_loop(test_fn)


class TornadoHarnessOutsideStackContextCheck(ScopeCompatibilityCheckMixin, unittest.TestCase):
    """The same checks with no stack context: the thread-local (Tornado < 6) or
    context-variable (Tornado 6) fallback. Each check runs in a fresh thread, whose
    storage and context start empty."""

    def scope_manager(self) -> TornadoScopeManager:
        return TornadoScopeManager()

    def run_test(self, test_fn: Callable[[], Any]) -> None:
        errors: List[BaseException] = []

        def run() -> None:
            try:
                test_fn()
            except BaseException as exc:  # handed to the test's thread
                errors.append(exc)

        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
        if errors:
            raise errors[0]


def test_the_names_of_the_2_4_module() -> None:
    """Every top-level name of 2.4's module is there and of the same kind."""
    from opentracing.scope_managers import tornado as module

    assert module.Scope is opentracing.Scope
    assert module.ThreadLocalScopeManager is ThreadLocalScopeManager
    assert issubclass(TornadoScopeManager, ThreadLocalScopeManager)
    assert issubclass(_TornadoScope, opentracing.Scope)
    if STACK_CONTEXT:
        from tornado.stack_context import StackContext

        assert issubclass(ThreadSafeStackContext, StackContext)
        assert isinstance(tracer_stack_context(), StackContext)
    manager = TornadoScopeManager()
    assert _TracerRequestContextManager.current_context() is None
    assert manager._get_context() is None
    with tracer_stack_context() as deactivate:
        assert callable(deactivate)  # StackContext.__enter__ returns its deactivation
        context = _TracerRequestContextManager.current_context()
        assert isinstance(context, _TracerRequestContext)
        assert manager._get_context() is context and context.active is None
        scope = manager.activate(MockTracer().start_span("x"), True)
        assert isinstance(scope, _TornadoScope) and manager.active is scope
        if STACK_CONTEXT:  # the request context holds the scope (on 6, the task does)
            assert context.active is scope
        scope.close()
        assert context.active is None and manager.active is None
    assert _TracerRequestContextManager.current_context() is None


def test_close_restores_then_finishes_and_ignores_inactive_scopes() -> None:
    manager = TornadoScopeManager()
    tracer = MockTracer(manager)
    seen_at_finish: List[Any] = []
    with tracer_stack_context():
        outer = tracer.start_active_span("outer")
        inner = tracer.start_active_span("inner")
        inner.span.finish = lambda *a: seen_at_finish.append(manager.active)  # type: ignore
        outer.close()  # not the active scope: nothing happens
        assert manager.active is inner and not outer.span.finished
        inner.close()
        assert seen_at_finish == [outer]  # the outer scope was restored before finishing
        inner.close()  # twice: nothing happens
        assert manager.active is outer
        outer.close()
        assert manager.active is None and outer.span.finished


def test_parent_and_child_across_yields_in_gen_coroutines() -> None:
    """Under tracer_stack_context() the active span follows @gen.coroutine yields."""
    tracer = MockTracer(TornadoScopeManager())

    @gen.coroutine
    def child() -> Generator[Any, Any, None]:
        with tracer.start_active_span("child") as scope:
            yield gen.sleep(0.001)
            assert tracer.active_span is scope.span
            yield gen.moment

    @gen.coroutine
    def parent() -> Generator[Any, Any, None]:
        with tracer.start_active_span("parent") as scope:
            yield gen.sleep(0.001)
            assert tracer.active_span is scope.span
            yield child()
            assert tracer.active_span is scope.span
        assert tracer.active_span is None

    with tracer_stack_context():
        run_on_new_loop(parent)
    child_span, parent_span = tracer.finished_spans()
    assert (child_span.operation_name, parent_span.operation_name) == ("child", "parent")
    assert child_span.parent_id == parent_span.context.span_id
    assert parent_span.parent_id is None


def test_requests_in_their_own_stack_contexts_stay_apart() -> None:
    """Two requests interleaving on one loop, each started in its own stack context: the
    callbacks and coroutines of each see only that request's span."""
    tracer = MockTracer(TornadoScopeManager())

    @gen.coroutine
    def step(name: str) -> Generator[Any, Any, None]:
        with tracer.start_active_span(f"{name}-step"):
            yield gen.sleep(0.001)

    @gen.coroutine
    def handle(name: str, done: Future) -> Generator[Any, Any, None]:
        with tracer.start_active_span(name) as scope:
            for _ in range(3):
                yield step(name)
                assert tracer.active_span is scope.span
        done.set_result(name)

    @gen.coroutine
    def main() -> Generator[Any, Any, None]:
        dones: List[Future] = [Future(), Future()]
        for name, done in zip(("a", "b"), dones):
            with tracer_stack_context():
                IOLoop.current().add_callback(handle, name, done)
        assert tracer.active_span is None
        assert (yield dones) == ["a", "b"]

    run_on_new_loop(main)
    spans = tracer.finished_spans()
    by_name = {s.operation_name: s for s in spans if not s.operation_name.endswith("-step")}
    for s in spans:
        if s.operation_name.endswith("-step"):
            assert s.parent_id == by_name[s.operation_name[0]].context.span_id
    assert len(spans) == 8


def test_span_activated_in_an_entered_stack_context() -> None:
    """opentracing-instrumentation's span_in_stack_context(): enter tracer_stack_context(),
    activate a span without closing it, start work, leave. The work sees the span across
    its yields; the caller does not."""
    tracer = MockTracer(TornadoScopeManager())
    request = tracer.start_span("request")

    @gen.coroutine
    def work(done: Future) -> Generator[Any, Any, None]:
        for _ in range(2):
            assert tracer.active_span is request
            with tracer.start_active_span("db"):
                yield gen.sleep(0.001)
        done.set_result(None)

    @gen.coroutine
    def main() -> Generator[Any, Any, None]:
        done: Future = Future()
        context = tracer_stack_context()
        context.__enter__()
        tracer.scope_manager.activate(request, False)
        IOLoop.current().add_callback(work, done)
        context.__exit__(None, None, None)
        assert tracer.active_span is None
        yield done

    run_on_new_loop(main)
    request.finish()
    db = [s for s in tracer.finished_spans() if s.operation_name == "db"]
    assert len(db) == 2 and all(s.parent_id == request.context.span_id for s in db)


class UserContextManager:
    """A library's own request context, thread-local like opentracing-instrumentation's
    RequestContextManager."""

    _state = threading.local()

    def __init__(self, value: str) -> None:
        self.value = value
        self.previous: Optional[str] = None

    @classmethod
    def current(cls) -> Optional[str]:
        return getattr(cls._state, "value", None)

    def __enter__(self) -> str:
        self.previous, type(self)._state.value = self.current(), self.value
        return self.value

    def __exit__(self, *exc: Any) -> None:
        type(self)._state.value = self.previous


@old_tornado_only
def test_thread_safe_stack_context_carries_a_user_context_across_yields() -> None:
    """Tornado < 6: Tornado re-enters the user's context manager around every step of
    coroutines started inside, so two interleaved requests each see their own value."""
    seen: List[Any] = []

    @gen.coroutine
    def handle(done: Future) -> Generator[Any, Any, None]:
        for _ in range(3):
            seen.append(UserContextManager.current())
            yield gen.sleep(0.001)
        done.set_result(UserContextManager.current())

    @gen.coroutine
    def main() -> Generator[Any, Any, None]:
        dones: List[Future] = [Future(), Future()]
        for value, done in zip(("a", "b"), dones):
            with ThreadSafeStackContext(lambda value=value: UserContextManager(value)):
                assert UserContextManager.current() == value
                IOLoop.current().add_callback(handle, done)
        assert UserContextManager.current() is None
        assert (yield dones) == ["a", "b"]

    run_on_new_loop(main)
    assert sorted(seen) == ["a"] * 3 + ["b"] * 3


@tornado6_only
def test_thread_safe_stack_context_sets_a_user_context_for_its_block() -> None:
    """Tornado 6: the block runs with the user's context entered, across awaits, and with
    a fresh scope stack only if the factory is a tracer request context."""
    tracer = MockTracer(TornadoScopeManager())

    async def main() -> None:
        with tracer.start_active_span("outer") as outer:
            with ThreadSafeStackContext(lambda: UserContextManager("a")) as deactivate:
                assert callable(deactivate)
                for _ in range(2):
                    await gen.sleep(0.001)
                    assert UserContextManager.current() == "a"
                    assert tracer.active_span is outer.span  # a user context keeps the stack
            assert UserContextManager.current() is None

    run_on_new_loop(main)


@tornado6_only
def test_tracer_stack_context_gives_a_fresh_stack_inherited_by_tasks() -> None:
    tracer = MockTracer(TornadoScopeManager())

    async def task(done: Future) -> None:
        await gen.sleep(0.001)
        done.set_result(tracer.active_span)

    async def main() -> None:
        with tracer.start_active_span("outer") as outer:
            done: Future = Future()
            with tracer_stack_context():
                assert tracer.active_span is None
                with tracer.start_active_span("inner") as inner:
                    IOLoop.current().add_callback(task, done)
                    await gen.sleep(0.002)
                    assert tracer.active_span is inner.span
            assert tracer.active_span is outer.span
            assert (await done) is inner.span

    run_on_new_loop(main)


def test_threads_have_their_own_scopes_outside_stack_contexts() -> None:
    manager = TornadoScopeManager()
    tracer = MockTracer(manager)
    seen: List[Any] = []

    def other_thread() -> None:
        seen.append(manager.active)
        with tracer.start_active_span("other") as scope:
            seen.append(manager.active is scope)
        seen.append(manager.active)

    with tracer.start_active_span("main") as scope:
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
        assert manager.active is scope
    assert seen == [None, True, None]


@old_tornado_only
def test_outside_stack_contexts_scopes_are_thread_local_as_in_2_4() -> None:
    """Tornado < 6, no stack context: a scope activated in one callback is active in the
    next and can be closed there, as with a ThreadLocalScopeManager."""
    manager = TornadoScopeManager()
    tracer = MockTracer(manager)
    scopes: List[Any] = []

    def first() -> None:
        scopes.append(tracer.start_active_span("x"))

    def second(done: Future) -> None:
        done.set_result(manager.active is scopes[0])
        scopes[0].close()

    @gen.coroutine
    def main() -> Generator[Any, Any, None]:
        done: Future = Future()
        IOLoop.current().add_callback(first)
        IOLoop.current().add_callback(second, done)
        assert (yield done) is True

    run_on_new_loop(main)
    assert manager.active is None and scopes[0].span.finished
