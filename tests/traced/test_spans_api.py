"""``traced.span`` (``with`` and ``async with``), ``start_child_span`` and ``active_span``:
what they give, what they record, which options reach the tracer, and how they behave
when the tracer fails."""

from __future__ import annotations

import asyncio
import inspect
import logging

import pytest

from opentracing import Span, follows_from
from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.contextvars import ContextVarsScopeManager
from traced import active_span, span, start_child_span

from ._tools import by_name, cancel_once_started


class Boom(Exception):
    pass


class Interrupt(BaseException):
    pass


# --- span as a context manager ---------------------------------------------------------


def test_with_span_gives_active_span_and_finishes_it(tracer):
    """``with span(...) as s`` gives the started Span, active in the block, with the tags;
    it is finished at the end of the block and the previous span is active again."""
    with tracer.start_active_span("outer") as outer:
        with span("block", tags={"k": "v"}) as s:
            assert isinstance(s, Span)
            assert tracer.active_span is s
            assert not s.finished
            s.set_tag("inside", 1)
        assert tracer.active_span is outer.span
    spans = by_name(tracer)
    assert spans["block"] is s and s.finished
    assert s.tags == {"k": "v", "inside": 1}
    assert s.parent_id == outer.span.context.span_id


def test_with_span_records_exception_and_propagates(tracer):
    """An exception leaving the block marks the span as an error (one error log) and
    propagates unchanged."""
    boom = Boom("bad")
    with pytest.raises(Boom) as info:
        with span("block"):
            raise boom
    assert info.value is boom
    [s] = tracer.finished_spans()
    assert s.tags == {"error": True}
    [log] = s.logs
    assert log.key_values["event"] == "error" and log.key_values["error.object"] is boom
    assert tracer.active_span is None


def test_with_span_base_exception_is_not_an_error(tracer):
    """A BaseException-only exception finishes the span without marking it."""
    with pytest.raises(Interrupt):
        with span("block"):
            raise Interrupt()
    [s] = tracer.finished_spans()
    assert s.tags == {} and s.logs == []


async def test_async_with_span(install_tracer):
    """``async with span(...)`` works like ``with``: the span is active across awaits in
    the block and finished after it."""
    tracer = install_tracer(MockTracer(ContextVarsScopeManager()))
    async with span("ablock", tags={"a": 1}) as s:
        await asyncio.sleep(0)
        assert tracer.active_span is s
        with tracer.start_active_span("child"):
            await asyncio.sleep(0)
    assert tracer.active_span is None
    spans = by_name(tracer)
    assert spans["ablock"] is s and s.tags == {"a": 1}
    assert spans["child"].parent_id == s.context.span_id


async def test_async_with_span_records_exception(install_tracer):
    """An exception leaving an ``async with`` block is recorded and propagates."""
    tracer = install_tracer(MockTracer(ContextVarsScopeManager()))
    with pytest.raises(Boom):
        async with span("ablock"):
            await asyncio.sleep(0)
            raise Boom()
    [s] = tracer.finished_spans()
    assert s.tags.get("error") is True


@pytest.mark.parametrize("use_async_with", [False, True])
async def test_cancelled_block_is_tagged_cancelled(install_tracer, use_async_with):
    """A CancelledError leaving a span block tags the span cancelled (not error) and the
    cancellation reaches the task."""
    tracer = install_tracer(MockTracer(ContextVarsScopeManager()))
    started = asyncio.Event()

    async def work():
        if use_async_with:
            async with span("block"):
                started.set()
                await asyncio.sleep(3600)
        else:
            with span("block"):
                started.set()
                await asyncio.sleep(3600)

    await cancel_once_started(work(), started)
    [s] = tracer.finished_spans()
    assert s.tags.get("cancelled") is True and "error" not in s.tags


def test_span_options_pass_through(tracer):
    """child_of (Span or SpanContext), references, ignore_active_span and start_time reach
    the tracer."""
    parent = tracer.start_span("parent")
    with tracer.start_active_span("active") as active:
        with span("by-span", child_of=parent):
            pass
        with span("by-context", child_of=parent.context):
            pass
        with span("by-reference", references=[follows_from(parent.context)]):
            pass
        with span("root", ignore_active_span=True):
            pass
        with span("timed", start_time=1234.5):
            pass
        with span("default"):
            pass
    spans = by_name(tracer)
    parent_id = parent.context.span_id
    assert spans["by-span"].parent_id == parent_id
    assert spans["by-context"].parent_id == parent_id
    assert spans["by-reference"].parent_id == parent_id
    assert spans["root"].parent_id is None
    assert spans["timed"].start_time == 1234.5
    assert spans["timed"].parent_id == active.span.context.span_id
    assert spans["default"].parent_id == active.span.context.span_id


