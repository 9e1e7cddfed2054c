"""Nested callbacks with gevent: each step is a greenlet spawned by the previous one with
the span as argument; the last step finishes the span."""

import gevent
from gevent.event import Event

from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.gevent import GeventScopeManager

from .checks import STEPS, check_span, tag_step


def test_one_span_through_the_pipeline():
    """One span with a tag per step, in order, active in every step, finished by the last."""
    tracer = MockTracer(GeventScopeManager())
    seen = []
    finished = Event()

    def step(span, number):
        active_before = tracer.active_span
        gevent.sleep(0.001)
        finish = number == STEPS
        with tracer.scope_manager.activate(span, finish):
            seen.append((number, active_before, tracer.active_span is span, span.finished))
            tag_step(span, number)
            if not finish:
                gevent.spawn(step, span, number + 1)
        if finish:
            finished.set()

    with tracer.start_active_span("one", finish_on_close=False) as scope:
        gevent.spawn(step, scope.span, 1)
    assert tracer.active_span is None
    assert finished.wait(timeout=5), "the pipeline did not finish in time"

    span = scope.span
    check_span(tracer, span)
    # A new greenlet sees no active span until the step activates the one it was given.
    assert seen == [(n, None, True, False) for n in range(1, STEPS + 1)]
