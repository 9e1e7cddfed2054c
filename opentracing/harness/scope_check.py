"""A mixin of tests that any :class:`~opentracing.ScopeManager` implementation must pass.

Usage::

    class TestMyScopeManager(ScopeCompatibilityCheckMixin, unittest.TestCase):
        def scope_manager(self):
            return MyScopeManager()

        def run_test(self, test_fn):      # optional: run inside a coroutine, greenlet...
            my_framework.run(test_fn)

The checks use mock spans, so they need no tracer. They depend only on the standard
library (``unittest.mock``).
"""

from __future__ import annotations

from unittest import mock

from opentracing.span import Span

__all__ = ["ScopeCompatibilityCheckMixin"]


def _fake_span():
    """A span double that counts ``finish`` calls."""
    return mock.MagicMock(spec=Span)


class ScopeCompatibilityCheckMixin:
    """Tests for a scope manager; implement :meth:`scope_manager` (and maybe :meth:`run_test`)."""

    def scope_manager(self):
        """Return a new instance of the scope manager under test."""
        raise NotImplementedError("Subclass must implement scope_manager()")

    def run_test(self, test_fn):
        """Run ``test_fn()`` (no arguments) in the environment the manager is made for.

        The default calls it directly in the current thread. Managers that track a
        coroutine, task or greenlet override this to run ``test_fn`` inside one, letting
        any exception (such as an ``AssertionError``) propagate to the caller.
        """
        test_fn()

    def test_missing_active_external(self):
        """active is None outside run_test's environment, without failing."""
        assert self.scope_manager().active is None

    def test_missing_active(self):
        """active is None before anything is activated."""
        def check():
            assert self.scope_manager().active is None

        self.run_test(check)

    def _activate_and_close(self):
        manager = self.scope_manager()
        span = _fake_span()
        scope = manager.activate(span, False)
        assert scope is not None
        assert scope.span is span
        assert manager.active is scope
        scope.close()
        assert manager.active is None
        assert span.finish.call_count == 0

    def test_activate(self):
        """activate returns the active scope; close deactivates without finishing."""
        self.run_test(self._activate_and_close)

    def test_activate_external(self):
        """activate also works outside run_test's environment (e.g. no running loop)."""
        self._activate_and_close()

    def test_activate_finish_on_close(self):
        """With finish_on_close=True, close finishes the span once."""
        def check():
            manager = self.scope_manager()
            span = _fake_span()
            scope = manager.activate(span, True)
            assert manager.active is scope
            assert span.finish.call_count == 0
            scope.close()
            assert span.finish.call_count == 1
            assert manager.active is None

        self.run_test(check)

    def test_activate_nested(self):
        """Closing an inner scope makes the outer one active again."""
        def check():
            # Closing the inner scope makes the outer one active again.
            manager = self.scope_manager()
            outer_span, inner_span = _fake_span(), _fake_span()
            with manager.activate(outer_span, True) as outer:
                assert manager.active is outer
                with manager.activate(inner_span, True) as inner:
                    assert inner is not outer
                    assert manager.active is inner
                    assert manager.active.span is inner_span
                assert manager.active is outer
                assert inner_span.finish.call_count == 1
                assert outer_span.finish.call_count == 0
            assert outer_span.finish.call_count == 1
            assert manager.active is None

        self.run_test(check)

    def test_activate_finish_on_close_nested(self):
        """Each nested scope honours its own finish_on_close flag."""
        def check():
            # Each scope honours its own finish_on_close flag.
            manager = self.scope_manager()
            outer_span, inner_span = _fake_span(), _fake_span()
            outer = manager.activate(outer_span, False)
            with manager.activate(inner_span, True):
                pass
            assert manager.active is outer
            outer.close()
            assert outer_span.finish.call_count == 0
            assert inner_span.finish.call_count == 1
            assert manager.active is None

        self.run_test(check)

    def test_close_wrong_order(self):
        """Closing a scope that is not active does nothing."""
        def check():
            # Only the active scope can be closed: closing the outer one first does nothing.
            manager = self.scope_manager()
            outer_span, inner_span = _fake_span(), _fake_span()
            outer = manager.activate(outer_span, True)
            inner = manager.activate(inner_span, True)
            outer.close()
            assert outer_span.finish.call_count == 0
            assert manager.active is inner
            # Closing in the right order afterwards still unwinds the stack completely.
            inner.close()
            assert inner_span.finish.call_count == 1
            assert manager.active is outer
            outer.close()
            assert outer_span.finish.call_count == 1
            assert manager.active is None

        self.run_test(check)
