"""gevent (GeventScopeManager, no monkey patching): the parent span is passed to
greenlets, which activate it and each open a child span; the parent's scope is closed at
once but the span is finished only after all the children, by the joining greenlet or by
the last child."""

from __future__ import annotations

from typing import Callable, List, Optional

import gevent
from gevent.event import Event

from opentracing.mocktracer import MockTracer
from opentracing.mocktracer.span import MockSpan
from opentracing.scope_managers.gevent import GeventScopeManager

from .checks import SUBTASKS, FinishAfterChildren, check_spans

TIMEOUT = 5.0


def subtask(
    tracer: MockTracer,
    parent: MockSpan,
    index: int,
    opened: List[int],
    all_open: Event,
    done: Optional[Callable[[], None]] = None,
) -> None:
    """Open ``subtask-<index>`` under ``parent`` while every other subtask has its open."""
    with tracer.scope_manager.activate(parent, False):
        with tracer.start_active_span(f"subtask-{index}"):
            opened.append(index)
            if len(opened) == SUBTASKS:
                all_open.set()
            assert all_open.wait(timeout=TIMEOUT)
            gevent.sleep(0.002 * (SUBTASKS - index))  # children finish in turn
        assert tracer.active_span is parent
    assert tracer.active_span is None
    if done is not None:
        done()


def join(greenlets: List[gevent.Greenlet]) -> None:
    gevent.joinall(greenlets, timeout=TIMEOUT, raise_error=True)
    assert all(g.successful() for g in greenlets)


def test_parent_finished_after_joining_children() -> None:
    """The greenlet that spawned the subtasks joins them, then finishes the parent."""
    tracer = MockTracer(GeventScopeManager())
    opened: List[int] = []
    all_open = Event()
    with tracer.start_active_span("parent", finish_on_close=False) as scope:
        greenlets = [
            gevent.spawn(subtask, tracer, scope.span, i, opened, all_open) for i in range(SUBTASKS)
        ]
    assert tracer.active_span is None
    join(greenlets)
    assert len(tracer.finished_spans()) == SUBTASKS and not scope.span.finished
    scope.span.finish()
    check_spans(tracer.finished_spans())


def test_parent_finished_by_last_child() -> None:
    """Nobody joins the subtasks for the parent: the last one to finish finishes it."""
    tracer = MockTracer(GeventScopeManager())
    opened: List[int] = []
    all_open = Event()
    parent = tracer.start_span("parent")
    last_one = FinishAfterChildren(parent, SUBTASKS)
    greenlets = [
        gevent.spawn(subtask, tracer, parent, i, opened, all_open, last_one.child_done)
        for i in range(SUBTASKS)
    ]
    join(greenlets)
    assert parent.finished
    check_spans(tracer.finished_spans())
