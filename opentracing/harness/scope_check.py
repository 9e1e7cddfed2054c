"""A mixin of checks that an OpenTracing :class:`~opentracing.ScopeManager` is expected to pass.

Usage::

    class TestMyScopeManager(ScopeCompatibilityCheckMixin, unittest.TestCase):
        def scope_manager(self):
            return MyScopeManager()

        def run_test(self, test_fn):      # optional: run inside a coroutine, greenlet...
            my_framework.run(test_fn)

Each check makes the same assertions as the mixin of OpenTracing 2.4.0, so a manager's
suite passes and fails exactly where it did there (the no-op ``ScopeManager`` passes only
``test_close_wrong_order``). The checks use mock spans, so they need no tracer, and they
depend only on the standard library (``unittest.mock``).
"""

from __future__ import annotations

from unittest import mock

from opentracing.span import Span

__all__ = ["ScopeCompatibilityCheckMixin"]


def _fake_span():
    """A span double that counts its ``finish`` calls."""
    return mock.MagicMock(spec=Span)


def _activate_then_close(manager, finish_on_close):
    """Activate a fake span, close its scope, and check the manager on the way."""
    span = _fake_span()
    scope = manager.activate(span, finish_on_close)
    assert scope is not None
    assert manager.active is scope
    scope.close()
    assert span.finish.call_count == (1 if finish_on_close else 0)
    assert manager.active is None


class ScopeCompatibilityCheckMixin:
    """Checks for a scope manager: implement :meth:`scope_manager` (and maybe :meth:`run_test`)."""

    def scope_manager(self):
        """Return a new instance of the scope manager under test."""
        raise NotImplementedError("Subclass must implement scope_manager()")

    def run_test(self, test_fn):
        """Run ``test_fn()`` where the manager is meant to be used (a coroutine, a greenlet,
        an IOLoop callback...), letting its exceptions reach the caller. The default calls
        it directly in the current thread."""
        test_fn()

    def test_missing_active_external(self):
        # outside run_test's environment, asking for the active scope works too
        assert self.scope_manager().active is None

    def test_missing_active(self):
        def check():
            assert self.scope_manager().active is None

        self.run_test(check)

    def test_activate(self):
        self.run_test(lambda: _activate_then_close(self.scope_manager(), False))

    def test_activate_external(self):
        # activating outside run_test's environment (no loop, no greenlet) works too
        _activate_then_close(self.scope_manager(), False)

    def test_activate_finish_on_close(self):
        self.run_test(lambda: _activate_then_close(self.scope_manager(), True))

    def test_activate_nested(self):
        def check():
            # closing the inner scope makes the outer one active again
            manager = self.scope_manager()
            outer_span, inner_span = _fake_span(), _fake_span()
            with manager.activate(outer_span, True) as outer:
                assert outer is not None
                assert manager.active is outer
                with manager.activate(inner_span, True) as inner:
                    assert inner is not None
                    assert manager.active is inner
                assert manager.active is outer
            assert outer_span.finish.call_count == 1
            assert inner_span.finish.call_count == 1
            assert manager.active is None

        self.run_test(check)

    def test_activate_finish_on_close_nested(self):
        def check():
            # each scope honours its own finish_on_close flag
            manager = self.scope_manager()
            outer_span, inner_span = _fake_span(), _fake_span()
            outer = manager.activate(outer_span, False)
            with manager.activate(inner_span, True):
                pass
            outer.close()
            assert outer_span.finish.call_count == 0
            assert inner_span.finish.call_count == 1
            assert manager.active is None

        self.run_test(check)

    def test_close_wrong_order(self):
        def check():
            # only the active scope can be closed: closing the outer one first does nothing
            manager = self.scope_manager()
            outer_span, inner_span = _fake_span(), _fake_span()
            outer = manager.activate(outer_span, True)
            inner = manager.activate(inner_span, True)
            outer.close()
            assert outer_span.finish.call_count == 0
            assert manager.active == inner

        self.run_test(check)
