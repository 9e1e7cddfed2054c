"""gevent (GeventScopeManager, no monkey patching): a spawned greenlet starts with nothing
active, so each span is passed to its greenlet and re-activated there; the greenlet
replaces it with an unrelated span while the others do the same, then carries on."""

from __future__ import annotations

from typing import Dict, List, Optional

import gevent
from gevent.event import Event

from opentracing.mocktracer import MockTracer
from opentracing.mocktracer.span import MockSpan
from opentracing.scope_managers.gevent import GeventScopeManager

from .checks import active_name, check_spans

WORKERS = 4


def worker(
    tracer: MockTracer,
    initial: MockSpan,
    index: int,
    all_replaced: Event,
    replaced: List[int],
    seen: Dict[int, List[Optional[str]]],
) -> None:
    """Re-activate ``initial`` in this greenlet (finishing it on close), replacing it a while."""
    observed = [active_name(tracer)]
    with tracer.scope_manager.activate(initial, True):
        with tracer.start_active_span(f"task-{index}", ignore_active_span=True):
            replaced.append(index)
            if len(replaced) == WORKERS:
                all_replaced.set()
            assert all_replaced.wait(timeout=5)  # every greenlet has its replacement active
            observed.append(active_name(tracer))
            with tracer.start_active_span(f"subtask-{index}"):
                gevent.sleep(0)
        observed.append(active_name(tracer))
        with tracer.start_active_span(f"continuation-{index}"):
            gevent.sleep(0)
    observed.append(active_name(tracer))
    seen[index] = observed


def test_replacement_in_greenlets() -> None:
    """Each greenlet sees only its own spans; the spawning greenlet keeps its active span."""
    tracer = MockTracer(GeventScopeManager())
    all_replaced = Event()
    replaced: List[int] = []
    seen: Dict[int, List[Optional[str]]] = {}
    greenlets = []
    with tracer.start_active_span("main-greenlet") as scope:
        for i in range(WORKERS):
            initial = tracer.start_span(f"initial-{i}", ignore_active_span=True)
            args = (tracer, initial, i, all_replaced, replaced, seen)
            greenlets.append(gevent.spawn(worker, *args))
        gevent.joinall(greenlets, timeout=5, raise_error=True)
        assert all(g.successful() for g in greenlets)
        assert tracer.active_span is scope.span
    assert tracer.active_span is None

    assert seen == {i: [None, f"task-{i}", f"initial-{i}", None] for i in range(WORKERS)}
    *spans, last = tracer.finished_spans()
    assert last.operation_name == "main-greenlet" and last.parent_id is None
    check_spans(spans, WORKERS)