def test_span_with_explicit_tracer(tracer):
    """tracer= sends the span to that tracer and activates it there, not globally."""
    own = MockTracer()
    with span("mine", tracer=own) as s:
        assert own.active_span is s
        assert tracer.active_span is None
    assert own.finished_spans() == [s] and tracer.finished_spans() == []


class StartFails(MockTracer):
    def start_span(self, *args, **kwargs):
        raise RuntimeError("tracer down")


def test_span_tracer_failure_runs_block_with_noop_span(install_tracer, caplog):
    """If the tracer cannot start the span, the block still runs, with a no-op span that
    accepts the usual calls; its exceptions still propagate; one WARNING is logged."""
    install_tracer(StartFails())
    ran = []
    for _ in range(2):
        with span("block") as s:
            s.set_tag("a", 1).log_kv({"event": "x"})
            ran.append(s)
    with pytest.raises(Boom):
        with span("block"):
            raise Boom()
    assert len(ran) == 2 and all(isinstance(s, Span) for s in ran)
    warnings = [r for r in caplog.records if r.name == "traced" and r.levelno == logging.WARNING]
    assert len(warnings) == 1


def test_span_scope_close_failure_is_reported_not_raised(install_tracer, caplog):
    """A tracer whose finish() raises at the end of the block does not disturb the block's
    result, and the failure is logged."""

    class FinishFails(MockTracer):
        def _append_finished_span(self, span_):
            raise RuntimeError("finish failed")

    tracer = install_tracer(FinishFails())
    with span("block"):
        value = "done"
    assert value == "done"
    assert tracer.active_span is None
    assert any(r.name == "traced" and r.levelno == logging.WARNING for r in caplog.records)


# --- start_child_span and active_span -------------------------------------------------


def test_start_child_span_of_span_and_context(tracer):
    """start_child_span with a parent Span or SpanContext makes a child of it, started but
    neither activated nor finished."""
    parent = tracer.start_span("parent")
    child = start_child_span("child", parent, tags={"t": 1})
    grandchild = start_child_span("grandchild", child.context, start_time=99.0)
    assert tracer.active_span is None
    assert not child.finished and not grandchild.finished
    assert child.parent_id == parent.context.span_id
    assert grandchild.parent_id == child.context.span_id
    assert child.context.trace_id == grandchild.context.trace_id == parent.context.trace_id
    assert child.tags == {"t": 1} and grandchild.start_time == 99.0
    grandchild.finish()
    child.finish()
    assert [s.operation_name for s in tracer.finished_spans()] == ["grandchild", "child"]


def test_start_child_span_defaults_to_active_span_or_root(tracer):
    """With no parent, start_child_span parents to the active span, or starts a root span
    when none is active."""
    root = start_child_span("root")
    assert root.parent_id is None
    with tracer.start_active_span("active") as scope:
        child = start_child_span("child")
        assert tracer.active_span is scope.span  # the child was not activated
    assert child.parent_id == scope.span.context.span_id
    with start_child_span("as-cm") as cm_span:
        pass
    assert cm_span.finished


def test_start_child_span_explicit_tracer(tracer):
    """start_child_span(tracer=...) uses that tracer and its active span."""
    own = MockTracer()
    with own.start_active_span("own-active") as scope:
        child = start_child_span("child", tracer=own)
    assert child.tracer is own and child.parent_id == scope.span.context.span_id


def test_active_span(tracer):
    """active_span() is the global tracer's active span (None when none is active);
    active_span(tracer) asks the given tracer."""
    own = MockTracer()
    assert active_span() is None
    with tracer.start_active_span("global") as g, own.start_active_span("own") as o:
        assert active_span() is g.span
        assert active_span(own) is o.span
    assert active_span() is None and active_span(own) is None


def test_span_signature_is_the_documented_one():
    """inspect.signature(span) shows the keyword-only options, though __init__ takes **options."""
    params = inspect.signature(span).parameters
    assert list(params) == [
        "operation_name", "tags", "tracer", "child_of", "references",
        "ignore_active_span", "start_time",
    ]
    assert all(p.kind is p.KEYWORD_ONLY for name, p in params.items() if name != "operation_name")


def test_span_rejects_unknown_options_at_once(tracer):
    """A misspelt option is a TypeError when span() is called, and starts nothing."""
    with pytest.raises(TypeError, match="tagz"):
        span("x", tagz={"a": 1})
    assert tracer.finished_spans() == []
    assert tracer.active_span is None
