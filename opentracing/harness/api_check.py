"""A mixin of tests that any OpenTracing :class:`~opentracing.Tracer` must pass.

Usage::

    class TestMyTracer(APICompatibilityCheckMixin, unittest.TestCase):
        def tracer(self):
            return MyTracer()

        def is_parent(self, parent, span):   # optional: enables the parentage checks
            ...

The no-op tracer passes with :meth:`~APICompatibilityCheckMixin.check_baggage_values`
and :meth:`~APICompatibilityCheckMixin.check_scope_manager` returning False. The checks
depend only on the standard library (``unittest.mock``).
"""

from __future__ import annotations

import time
from unittest import mock

import opentracing
from opentracing import Format, UnsupportedFormatException

__all__ = ["APICompatibilityCheckMixin"]


def _raises(exc_type, fn, *args):
    """True when ``fn(*args)`` raises ``exc_type``; any other exception propagates."""
    try:
        fn(*args)
    except exc_type:
        return True
    return False


class APICompatibilityCheckMixin:
    """Tests for a tracer; implement :meth:`tracer`, and override the other hooks as needed."""

    def tracer(self):
        """Return a new instance of the tracer under test."""
        raise NotImplementedError("Subclass must implement tracer()")

    def check_baggage_values(self):
        """Whether baggage set on a span must be readable back (False for a no-op tracer,
        which accepts baggage and forgets it)."""
        return True

    def check_scope_manager(self):
        """Whether the tracer's scope manager really tracks activations: no active scope
        at first, the last activated one afterwards (False for a no-op tracer)."""
        return True

    def is_parent(self, parent, span):
        """Whether ``parent`` (a span, or None for "no parent") is the parent of ``span``.

        Parentage is not visible through the OpenTracing API, so the default returns False
        and the checks that need it are skipped until a tracer's suite overrides this.
        """
        return False

    # -- helpers -----------------------------------------------------------------------

    def _check_parentage(self):
        overridden = type(self).is_parent is not APICompatibilityCheckMixin.is_parent
        return overridden and self.check_scope_manager()

    def _close_and_check_finish(self, scope, expected_calls):
        with mock.patch.object(scope.span, "finish") as finish:
            scope.close()
        scope.span.finish()
        return finish.call_count == expected_calls

    # -- scopes and the active span ----------------------------------------------------

    def test_active_span(self):
        """active_span is None until a span is activated, then that span."""
        tracer = self.tracer()
        span = tracer.start_span("Fry")
        if self.check_scope_manager():
            assert tracer.active_span is None
        scope = tracer.scope_manager.activate(span, True)
        try:
            if self.check_scope_manager():
                assert tracer.active_span is span
        finally:
            scope.close()
        if self.check_scope_manager():
            assert tracer.active_span is None

    def test_start_active_span(self):
        """start_active_span returns an active scope holding a new root span."""
        tracer = self.tracer()
        scope = tracer.start_active_span("Fry", finish_on_close=False)
        try:
            assert scope.span is not None
            if self.check_scope_manager():
                assert tracer.active_span is scope.span
            if self._check_parentage():
                assert self.is_parent(None, scope.span)
        finally:
            scope.close()
            scope.span.finish()

    def test_start_active_span_parent(self):
        """A span started while another is active is its child."""
        tracer = self.tracer()
        with tracer.start_active_span("Fry") as parent:
            with tracer.start_active_span("Farnsworth") as child:
                if self.check_scope_manager():
                    assert tracer.active_span is child.span
                if self._check_parentage():
                    assert self.is_parent(parent.span, child.span)
            if self.check_scope_manager():
                assert tracer.active_span is parent.span

    def test_start_active_span_ignore_active_span(self):
        """ignore_active_span=True starts a root span even under an active one."""
        tracer = self.tracer()
        with tracer.start_active_span("Fry") as parent:
            with tracer.start_active_span("Farnsworth", ignore_active_span=True) as child:
                if self.check_scope_manager():
                    assert tracer.active_span is child.span
                    assert not self.is_parent(parent.span, child.span)
                if self._check_parentage():
                    assert self.is_parent(None, child.span)

    def test_start_active_span_not_finish_on_close(self):
        """With finish_on_close=False, closing the scope leaves the span open."""
        scope = self.tracer().start_active_span("Fry", finish_on_close=False)
        assert self._close_and_check_finish(scope, 0)

    def test_start_active_span_finish_on_close(self):
        """With finish_on_close=True, closing the scope finishes the span once."""
        scope = self.tracer().start_active_span("Fry", finish_on_close=True)
        finished_once = self._close_and_check_finish(scope, 1)
        if self.check_scope_manager():
            assert finished_once

    def test_start_active_span_default_finish_on_close(self):
        """finish_on_close defaults to True."""
        scope = self.tracer().start_active_span("Fry")
        finished_once = self._close_and_check_finish(scope, 1)
        if self.check_scope_manager():
            assert finished_once

    # -- starting spans ----------------------------------------------------------------

    def test_start_span(self):
        """start_span returns a span of this tracer, with or without tags and times."""
        tracer = self.tracer()
        span = tracer.start_span(operation_name="Fry")
        assert span is not None
        assert span.context is not None
        assert span.tracer is tracer
        span.finish()
        with tracer.start_span("Fry", tags={"birthday": "August 14 1974"}) as span:
            span.log_event("birthplace", payload={"hospital": "Brooklyn Pre-Med"})
        tracer.start_span("Fry", start_time=time.time()).finish(finish_time=time.time())

    def test_start_span_propagation(self):
        """start_span makes the active span the parent, without activating."""
        tracer = self.tracer()
        with tracer.start_active_span("Fry") as parent:
            with tracer.start_span(operation_name="Farnsworth") as child:
                if self.check_scope_manager():
                    assert child is not parent.span
                    assert tracer.active_span is parent.span
                if self._check_parentage():
                    assert self.is_parent(parent.span, child)

    def test_start_span_propagation_ignore_active_span(self):
        """start_span with ignore_active_span=True starts a root span."""
        tracer = self.tracer()
        with tracer.start_active_span("Fry") as parent:
            with tracer.start_span("Farnsworth", ignore_active_span=True) as child:
                if self.check_scope_manager():
                    assert not self.is_parent(parent.span, child)
                if self._check_parentage():
                    assert self.is_parent(None, child)

    def test_start_span_with_parent(self):
        """child_of accepts a Span or SpanContext; references work too."""
        tracer = self.tracer()
        parent = tracer.start_span(operation_name="parent")
        assert parent is not None
        children = [
            tracer.start_span("Leela", child_of=parent),
            tracer.start_span("Leela", child_of=parent.context),
            tracer.start_span("Leela", references=[opentracing.child_of(parent.context)]),
        ]
        follower = tracer.start_span(
            "Leela", references=[opentracing.follows_from(parent.context)], tags={"a": "b"}
        )
        for child in children:
            assert child is not None
            if self._check_parentage():
                assert self.is_parent(parent, child)
            child.finish()
        follower.finish()
        parent.finish()

    def test_start_child_span(self):
        """opentracing.start_child_span starts a child of the given span."""
        tracer = self.tracer()
        parent = tracer.start_span(operation_name="parent")
        child = opentracing.start_child_span(parent, operation_name="Leela", tags={"a": 1})
        assert child is not None
        if self._check_parentage():
            assert self.is_parent(parent, child)
        child.finish()
        parent.finish()

    def test_set_operation_name(self):
        """set_operation_name returns the span."""
        span = self.tracer().start_span()
        assert span.set_operation_name("Farnsworth") is span
        span.finish()

    def test_span_as_context_manager(self):
        """A span used in ``with`` is finished on exit, and exceptions propagate."""
        tracer = self.tracer()
        span = tracer.start_span(operation_name="antiquing")
        with mock.patch.object(span, "finish") as finish:
            with span as entered:
                assert entered is span
            assert finish.call_count == 1

        span = tracer.start_span(operation_name="antiquing")
        with mock.patch.object(span, "finish") as finish:
            try:
                with span:
                    raise ValueError("Fry")
            except ValueError:
                pass
            else:  # pragma: no cover - only reached by a broken tracer
                raise AssertionError("the span swallowed the exception")
            assert finish.call_count == 1

    # -- tags, logs and baggage ----------------------------------------------------------

    def test_span_tag_value_types(self):
        """Tags accept int, float, bool and str values; set_tag chains."""
        with self.tracer().start_span(operation_name="ManyTypes") as span:
            returned = (
                span.set_tag("an_int", 9)
                .set_tag("a_float", 2.5)
                .set_tag("a_bool", True)
                .set_tag("a_string", "aoeuidhtns")
            )
            assert returned is span

    def test_span_tags_with_chaining(self):
        """set_tag chains, also with non-ASCII keys and values."""
        span = self.tracer().start_span(operation_name="Farnsworth")
        returned = span.set_tag("birthday", "9 April, 2841").set_tag("loves", "wires")
        assert returned is span
        returned = span.set_tag("unicode_val", "non-ascii: \u200b").set_tag("key_\u200b", "v")
        assert returned is span
        span.finish()

    def test_span_logs(self):
        """log_kv and the deprecated log_event/log accept their arguments and chain."""
        span = self.tracer().start_span(operation_name="Fry")
        assert span.log_kv({"frozen.year": 1999, "frozen.place": "Cryogenics Lab"}) is span
        assert span.log_kv({"defrosted.year": 2999}, time.time()) is span
        # the deprecated 1.x calls still work and chain
        assert span.log_event("frozen", {"year": 1999}).log_event("thawed") is span
        returned = (
            span.log(event="frozen")
            .log(payload={"year": 1999})
            .log(timestamp=time.time(), event="unfrozen", payload={"year": 2999})
        )
        assert returned is span
        span.finish()

    def test_span_baggage(self):
        """set_baggage_item chains; get_baggage_item reads it back (None if unset)."""
        with self.tracer().start_span(operation_name="Fry") as span:
            assert span.context.baggage == {}
            assert span.set_baggage_item("Kiff-loves", "Amy") is span
            value = span.get_baggage_item("Kiff-loves")
            if self.check_baggage_values():
                assert value == "Amy"
            assert span.get_baggage_item("not-set") is None

    def test_context_baggage(self):
        """Baggage set on a span shows in its context."""
        with self.tracer().start_span(operation_name="Fry") as span:
            assert span.context.baggage == {}
            span.set_baggage_item("Kiff-loves", "Amy")
            if self.check_baggage_values():
                assert span.context.baggage == {"Kiff-loves": "Amy"}

    # -- propagation ---------------------------------------------------------------------

    def test_text_propagation(self):
        """TEXT_MAP and HTTP_HEADERS round-trip a context and its baggage."""
        tracer = self.tracer()
        with tracer.start_span(operation_name="Bender") as span:
            span.set_baggage_item("robot", "yes")
            for fmt in (Format.TEXT_MAP, Format.HTTP_HEADERS):
                carrier: "dict[str, str]" = {}
                tracer.inject(span_context=span.context, format=fmt, carrier=carrier)
                extracted = tracer.extract(format=fmt, carrier=carrier)
                assert extracted is not None
                if self.check_baggage_values():
                    assert extracted.baggage == {"robot": "yes"}

    def test_binary_propagation(self):
        """BINARY round-trips a context through a bytearray."""
        tracer = self.tracer()
        with tracer.start_span(operation_name="Bender") as span:
            carrier = bytearray()
            tracer.inject(span_context=span.context, format=Format.BINARY, carrier=carrier)
            extracted = tracer.extract(format=Format.BINARY, carrier=carrier)
            assert extracted is not None
            assert extracted.baggage == {}

    def test_mandatory_formats(self):
        """inject and extract accept the three required formats."""
        carriers = [
            (Format.TEXT_MAP, {}),
            (Format.HTTP_HEADERS, {}),
            (Format.BINARY, bytearray()),
        ]
        with self.tracer().start_span(operation_name="Bender") as span:
            for fmt, carrier in carriers:
                span.tracer.inject(span.context, fmt, carrier)  # must not raise
                span.tracer.extract(fmt, carrier)

    def test_unknown_format(self):
        """inject and extract raise UnsupportedFormatException for other formats."""
        custom_format = "kiss my shiny metal ..."
        with self.tracer().start_span(operation_name="Bender") as span:
            tracer = span.tracer
            context = span.context
            assert _raises(UnsupportedFormatException, tracer.inject, context, custom_format, {})
            assert _raises(UnsupportedFormatException, tracer.extract, custom_format, {})

    # -- the tracer's scope manager ------------------------------------------------------

    def test_tracer_start_active_span_scope(self):
        """The scope manager's active scope is the one start_active_span returned."""
        tracer = self.tracer()
        scope = tracer.start_active_span("Fry")
        try:
            if self.check_scope_manager():
                assert tracer.scope_manager.active == scope
        finally:
            scope.close()
        if self.check_scope_manager():
            assert tracer.scope_manager.active is None

    def test_tracer_start_span_scope(self):
        """start_span does not activate the new span."""
        tracer = self.tracer()
        span = tracer.start_span(operation_name="Fry")
        if self.check_scope_manager():
            assert tracer.scope_manager.active is None
        span.finish()
