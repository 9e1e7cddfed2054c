"""@trace on generator functions: the span opens at the first next(), covers the whole
iteration, is active only while the generator's own code runs, and finishes on
exhaustion, close() or an exception; send(), throw() and return values pass through."""

from __future__ import annotations

import gc

import pytest

from opentracing.mocktracer import MockTracer
from opentracing.scope_managers import ThreadLocalScopeManager
from opentracing.scope_managers.contextvars import ContextVarsScopeManager
from traced import trace

from ._tools import PlainScopeManager, by_name

STACK_MANAGERS = [ThreadLocalScopeManager, ContextVarsScopeManager]


@pytest.fixture(params=STACK_MANAGERS + [PlainScopeManager], ids=["threadlocal", "contextvars", "plain"])
def gtracer(request, install_tracer):
    """A global MockTracer on each kind of scope manager (the package's stack managers and
    a manager known only through the public API)."""
    return install_tracer(MockTracer(request.param()))


@pytest.fixture(params=STACK_MANAGERS, ids=["threadlocal", "contextvars"])
def stack_tracer(request, install_tracer):
    """A global MockTracer on one of the package's stack scope managers."""
    return install_tracer(MockTracer(request.param()))


def test_span_opens_at_first_next_not_at_call(gtracer):
    """Calling the generator function starts no span and runs none of its code; the span
    starts at the first next() (so its parent is the span active then)."""
    ran = []

    @trace("gen")
    def gen():
        ran.append(gtracer.active_span)
        yield 1

    g = gen()
    assert ran == []
    with gtracer.start_active_span("at-first-next") as scope:
        assert next(g) == 1
    assert len(ran) == 1 and ran[0] is not scope.span
    assert list(g) == []
    spans = by_name(gtracer)
    assert ran[0] is spans["gen"]
    assert spans["gen"].parent_id == spans["at-first-next"].context.span_id


def test_span_covers_the_whole_iteration(gtracer):
    """The span stays open between yields and finishes at exhaustion, once; each step's
    child spans are its children."""

    @trace("gen")
    def gen():
        for i in range(3):
            with gtracer.start_active_span(f"step{i}"):
                pass
            yield i

    g = gen()
    assert next(g) == 0
    assert next(g) == 1
    assert [s.operation_name for s in gtracer.finished_spans()] == ["step0", "step1"]
    assert list(g) == [2]
    spans = by_name(gtracer)
    assert [s.operation_name for s in gtracer.finished_spans()] == ["step0", "step1", "step2", "gen"]
    assert all(spans[f"step{i}"].parent_id == spans["gen"].context.span_id for i in range(3))
    assert gtracer.active_span is None


def test_span_is_active_only_while_the_generator_runs(gtracer):
    """Between yields the consumer's own active span is active; spans the consumer starts
    there are the consumer's children, not the generator's."""
    seen_inside = []

    @trace("gen")
    def gen():
        for i in range(2):
            seen_inside.append(gtracer.active_span)
            yield i

    with gtracer.start_active_span("consumer") as consumer:
        for _ in gen():
            assert gtracer.active_span is consumer.span
            with gtracer.start_active_span("by-consumer"):
                pass
            with gtracer.start_active_span("by-consumer-2") as inner:
                assert gtracer.active_span is inner.span
    spans = gtracer.finished_spans()
    gen_span = next(s for s in spans if s.operation_name == "gen")
    assert seen_inside == [gen_span, gen_span]
    assert gen_span.parent_id == consumer.span.context.span_id
    consumer_children = [s for s in spans if s.operation_name.startswith("by-consumer")]
    assert len(consumer_children) == 4
    assert all(s.parent_id == consumer.span.context.span_id for s in consumer_children)


def test_consumer_scope_open_across_a_step_does_not_parent_the_generator(gtracer):
    """A scope the consumer opens before a step (and closes after it) does not become
    the parent of spans the generator starts in that step."""

    @trace("gen")
    def gen():
        yield
        with gtracer.start_active_span("gen-child"):
            pass
        yield

    g = gen()
    next(g)
    with gtracer.start_active_span("consumer-open"):
        next(g)
    g.close()
    spans = by_name(gtracer)
    assert spans["gen-child"].parent_id == spans["gen"].context.span_id
    assert spans["gen"].parent_id is None


@pytest.mark.parametrize("keep_open", ["with-block", "manual"])
def test_scope_kept_open_across_yield_is_never_active_in_consumer(stack_tracer, keep_open):
    """A scope the generator's body holds open across a yield is active again when the
    body resumes, but never in the consumer between steps, nor after the generator ends."""
    resumed_with = []

    @trace("gen")
    def gen():
        if keep_open == "with-block":
            with stack_tracer.start_active_span("held") as held:
                yield 1
                resumed_with.append(stack_tracer.active_span is held.span)
                yield 2
        else:
            held = stack_tracer.start_active_span("held")
            yield 1
            resumed_with.append(stack_tracer.active_span is held.span)
            held.close()
            yield 2
        with stack_tracer.start_active_span("after-held"):
            pass

    with stack_tracer.start_active_span("consumer") as consumer:
        for value in gen():
            assert stack_tracer.active_span is consumer.span, value
    assert stack_tracer.active_span is None
    assert resumed_with == [True]
    spans = by_name(stack_tracer)
    assert spans["held"].parent_id == spans["gen"].context.span_id
    assert spans["after-held"].parent_id == spans["gen"].context.span_id


