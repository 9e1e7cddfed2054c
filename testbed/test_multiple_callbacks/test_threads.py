"""Multiple callbacks with threads: jobs submitted to a pool while the parent is active get
the parent span passed in, activate it, and start their child spans under it."""

import random
import time
from concurrent.futures import ThreadPoolExecutor, wait

from opentracing.mocktracer import MockTracer

from ..utils import get_one_by_operation_name, get_one_by_tag

CALLBACKS = 10


def task(tracer, parent, index):
    time.sleep(random.uniform(0, 0.01))
    with tracer.scope_manager.activate(parent, False):
        with tracer.start_active_span("task", tags={"task.index": index}):
            time.sleep(random.uniform(0, 0.005))
    return tracer.active_span


def test_callbacks_are_children_of_the_parent():
    """Every job's span is a direct child of the parent, which finishes last."""
    tracer = MockTracer()
    with ThreadPoolExecutor(max_workers=5) as executor:
        with tracer.start_active_span("parent") as scope:
            futures = [
                executor.submit(task, tracer, scope.span, i) for i in range(CALLBACKS)
            ]
            done, not_done = wait(futures, timeout=5)
            assert not not_done, "callbacks did not finish in time"
            assert tracer.active_span is scope.span
    assert all(f.result() is None for f in futures)  # each job left its thread clean

    spans = tracer.finished_spans()
    assert len(spans) == CALLBACKS + 1
    parent = get_one_by_operation_name(spans, "parent")
    assert spans[-1] is parent
    for i in range(CALLBACKS):
        child = get_one_by_tag(spans, "task.index", i)
        assert child.operation_name == "task"
        assert child.parent_id == parent.context.span_id
        assert child.context.trace_id == parent.context.trace_id
    assert tracer.active_span is None
