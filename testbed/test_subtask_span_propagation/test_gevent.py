"""Subtask span propagation with gevent: the subtask greenlet is given the parent span and
activates it before starting its own."""

import gevent

from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.gevent import GeventScopeManager

from .checks import check_parentage


def subtask(tracer, parent):
    assert tracer.active_span is None  # nothing is inherited by a new greenlet
    gevent.sleep(0.001)
    with tracer.scope_manager.activate(parent, False):
        with tracer.start_active_span("child"):
            gevent.sleep(0.001)
            return "done"


def test_subtask_span_is_child_of_the_spawning_span():
    """The child span is parented to the spawning greenlet's span, which stays active."""
    tracer = MockTracer(GeventScopeManager())
    with tracer.start_active_span("parent") as scope:
        greenlet = gevent.spawn(subtask, tracer, scope.span)
        gevent.sleep(0)
        assert tracer.active_span is scope.span
        assert greenlet.get(timeout=5) == "done"
        assert tracer.active_span is scope.span

    check_parentage(tracer, ["child", "parent"])
