"""Names and assertions shared by every runtime of the multiple-callbacks scenario.

While a ``parent`` span is active, ``CALLBACKS`` callbacks (threads, tasks, greenlets or
loop callbacks) are started at once; each one opens a ``task`` span tagged with its index.
How each runtime gets the parent span into its callbacks is up to its test file.
"""

from __future__ import annotations

from typing import Any, Dict

from opentracing.mocktracer import MockTracer

from ..utils import get_one_by_operation_name, get_one_by_tag

CALLBACKS = 10
TASK_INDEX = "task.index"


def task_tags(index: int, **tags: Any) -> Dict[str, Any]:
    """Tags of the span opened by callback ``index`` (plus any ``tags`` given)."""
    return dict(tags, **{TASK_INDEX: index})


def check_spans(tracer: MockTracer, count: int = CALLBACKS) -> None:
    """One ``task`` span per callback index, each a direct child of ``parent`` and in its
    trace; ``parent`` finished last and nothing is left active."""
    spans = tracer.finished_spans()
    assert len(spans) == count + 1
    parent = get_one_by_operation_name(spans, "parent")
    assert parent is not None and parent.parent_id is None
    assert spans[-1] is parent
    for i in range(count):
        child = get_one_by_tag(spans, TASK_INDEX, i)
        assert child is not None, f"no span for callback {i}"
        assert child.operation_name == "task"
        assert child.parent_id == parent.context.span_id
        assert child.context.trace_id == parent.context.trace_id
    assert tracer.active_span is None
