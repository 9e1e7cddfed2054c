"""APICompatibilityCheckMixin run against the no-op Tracer and against MockTracer with
every scope manager, plus checks that the mixin's hooks and assertions have teeth."""

import unittest

import pytest

import opentracing
from opentracing.harness.api_check import APICompatibilityCheckMixin
from opentracing.mocktracer import MockTracer
from opentracing.scope_managers import ThreadLocalScopeManager
from opentracing.scope_managers.asyncio import AsyncioScopeManager
from opentracing.scope_managers.contextvars import ContextVarsScopeManager
from opentracing.scope_managers.gevent import GeventScopeManager
from opentracing.scope_managers.tornado import TornadoScopeManager


class TestNoopTracerAPI(APICompatibilityCheckMixin, unittest.TestCase):
    """The no-op tracer passes once value checks are off, as a unittest.TestCase."""

    def tracer(self):
        return opentracing.Tracer()

    def check_baggage_values(self):
        return False

    def check_scope_manager(self):
        return False


class _MockTracerAPI(APICompatibilityCheckMixin):
    """MockTracer with the parentage checks enabled through is_parent()."""

    manager_class = ThreadLocalScopeManager

    def tracer(self):
        return MockTracer(self.manager_class())

    def is_parent(self, parent, span):
        if parent is None:
            return span.parent_id is None
        return span.parent_id == parent.context.span_id

    def setup_method(self):
        """No scope may leak in from an earlier test (the contextvars ones are shared)."""
        assert self.tracer().scope_manager.active is None


class TestMockTracerThreadLocal(_MockTracerAPI):
    manager_class = ThreadLocalScopeManager


class TestMockTracerAsyncio(_MockTracerAPI):
    manager_class = AsyncioScopeManager


class TestMockTracerContextVars(_MockTracerAPI):
    manager_class = ContextVarsScopeManager


class TestMockTracerGevent(_MockTracerAPI):
    manager_class = GeventScopeManager


class TestMockTracerTornado(_MockTracerAPI):
    manager_class = TornadoScopeManager


def test_mock_tracer_with_default_hooks_fails_only_the_parentage_checks():
    """is_parent() left at its default answers False, so (as in OpenTracing 2.4.0) exactly
    the checks that assert a parent fail; every other check passes."""
    check = APICompatibilityCheckMixin()
    check.tracer = MockTracer
    failed = set()
    for name in sorted(n for n in dir(check) if n.startswith("test_")):
        try:
            getattr(check, name)()
        except AssertionError:
            failed.add(name)
    assert failed == {
        "test_start_active_span",
        "test_start_active_span_parent",
        "test_start_span_propagation",
    }


def test_default_hooks():
    """The hooks' defaults: tracer() must be implemented, value checks on, is_parent False."""
    mixin = APICompatibilityCheckMixin()
    with pytest.raises(NotImplementedError):
        mixin.tracer()
    assert mixin.check_baggage_values() is True
    assert mixin.check_scope_manager() is True
    assert mixin.is_parent(None, object()) is False


def test_mixin_has_the_opentracing_2_4_test_names():
    """Every test method third-party suites expect is there."""
    names = {n for n in dir(APICompatibilityCheckMixin) if n.startswith("test_")}
    assert {
        "test_active_span", "test_start_active_span_default_finish_on_close",
        "test_start_span_propagation_ignore_active_span", "test_context_baggage",
        "test_mandatory_formats", "test_tracer_start_span_scope",
    } <= names
    assert len(names) == 25


class _LenientTracer(MockTracer):
    """Broken on purpose: accepts any format and never tracks baggage."""

    def inject(self, span_context, format, carrier):
        pass

    def extract(self, format, carrier):
        return opentracing.SpanContext()


def test_checks_fail_for_a_broken_tracer():
    """A tracer that ignores unknown formats fails test_unknown_format, and one whose
    scope manager never activates fails the scope checks."""
    check = _MockTracerAPI()
    check.tracer = _LenientTracer
    with pytest.raises(AssertionError):
        check.test_unknown_format()

    check.tracer = lambda: MockTracer(opentracing.ScopeManager())
    with pytest.raises(AssertionError):
        check.test_active_span()


def test_wrong_parentage_is_caught():
    """With is_parent() overridden, a tracer that ignores the active span fails."""

    class Orphaning(MockTracer):
        def start_span(self, operation_name=None, child_of=None, *args, **kwargs):
            return super().start_span(operation_name, child_of, ignore_active_span=True)

    check = _MockTracerAPI()
    check.tracer = Orphaning
    with pytest.raises(AssertionError):
        check.test_start_span_propagation()
