"""Helpers and assertions shared by every runtime of the late-span-finish scenario.

A ``parent`` span starts ``SUBTASKS`` concurrent subtasks, each of which makes a child
span ``subtask-<i>``. The parent span stays open after its scope is closed and is
finished only once every child has finished: either by the code that waited for the
subtasks, or by whichever subtask happens to finish last (:class:`FinishAfterChildren`).
"""

from __future__ import annotations

import threading
from typing import List

from opentracing import Span
from opentracing.mocktracer.span import MockSpan

SUBTASKS = 4


class FinishAfterChildren:
    """Finishes ``span`` when the last of ``count`` children calls :meth:`child_done`,
    whatever thread, task or greenlet that is."""

    def __init__(self, span: Span, count: int) -> None:
        self._span = span
        self._remaining = count
        self._lock = threading.Lock()

    def child_done(self) -> None:
        with self._lock:
            self._remaining -= 1
            last = self._remaining == 0
        if last:
            self._span.finish()


def check_spans(spans: List[MockSpan]) -> None:
    """The children are all the parent's, in its trace, and the parent finished last."""
    assert len(spans) == SUBTASKS + 1
    *children, parent = spans
    assert parent.operation_name == "parent" and parent.parent_id is None
    assert sorted(c.operation_name for c in children) == [f"subtask-{i}" for i in range(SUBTASKS)]
    for child in children:
        assert child.parent_id == parent.context.span_id
        assert child.context.trace_id == parent.context.trace_id
        assert child.finish_time is not None and parent.finish_time is not None
        assert child.finish_time <= parent.finish_time
