"""A mixin of checks that an OpenTracing :class:`~opentracing.Tracer` is expected to pass.

Usage::

    class TestMyTracer(APICompatibilityCheckMixin, unittest.TestCase):
        def tracer(self):
            return MyTracer()

        def is_parent(self, parent, span):   # needed by the parentage checks
            ...

Each check makes the same assertions, under the same hooks, as the mixin of OpenTracing
2.4.0, so a tracer's suite passes and fails exactly where it did there. In particular the
parentage checks call :meth:`~APICompatibilityCheckMixin.is_parent` whenever
:meth:`~APICompatibilityCheckMixin.check_scope_manager` is true, and the default
``is_parent`` answers False: a tracer that does not override it (the no-op tracer with
default hooks, for one) fails ``test_start_active_span`` and friends. The checks depend
only on the standard library (``unittest.mock``), not on pytest.
"""

from __future__ import annotations

import time
from unittest import mock

import opentracing
from opentracing import Format, UnsupportedFormatException

__all__ = ["APICompatibilityCheckMixin"]


def _assert_raises(exc_type, call, *args):
    """Call ``call(*args)``; fail unless it raises ``exc_type`` (other errors propagate)."""
    try:
        call(*args)
    except exc_type:
        return
    raise AssertionError("%s was not raised" % exc_type.__name__)


def _close_counting_finish(scope):
    """Close ``scope`` with its span's ``finish`` replaced by a mock; return the mock."""
    with mock.patch.object(scope.span, "finish") as finish:
        scope.close()
    return finish


def _round_trip(check, fmt, carrier):
    """Inject a new span's context into ``carrier`` and extract it, each through a tracer of
    its own (as a client and a server would); the extracted context has no baggage."""
    with check.tracer().start_span(operation_name="Bender") as span:
        check.tracer().inject(span_context=span.context, format=fmt, carrier=carrier)
        extracted = check.tracer().extract(format=fmt, carrier=carrier)
        assert extracted.baggage == {}


