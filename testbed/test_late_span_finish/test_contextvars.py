"""contextvars (ContextVarsScopeManager): subtasks inherit the parent span from the task
that created them, with no explicit passing, and each open a child span; the parent's
scope is closed at once but the span is finished only after all the children, by the
awaiting task or by the last child."""

from __future__ import annotations

import asyncio
from typing import Callable, List, Optional

from opentracing.mocktracer import MockTracer
from opentracing.scope_managers.contextvars import ContextVarsScopeManager, no_parent_scope

from .checks import SUBTASKS, FinishAfterChildren, check_spans


async def subtask(
    tracer: MockTracer,
    index: int,
    opened: List[int],
    all_open: asyncio.Event,
    done: Optional[Callable[[], None]] = None,
) -> None:
    """Open ``subtask-<index>`` under the inherited span while the others have theirs open."""
    parent = tracer.active_span
    assert parent is not None and parent.operation_name == "parent"
    with tracer.start_active_span(f"subtask-{index}"):
        opened.append(index)
        if len(opened) == SUBTASKS:
            all_open.set()
        await all_open.wait()
        await asyncio.sleep(0.002 * (SUBTASKS - index))  # children finish in turn
    assert tracer.active_span is parent
    if done is not None:
        done()


async def test_parent_finished_after_awaiting_children() -> None:
    """The task that started the subtasks awaits them, then finishes the parent."""
    tracer = MockTracer(ContextVarsScopeManager())
    opened: List[int] = []
    all_open = asyncio.Event()
    with tracer.start_active_span("parent", finish_on_close=False) as scope:
        tasks = [
            asyncio.ensure_future(subtask(tracer, i, opened, all_open)) for i in range(SUBTASKS)
        ]
    assert tracer.active_span is None
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=5)
    assert len(tracer.finished_spans()) == SUBTASKS and not scope.span.finished
    scope.span.finish()
    check_spans(tracer.finished_spans())


async def test_parent_finished_by_last_child() -> None:
    """Started from inside another span, but as a root thanks to no_parent_scope(); nobody
    awaits the subtasks for the parent: the last one to finish finishes it."""
    tracer = MockTracer(ContextVarsScopeManager())
    opened: List[int] = []
    all_open = asyncio.Event()
    with tracer.start_active_span("unrelated") as unrelated:
        with no_parent_scope(), tracer.start_active_span("parent", finish_on_close=False) as scope:
            last_one = FinishAfterChildren(scope.span, SUBTASKS)
            tasks = [
                asyncio.ensure_future(subtask(tracer, i, opened, all_open, last_one.child_done))
                for i in range(SUBTASKS)
            ]
        assert tracer.active_span is unrelated.span
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=5)
    assert scope.span.finished
    *spans, last = tracer.finished_spans()
    assert last is unrelated.span
    check_spans(spans)
