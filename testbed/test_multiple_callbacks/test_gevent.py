"""Multiple callbacks with gevent: greenlets spawned while the parent is active get the
parent span passed in, activate it, and start their child spans under it."""

import random

import gevent

from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.gevent import GeventScopeManager

from .checks import CALLBACKS, check_spans, task_tags


def task(tracer, parent, index):
    active_at_start = tracer.active_span
    gevent.sleep(random.uniform(0, 0.01))
    with tracer.scope_manager.activate(parent, False):
        with tracer.start_active_span("task", tags=task_tags(index)):
            gevent.sleep(random.uniform(0, 0.005))
    return active_at_start


def test_callbacks_are_children_of_the_parent():
    """Every greenlet's span is a direct child of the parent, which finishes last."""
    tracer = MockTracer(GeventScopeManager())
    with tracer.start_active_span("parent") as scope:
        greenlets = [gevent.spawn(task, tracer, scope.span, i) for i in range(CALLBACKS)]
        gevent.joinall(greenlets, timeout=5, raise_error=True)
        assert all(g.successful() for g in greenlets), "callbacks did not finish in time"
        assert tracer.active_span is scope.span
    assert [g.value for g in greenlets] == [None] * CALLBACKS  # no implicit propagation

    check_spans(tracer)
