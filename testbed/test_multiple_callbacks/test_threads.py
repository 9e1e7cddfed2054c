"""Multiple callbacks with threads: jobs submitted to a pool while the parent is active get
the parent span passed in, activate it, and start their child spans under it."""

import random
import time
from concurrent.futures import ThreadPoolExecutor, wait

from opentracing.mocktracer import MockTracer

from .checks import CALLBACKS, check_spans, task_tags


def task(tracer, parent, index):
    time.sleep(random.uniform(0, 0.01))
    with tracer.scope_manager.activate(parent, False):
        with tracer.start_active_span("task", tags=task_tags(index)):
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

    check_spans(tracer)
