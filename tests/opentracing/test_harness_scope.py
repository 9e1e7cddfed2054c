"""ScopeCompatibilityCheckMixin run against every scope manager, each inside the kind of
execution unit it is made for (thread, asyncio task, greenlet, Tornado IOLoop)."""

import contextvars
import unittest

import pytest

from opentracing import Scope, ScopeManager
from opentracing.harness.scope_check import ScopeCompatibilityCheckMixin
from opentracing.scope_managers import ThreadLocalScopeManager
from opentracing.scope_managers.asyncio import AsyncioScopeManager
from opentracing.scope_managers.contextvars import ContextVarsScopeManager
from opentracing.scope_managers.gevent import GeventScopeManager
from opentracing.scope_managers.tornado import TornadoScopeManager

from ._tools import run_in_asyncio_task, run_in_greenlet, run_in_ioloop, run_in_thread


class TestThreadLocal(ScopeCompatibilityCheckMixin, unittest.TestCase):
    def scope_manager(self):
        return ThreadLocalScopeManager()


class TestThreadLocalInThread(ScopeCompatibilityCheckMixin, unittest.TestCase):
    """Run in a fresh thread; an assertion failure there is re-raised here."""

    def scope_manager(self):
        return ThreadLocalScopeManager()

    def run_test(self, test_fn):
        run_in_thread(test_fn)


class TestAsyncio(ScopeCompatibilityCheckMixin, unittest.TestCase):
    def scope_manager(self):
        return AsyncioScopeManager()

    def run_test(self, test_fn):
        run_in_asyncio_task(test_fn)


class TestContextVars(ScopeCompatibilityCheckMixin, unittest.TestCase):
    def scope_manager(self):
        return ContextVarsScopeManager()

    def run_test(self, test_fn):
        run_in_asyncio_task(test_fn)


class TestContextVarsInCurrentContext(ScopeCompatibilityCheckMixin, unittest.TestCase):
    """Run in a copy of the current context, without a loop: the checks that leave scopes
    open on purpose (test_close_wrong_order) leak nothing into the test's own context."""

    def scope_manager(self):
        return ContextVarsScopeManager()

    def run_test(self, test_fn):
        contextvars.copy_context().run(test_fn)

    def tearDown(self):
        assert ContextVarsScopeManager().active is None


class TestGevent(ScopeCompatibilityCheckMixin, unittest.TestCase):
    def scope_manager(self):
        return GeventScopeManager()

    def run_test(self, test_fn):
        run_in_greenlet(test_fn)


class TestTornado(ScopeCompatibilityCheckMixin, unittest.TestCase):
    def scope_manager(self):
        return TornadoScopeManager()

    def run_test(self, test_fn):
        run_in_ioloop(test_fn)


def test_default_hooks():
    """scope_manager() must be implemented; run_test() by default just calls the function."""
    mixin = ScopeCompatibilityCheckMixin()
    with pytest.raises(NotImplementedError):
        mixin.scope_manager()
    calls = []
    mixin.run_test(lambda: calls.append(1))
    assert calls == [1]


def test_run_test_failures_propagate():
    """An assertion failing inside a greenlet or task fails the test that ran it."""

    def failing():
        raise AssertionError("inside")

    with pytest.raises(AssertionError):
        TestGevent().run_test(failing)
    with pytest.raises(AssertionError):
        TestTornado().run_test(failing)
    with pytest.raises(AssertionError):
        TestThreadLocalInThread().run_test(failing)


class _ClosesAnyScope(ScopeManager):
    """Broken on purpose: any scope's close() pops the top of the stack."""

    def __init__(self):
        super().__init__()
        self.stack = []

    @property
    def active(self):
        return self.stack[-1] if self.stack else None

    def activate(self, span, finish_on_close):
        manager = self

        class _Scope(Scope):
            def close(self):
                manager.stack.pop()
                if finish_on_close:
                    span.finish()

        scope = _Scope(self, span)
        self.stack.append(scope)
        return scope


def test_close_wrong_order_catches_a_broken_manager():
    """A manager that lets a non-active scope be closed fails test_close_wrong_order."""
    check = ScopeCompatibilityCheckMixin()
    check.scope_manager = _ClosesAnyScope
    check.test_activate_nested()  # well-ordered use works...
    with pytest.raises(AssertionError):
        check.test_close_wrong_order()  # ...out-of-order closing does not
