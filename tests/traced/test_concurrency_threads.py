"""Traced code running in many threads at once: each thread's spans form their own exact
chain, with the scope managers made for threads (ThreadLocal and ContextVars)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import opentracing
from opentracing.scope_managers import ThreadLocalScopeManager
from opentracing.scope_managers.contextvars import ContextVarsScopeManager
from traced import propagate, span, trace

THREADS = 50
WAIT = 30  # seconds: the most any barrier or join may wait, so nothing hangs


@pytest.fixture(params=[ThreadLocalScopeManager, ContextVarsScopeManager], ids=["threadlocal", "contextvars"])
def tracer(request, install_mock_tracer):
    """A MockTracer on the given manager, global for the test; no span may be left active."""
    return install_mock_tracer(request.param())


def make_chain(barrier):
    """outer(i) -> middle(i) -> inner(i); inner waits on ``barrier`` so that every thread is
    inside its three spans at the same moment."""

    @trace("inner", tag_args=["i"])
    def inner(i):
        barrier.wait(WAIT)
        return opentracing.global_tracer().active_span

    @trace("middle", tag_args=["i"])
    def middle(i):
        return inner(i)

    @trace("outer", tag_args=["i"])
    def outer(i):
        active = middle(i)
        assert opentracing.global_tracer().active_span.operation_name == "outer"
        return active

    return outer


def check_chains(tracer, count, top_parent_ids):
    """Every thread ``i`` produced inner(i) -> middle(i) -> outer(i) -> top_parent_ids[i]."""
    spans = tracer.finished_spans()
    by_name = {(s.operation_name, s.tags.get("i")): s for s in spans if "i" in s.tags}
    assert len(by_name) == 3 * count
    for i in range(count):
        inner, middle, outer = by_name["inner", i], by_name["middle", i], by_name["outer", i]
        assert inner.parent_id == middle.context.span_id
        assert middle.parent_id == outer.context.span_id
        assert outer.parent_id == top_parent_ids[i]
        assert inner.context.trace_id == middle.context.trace_id == outer.context.trace_id


def test_nested_calls_in_one_thread(tracer):
    """The plain case: nested traced calls give an exact chain and leave nothing active."""
    outer = make_chain(threading.Barrier(1))
    active = outer(0)
    assert active.operation_name == "inner"
    check_chains(tracer, 1, [None])
    assert [s.operation_name for s in tracer.finished_spans()] == ["inner", "middle", "outer"]


def test_thread_pool_chains_do_not_mix(tracer):
    """50 pool threads inside their nested spans at once: each chain is its own, and a
    thread started without propagate() has a root span on top even though the submitting
    thread has a span active (new threads inherit nothing)."""
    outer = make_chain(threading.Barrier(THREADS))
    with span("submitter"):
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            actives = list(pool.map(outer, range(THREADS), timeout=WAIT))
    assert [a.tags["i"] for a in actives] == list(range(THREADS))
    check_chains(tracer, THREADS, [None] * THREADS)


def test_threading_thread_chains_do_not_mix(tracer):
    """The same with 50 threading.Thread objects."""
    outer = make_chain(threading.Barrier(THREADS))
    errors = []

    def run(i):
        try:
            outer(i)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    check_chains(tracer, THREADS, [None] * THREADS)


def test_propagate_parents_each_thread_on_the_span_active_at_submit(tracer):
    """With propagate(), each pool thread's top span is a child of the span that was active
    when the work was submitted: half under request A, half under request B."""
    outer = make_chain(threading.Barrier(THREADS))
    futures = {}
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        with span("request-A") as a:
            for i in range(0, THREADS, 2):
                futures[i] = pool.submit(propagate(outer), i)
        with span("request-B") as b:
            for i in range(1, THREADS, 2):
                futures[i] = pool.submit(propagate(outer), i)
        for f in futures.values():
            f.result(WAIT)
    parents = [(a if i % 2 == 0 else b).context.span_id for i in range(THREADS)]
    check_chains(tracer, THREADS, parents)
    assert a.finished and b.finished


def test_propagate_into_threading_thread(tracer):
    """propagate() as a Thread target: the thread's top span is a child of the span active
    when the target was wrapped, and the thread leaves no span active behind."""
    outer = make_chain(threading.Barrier(THREADS))
    left_active = []

    def run(i):
        outer(i)
        left_active.append(opentracing.global_tracer().active_span)

    with span("parent") as parent:
        threads = [threading.Thread(target=propagate(run), args=(i,)) for i in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(WAIT)
    assert not any(t.is_alive() for t in threads)
    # inside the propagated call the parent is active again, and only it
    assert left_active == [parent] * THREADS
    check_chains(tracer, THREADS, [parent.context.span_id] * THREADS)
