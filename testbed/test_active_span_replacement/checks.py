"""Assertions shared by every runtime of the active-span-replacement scenario.

Each worker ``i`` produces four spans: ``initial-i`` (handed to it), ``task-i`` (an
unrelated root it makes active in place of ``initial-i``), ``subtask-i`` (child of
``task-i``) and ``continuation-i`` (child of ``initial-i``, started once ``task-i`` is
closed and ``initial-i`` is active again).
"""

from __future__ import annotations

from typing import List, Optional

from opentracing import Tracer
from opentracing.mocktracer.span import MockSpan

from ..utils import get_one_by_operation_name


def active_name(tracer: Tracer) -> Optional[str]:
    """Operation name of the tracer's active span, None when no span is active."""
    span = tracer.active_span
    return None if span is None else span.operation_name  # type: ignore[attr-defined]


def one(spans: List[MockSpan], name: str) -> MockSpan:
    """The single finished span called ``name``; fails when it is missing."""
    span = get_one_by_operation_name(spans, name)
    assert span is not None, f"no finished span named {name!r}"
    return span


def check_spans(spans: List[MockSpan], workers: int) -> None:
    """Parentage, traces and finish order of every worker's four spans, in ``spans``."""
    assert len(spans) == 4 * workers
    for i in range(workers):
        initial, task, subtask, continuation = (
            one(spans, f"{kind}-{i}") for kind in ("initial", "task", "subtask", "continuation")
        )
        assert initial.parent_id is None
        assert task.parent_id is None, "the replacement span must not inherit a parent"
        assert task.context.trace_id != initial.context.trace_id
        assert subtask.parent_id == task.context.span_id
        assert subtask.context.trace_id == task.context.trace_id
        assert continuation.parent_id == initial.context.span_id
        assert continuation.context.trace_id == initial.context.trace_id
        order = [spans.index(s) for s in (subtask, task, continuation, initial)]
        assert order == sorted(order), f"worker {i} finished out of order: {order}"
