"""Subtask span propagation with threads: the subtask runs in another thread, is given the
parent span and activates it before starting its own."""

from concurrent.futures import ThreadPoolExecutor

from opentracing.mocktracer import MockTracer

from .checks import check_parentage


def subtask(tracer, parent):
    with tracer.scope_manager.activate(parent, False):
        with tracer.start_active_span("child"):
            return "done"


def test_subtask_span_is_child_of_the_spawning_span():
    """The child span is parented to the spawning task's span, which stays active."""
    tracer = MockTracer()
    with ThreadPoolExecutor(max_workers=1) as executor:
        with tracer.start_active_span("parent") as scope:
            future = executor.submit(subtask, tracer, scope.span)
            assert tracer.active_span is scope.span
            assert future.result(timeout=5) == "done"
            assert tracer.active_span is scope.span
        # the pool thread was left with no active span
        assert executor.submit(lambda: tracer.active_span).result(timeout=5) is None

    check_parentage(tracer, ["child", "parent"])