class APICompatibilityCheckMixin:
    """Checks for a tracer: implement :meth:`tracer`; override the other hooks as needed."""

    def tracer(self):
        """Return the tracer under test (called afresh by each check, sometimes twice)."""
        raise NotImplementedError("Subclass must implement tracer()")

    def check_baggage_values(self):
        """Whether baggage written to a span must read back (False for a tracer, like the
        no-op one, that accepts baggage and keeps none)."""
        return True

    def check_scope_manager(self):
        """Whether to assert on activation and parentage. False only makes sense for a
        tracer whose scope manager keeps nothing, like the no-op one."""
        return True

    def is_parent(self, parent, span):
        """Whether ``parent`` (a span, or None for "no parent") is the parent of ``span``.

        Parentage is not part of the OpenTracing API, so a tracer's suite must say how to
        read it. The default answers False, which fails the checks that assert a parent.
        """
        return False

    # -- the active span and scopes ----------------------------------------------------

    def test_active_span(self):
        tracer = self.tracer()
        span = tracer.start_span("Fry")
        if not self.check_scope_manager():
            return
        assert tracer.active_span is None
        assert tracer.scope_manager.active is None
        with tracer.scope_manager.activate(span, True):
            assert tracer.active_span is span
            assert tracer.scope_manager.active.span is span  # type: ignore[attr-defined]

    def test_start_active_span(self):
        tracer = self.tracer()
        with tracer.start_active_span("Fry") as scope:
            assert scope.span is not None
            if self.check_scope_manager():
                assert self.is_parent(None, scope.span)

    def test_start_active_span_parent(self):
        tracer = self.tracer()
        with tracer.start_active_span("Fry") as outer:
            with tracer.start_active_span("Farnsworth") as inner:
                if self.check_scope_manager():
                    assert self.is_parent(outer.span, inner.span)

    def test_start_active_span_ignore_active_span(self):
        tracer = self.tracer()
        with tracer.start_active_span("Fry") as outer:
            with tracer.start_active_span("Farnsworth", ignore_active_span=True) as inner:
                if self.check_scope_manager():
                    assert not self.is_parent(outer.span, inner.span)

    def test_start_active_span_not_finish_on_close(self):
        scope = self.tracer().start_active_span("Fry", finish_on_close=False)
        assert _close_counting_finish(scope).call_count == 0

    def test_start_active_span_finish_on_close(self):
        scope = self.tracer().start_active_span("Fry", finish_on_close=True)
        finish = _close_counting_finish(scope)
        if self.check_scope_manager():
            assert finish.call_count == 1

    def test_start_active_span_default_finish_on_close(self):
        scope = self.tracer().start_active_span("Fry")
        finish = _close_counting_finish(scope)
        if self.check_scope_manager():
            assert finish.call_count == 1

    # -- starting spans ----------------------------------------------------------------

    def test_start_span(self):
        tracer = self.tracer()
        tracer.start_span(operation_name="Fry").finish()
        with tracer.start_span(operation_name="Fry", tags={"birthday": "August 14 1974"}) as span:
            span.log_event("birthplace", payload={"hospital": "Brooklyn", "city": "New York"})

    def test_start_span_propagation(self):
        tracer = self.tracer()
        with tracer.start_active_span("Fry") as outer:
            with tracer.start_span(operation_name="Farnsworth") as child:
                if self.check_scope_manager():
                    assert self.is_parent(outer.span, child)

    def test_start_span_propagation_ignore_active_span(self):
        tracer = self.tracer()
        with tracer.start_active_span("Fry") as outer:
            with tracer.start_span(operation_name="Farnsworth", ignore_active_span=True) as child:
                if self.check_scope_manager():
                    assert not self.is_parent(outer.span, child)

    def test_start_span_with_parent(self):
        tracer = self.tracer()
        parent = tracer.start_span(operation_name="parent")
        assert parent is not None
        tracer.start_span(operation_name="Leela", child_of=parent).finish()
        tracer.start_span(
            operation_name="Leela",
            references=[opentracing.follows_from(parent.context)],
            tags={"birthplace": "sewers"},
        ).finish()
        parent.finish()

    def test_start_child_span(self):
        tracer = self.tracer()
        parent = tracer.start_span(operation_name="parent")
        assert parent is not None
        opentracing.start_child_span(parent, operation_name="Leela").finish()
        parent.finish()

    def test_set_operation_name(self):
        self.tracer().start_span().set_operation_name("Farnsworth").finish()

    def test_span_as_context_manager(self):
        tracer = self.tracer()
        calls = []

        def fake_finish(*args):
            calls.append(args)

        # finish is replaced inside the block, so leaving it must call the replacement
        with tracer.start_span(operation_name="antiquing") as span:
            setattr(span, "finish", fake_finish)
        assert calls

        del calls[:]
        try:
            with tracer.start_span(operation_name="antiquing") as span:
                setattr(span, "finish", fake_finish)
                raise ValueError()
        except ValueError:
            assert calls
        else:  # pragma: no cover - only a span that swallows exceptions gets here
            raise AssertionError("the span's __exit__ swallowed the ValueError")

    # -- tags, logs and baggage --------------------------------------------------------

    def test_span_tag_value_types(self):
        with self.tracer().start_span(operation_name="ManyTypes") as span:
            span.set_tag("an_int", 9).set_tag("a_bool", True).set_tag("a_string", "aoeuidhtns")

    def test_span_tags_with_chaining(self):
        span = self.tracer().start_span(operation_name="Farnsworth")
        span.set_tag("birthday", "9 April, 2841").set_tag("loves", "different lengths of wires")
        span.set_tag("unicode_val", "non-ascii: \u200b").set_tag("unicode_key_\u200b", "ascii val")
        span.finish()

    def test_span_logs(self):
        span = self.tracer().start_span(operation_name="Fry")
        span.log_kv({"frozen.year": 1999, "frozen.place": "Cryogenics Labs"})
        span.log_kv({"defrosted.year": 2999, "defrosted.place": "Cryogenics Labs"}, time.time())
        # the deprecated calls of OpenTracing 1.x, chained
        span.log_event("frozen", {"year": 1999, "place": "Cryogenics Labs"}).log_event(
            "defrosted", {"year": 2999}
        ).log_event("became his own grandfather", 1947)
        span.log(event="frozen").log(payload={"year": 1999}).log(
            timestamp=time.time(), event="frozen", payload={"year": 1999}
        ).log(timestamp=time.time(), event="unfrozen", payload={"year": 2999})

    def test_span_baggage(self):
        with self.tracer().start_span(operation_name="Fry") as span:
            assert span.context.baggage == {}
            returned = span.set_baggage_item("Kiff-loves", "Amy")
            assert returned is span
            value = span.get_baggage_item("Kiff-loves")
            if self.check_baggage_values():
                assert value == "Amy"

    def test_context_baggage(self):
        with self.tracer().start_span(operation_name="Fry") as span:
            assert span.context.baggage == {}
            span.set_baggage_item("Kiff-loves", "Amy")
            if self.check_baggage_values():
                assert span.context.baggage == {"Kiff-loves": "Amy"}

    # -- propagation -------------------------------------------------------------------

    def test_text_propagation(self):
        _round_trip(self, Format.TEXT_MAP, {})

    def test_binary_propagation(self):
        _round_trip(self, Format.BINARY, bytearray())

    def test_mandatory_formats(self):
        with self.tracer().start_span(operation_name="Bender") as span:
            for fmt, carrier in ((Format.TEXT_MAP, {}), (Format.HTTP_HEADERS, {}),
                                 (Format.BINARY, bytearray())):
                span.tracer.inject(span.context, fmt, carrier)
                span.tracer.extract(fmt, carrier)

    def test_unknown_format(self):
        custom_format = "kiss my shiny metal ..."
        with self.tracer().start_span(operation_name="Bender") as span:
            _assert_raises(UnsupportedFormatException, span.tracer.inject, span.context,
                           custom_format, {})
            _assert_raises(UnsupportedFormatException, span.tracer.extract, custom_format, {})

    # -- the tracer's scope manager ------------------------------------------------------

    def test_tracer_start_active_span_scope(self):
        tracer = self.tracer()
        scope = tracer.start_active_span("Fry")
        if self.check_scope_manager():
            assert tracer.scope_manager.active == scope
        scope.close()

    def test_tracer_start_span_scope(self):
        tracer = self.tracer()
        span = tracer.start_span(operation_name="Fry")
        if self.check_scope_manager():
            assert tracer.scope_manager.active is None
        span.finish()
