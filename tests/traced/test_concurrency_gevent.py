"""Traced code in 1,000 concurrent greenlets with GeventScopeManager (no monkey patching):
a greenlet starts with no active span, and ``traced.propagate`` parents it on the span
active where it was spawned."""

from __future__ import annotations

import gevent
import pytest

from opentracing.scope_managers.gevent import GeventScopeManager
from traced import active_span, propagate, span, trace

from ._tools import by_name, by_name_and_i

GREENLETS = 1000
WAIT = 60  # seconds: joinall timeout, so nothing hangs


@pytest.fixture
def tracer(install_mock_tracer):
    """A MockTracer on GeventScopeManager, global for the test; nothing left active."""
    return install_mock_tracer(GeventScopeManager())


@trace("inner", tag_args=["i"])
def inner(i):
    gevent.sleep(0)  # switch to the other greenlets while this span is active
    return active_span().tags["i"]


@trace("worker", tag_args=["i"])
def worker(i):
    gevent.sleep(0)
    got = inner(i)
    gevent.sleep(0)
    assert active_span().tags["i"] == i
    return got


def spawn_all(fn):
    greenlets = [gevent.spawn(fn, i) for i in range(GREENLETS)]
    done = gevent.joinall(greenlets, timeout=WAIT, raise_error=True)
    assert len(done) == GREENLETS
    return [g.value for g in greenlets]


def check(tracer, parent_id):
    spans = by_name_and_i(tracer)
    for i in range(GREENLETS):
        assert spans["worker", i].parent_id == parent_id
        assert spans["inner", i].parent_id == spans["worker", i].context.span_id
    return spans


def test_propagated_greenlets_are_children_of_the_parent(tracer):
    """gevent.spawn(propagate(fn)) under a parent span: each of 1,000 greenlets' spans is a
    direct child of the parent, and each nested span a child of its own greenlet's."""
    with span("parent") as parent:
        results = spawn_all(propagate(worker))
        assert active_span() is parent
    assert results == list(range(GREENLETS))
    spans = check(tracer, parent.context.span_id)
    assert len(spans) == 2 * GREENLETS + 1


def test_greenlets_without_propagate_are_roots(tracer):
    """Without propagate() a spawned greenlet sees no active span: 1,000 root spans, each
    still the parent of its own nested span."""
    with span("parent"):
        results = spawn_all(worker)
    assert results == list(range(GREENLETS))
    check(tracer, None)


def test_main_greenlet_nested_chain(tracer):
    """Nested traced calls in the main greenlet give an exact chain."""

    @trace("outer")
    def outer():
        return worker(5)

    assert outer() == 5
    spans = by_name(tracer)
    assert spans["inner"].parent_id == spans["worker"].context.span_id
    assert spans["worker"].parent_id == spans["outer"].context.span_id
    assert spans["outer"].parent_id is None