def test_close_finishes_span_without_error(gtracer):
    """close() on a suspended traced generator runs its cleanup with the span active,
    finishes the span, and GeneratorExit is not recorded as an error."""
    cleanup = []

    @trace("gen")
    def gen():
        try:
            yield 1
            yield 2
        finally:
            cleanup.append(gtracer.active_span)

    g = gen()
    assert next(g) == 1
    assert gtracer.finished_spans() == []
    g.close()
    [span] = gtracer.finished_spans()
    assert cleanup == [span]
    assert "error" not in span.tags and span.logs == []
    assert gtracer.active_span is None


def test_garbage_collected_generator_finishes_span(gtracer):
    """A started traced generator that is dropped unfinished is closed by the garbage
    collector, which finishes its span."""

    @trace("gen")
    def gen():
        yield from range(10)

    g = gen()
    next(g)
    del g
    gc.collect()
    [span] = gtracer.finished_spans()
    assert span.operation_name == "gen" and "error" not in span.tags


def test_unstarted_generator_makes_no_span(gtracer):
    """A traced generator that is never advanced makes no span, even when closed."""

    @trace("gen")
    def gen():
        yield 1

    gen().close()
    g = gen()
    del g
    gc.collect()
    assert gtracer.finished_spans() == []


def test_exception_inside_generator_is_recorded_and_propagates(gtracer):
    """An exception raised by the generator's code reaches the consumer as is, marks the
    span as an error and finishes it."""
    boom = KeyError("k")

    @trace("gen")
    def gen():
        yield 1
        raise boom

    g = gen()
    next(g)
    with pytest.raises(KeyError) as info:
        next(g)
    assert info.value is boom
    [span] = gtracer.finished_spans()
    assert span.tags.get("error") is True
    assert span.logs[0].key_values["error.object"] is boom
    assert gtracer.active_span is None


def test_throw_that_propagates_is_recorded(gtracer):
    """An exception thrown in with .throw() that the generator does not catch finishes
    the span with the error recorded, and reaches the thrower."""

    @trace("gen")
    def gen():
        yield 1
        yield 2

    g = gen()
    next(g)
    exc = RuntimeError("thrown")
    with pytest.raises(RuntimeError) as info:
        g.throw(exc)
    assert info.value is exc
    [span] = gtracer.finished_spans()
    assert span.tags.get("error") is True
    assert span.logs[0].key_values["error.object"] is exc


def test_throw_caught_by_generator_does_not_finish_span(gtracer):
    """When the generator catches a thrown exception and yields again, its span stays
    open (active inside the handler) and later finishes normally, without error."""
    handled = []

    @trace("gen")
    def gen():
        try:
            yield 1
        except ValueError as exc:
            handled.append((exc, gtracer.active_span))
            yield "recovered"
        yield 3

    g = gen()
    next(g)
    assert g.throw(ValueError("retry")) == "recovered"
    assert gtracer.finished_spans() == []
    assert gtracer.active_span is None
    assert list(g) == [3]
    [span] = gtracer.finished_spans()
    assert handled[0][1] is span and str(handled[0][0]) == "retry"
    assert "error" not in span.tags


def test_send_values_pass_through(gtracer):
    """Values sent in with send() reach the generator's yield expressions in order, and
    what it yields in reply comes back from send()."""

    @trace("acc")
    def accumulator():
        total = 0
        while True:
            value = yield total
            if value is None:
                return total
            total += value

    g = accumulator()
    assert next(g) == 0
    assert g.send(5) == 5
    assert g.send(10) == 15
    with pytest.raises(StopIteration) as info:
        g.send(None)
    assert info.value.value == 15
    [span] = gtracer.finished_spans()
    assert "error" not in span.tags


def test_return_value_through_yield_from(gtracer):
    """A traced generator's return value is the value of ``yield from`` over it, and a
    traced generator delegating to another gets it as parent."""

    @trace("inner")
    def inner():
        yield "a"
        return "result"

    @trace("outer")
    def outer():
        got = yield from inner()
        yield got

    assert list(outer()) == ["a", "result"]
    spans = by_name(gtracer)
    assert spans["inner"].parent_id == spans["outer"].context.span_id
    assert [s.operation_name for s in gtracer.finished_spans()] == ["inner", "outer"]


def test_traced_generator_methods_and_tag_args(gtracer):
    """Generator methods (instance and static) are traced with tag_args taken at call."""

    class Source:
        @trace("rows", tag_args=("limit",))
        def rows(self, limit=2):
            yield from range(limit)

        @staticmethod
        @trace("static-rows")
        def static_rows():
            yield "s"

    assert list(Source().rows()) == [0, 1]
    assert list(Source().rows(limit=1)) == [0]
    assert list(Source.static_rows()) == ["s"]
    first, second, third = gtracer.finished_spans()
    assert first.tags == {"limit": 2} and second.tags == {"limit": 1}
    assert third.operation_name == "static-rows"


def test_generator_close_with_exception_in_cleanup_is_recorded(gtracer):
    """If the generator's cleanup raises while being closed, the exception propagates out
    of close() and the span is finished with it recorded."""

    @trace("gen")
    def gen():
        try:
            yield 1
        finally:
            raise OSError("cleanup failed")

    g = gen()
    next(g)
    with pytest.raises(OSError):
        g.close()
    [span] = gtracer.finished_spans()
    assert span.tags.get("error") is True
    assert gtracer.active_span is None
