"""asyncio (AsyncioScopeManager): the parent span is passed to tasks, which activate it
and each open a child span; the parent's scope is closed at once but the span is
finished only after all the children, by the awaiting task or by the last child."""

from __future__ import annotations

import asyncio
from typing import Callable, List, Optional

from opentracing.mocktracer import MockTracer
from opentracing.mocktracer.span import MockSpan
from opentracing.scope_managers.asyncio import AsyncioScopeManager

from .checks import SUBTASKS, FinishAfterChildren, check_spans


async def subtask(
    tracer: MockTracer,
    parent: MockSpan,
    index: int,
    opened: List[int],
    all_open: asyncio.Event,
    done: Optional[Callable[[], None]] = None,
) -> None:
    """Open ``subtask-<index>`` under ``parent`` while every other subtask has its open."""
    with tracer.scope_manager.activate(parent, False):
        with tracer.start_active_span(f"subtask-{index}"):
            opened.append(index)
            if len(opened) == SUBTASKS:
                all_open.set()
            await all_open.wait()
            await asyncio.sleep(0.002 * (SUBTASKS - index))  # children finish in turn
        assert tracer.active_span is parent
    assert tracer.active_span is None
    if done is not None:
        done()


async def test_parent_finished_after_awaiting_children() -> None:
    """The task that started the subtasks awaits them, then finishes the parent."""
    tracer = MockTracer(AsyncioScopeManager())
    opened: List[int] = []
    all_open = asyncio.Event()
    with tracer.start_active_span("parent", finish_on_close=False) as scope:
        tasks = [
            asyncio.ensure_future(subtask(tracer, scope.span, i, opened, all_open))
            for i in range(SUBTASKS)
        ]
    assert tracer.active_span is None
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=5)
    assert len(tracer.finished_spans()) == SUBTASKS and not scope.span.finished
    scope.span.finish()
    check_spans(tracer.finished_spans())


async def test_parent_finished_by_last_child() -> None:
    """Nobody awaits the subtasks for the parent: the last one to finish finishes it."""
    tracer = MockTracer(AsyncioScopeManager())
    opened: List[int] = []
    all_open = asyncio.Event()
    parent = tracer.start_span("parent")
    last_one = FinishAfterChildren(parent, SUBTASKS)
    tasks = [
        asyncio.ensure_future(subtask(tracer, parent, i, opened, all_open, last_one.child_done))
        for i in range(SUBTASKS)
    ]
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=5)
    assert parent.finished
    check_spans(tracer.finished_spans())
