"""Threads: each span is handed to a pool thread, which re-activates it, replaces it with
an unrelated span while all threads run at once, then carries on with the original."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Dict, List, Optional

from opentracing.mocktracer import MockTracer
from opentracing.mocktracer.span import MockSpan

from .checks import active_name, check_spans

WORKERS = 4


def worker(
    tracer: MockTracer,
    initial: MockSpan,
    index: int,
    barrier: threading.Barrier,
    seen: Dict[int, List[Optional[str]]],
) -> None:
    """Re-activate ``initial`` here (finishing it on close), with a replacement in between."""
    observed = [active_name(tracer)]  # a pool thread starts with nothing active
    with tracer.scope_manager.activate(initial, True):
        with tracer.start_active_span(f"task-{index}", ignore_active_span=True):
            barrier.wait()  # every thread now has its own replacement active
            observed.append(active_name(tracer))
            with tracer.start_active_span(f"subtask-{index}"):
                pass
        observed.append(active_name(tracer))
        with tracer.start_active_span(f"continuation-{index}"):
            pass
    observed.append(active_name(tracer))
    seen[index] = observed


def test_replacement_in_pool_threads() -> None:
    """Each thread sees only its own spans, and nothing leaks into the main thread."""
    tracer = MockTracer()
    barrier = threading.Barrier(WORKERS, timeout=5)
    seen: Dict[int, List[Optional[str]]] = {}
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = []
        for i in range(WORKERS):
            initial = tracer.start_span(f"initial-{i}")
            with tracer.scope_manager.activate(initial, False):
                futures.append(pool.submit(worker, tracer, initial, i, barrier, seen))
            assert tracer.active_span is None
        done, pending = wait(futures, timeout=10)
        assert not pending
        for future in done:
            future.result()  # re-raise a failure from the worker

    assert tracer.active_span is None, "a worker's scope leaked into the main thread"
    assert seen == {i: [None, f"task-{i}", f"initial-{i}", None] for i in range(WORKERS)}
    check_spans(tracer.finished_spans(), WORKERS)
