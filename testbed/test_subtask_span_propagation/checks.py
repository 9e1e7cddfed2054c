"""Assertions shared by every runtime of the subtask-span-propagation scenario.

A task with its ``parent`` span active spawns subtasks that open spans of their own; how
each runtime gets the parent span into the subtask is up to its test file.
"""

from __future__ import annotations

from typing import List

from opentracing.mocktracer import MockTracer
from opentracing.mocktracer.span import MockSpan


def check_parentage(tracer: MockTracer, names: List[str]) -> List[MockSpan]:
    """The finished spans have ``names``, in order; the last is a root span and every other
    one is its child, in its trace; nothing is left active. Returns the spans."""
    spans = tracer.finished_spans()
    assert [s.operation_name for s in spans] == names
    parent = spans[-1]
    assert parent.parent_id is None
    for child in spans[:-1]:
        assert child.parent_id == parent.context.span_id
        assert child.context.trace_id == parent.context.trace_id
    assert tracer.active_span is None
    return spans


def check_detached(tracer: MockTracer, detached: MockSpan, parent: MockSpan) -> None:
    """A subtask started without a parent: ``detached`` finished before ``parent`` and
    starts a trace of its own; nothing is left active."""
    assert tracer.finished_spans() == [detached, parent]
    assert (detached.operation_name, parent.operation_name) == ("detached", "parent")
    assert detached.parent_id is None
    assert detached.context.trace_id != parent.context.trace_id
    assert tracer.active_span is None
