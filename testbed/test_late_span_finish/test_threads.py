"""Threads: the parent span is passed to pool threads, which re-activate it and each open
a child span; the parent's scope is closed at once but the span is finished only after
all the children, by the waiting thread or by the last child."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Optional

from opentracing.mocktracer import MockTracer
from opentracing.mocktracer.span import MockSpan

from .checks import SUBTASKS, FinishAfterChildren, check_spans

TIMEOUT = 5.0


def subtask(
    tracer: MockTracer,
    parent: MockSpan,
    index: int,
    together: threading.Barrier,
    done: Optional[Callable[[], None]] = None,
) -> None:
    """Open ``subtask-<index>`` under ``parent`` while every other subtask has its open."""
    with tracer.scope_manager.activate(parent, False):
        with tracer.start_active_span(f"subtask-{index}"):
            together.wait()
            time.sleep(0.002 * (SUBTASKS - index))  # children finish in turn
        assert tracer.active_span is parent
    assert tracer.active_span is None
    if done is not None:
        done()


def test_parent_finished_after_joining_children() -> None:
    """The thread that started the subtasks waits for them, then finishes the parent."""
    tracer = MockTracer()
    together = threading.Barrier(SUBTASKS, timeout=TIMEOUT)
    with ThreadPoolExecutor(max_workers=SUBTASKS) as pool:
        with tracer.start_active_span("parent", finish_on_close=False) as scope:
            futures = [
                pool.submit(subtask, tracer, scope.span, i, together) for i in range(SUBTASKS)
            ]
        assert tracer.active_span is None
        for future in futures:
            future.result(timeout=TIMEOUT)
    assert len(tracer.finished_spans()) == SUBTASKS and not scope.span.finished
    scope.span.finish()
    check_spans(tracer.finished_spans())


def test_parent_finished_by_last_child() -> None:
    """Nobody waits for the subtasks: whichever finishes last finishes the parent."""
    tracer = MockTracer()
    together = threading.Barrier(SUBTASKS, timeout=TIMEOUT)
    parent = tracer.start_span("parent")
    last_one = FinishAfterChildren(parent, SUBTASKS)
    with ThreadPoolExecutor(max_workers=SUBTASKS) as pool:
        futures = [
            pool.submit(subtask, tracer, parent, i, together, last_one.child_done)
            for i in range(SUBTASKS)
        ]
        for future in futures:
            future.result(timeout=TIMEOUT)
    assert parent.finished
    check_spans(tracer.finished_spans())
