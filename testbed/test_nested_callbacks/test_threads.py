"""Nested callbacks with threads: each step runs in a pool thread, re-activates the span it
was given and submits the next step; the last step finishes the span."""

import threading
from concurrent.futures import ThreadPoolExecutor

from opentracing.mocktracer import MockTracer

from .checks import STEPS, check_span, tag_step


def test_one_span_through_the_pipeline():
    """One span with a tag per step, in order, active in every step, finished by the last."""
    tracer = MockTracer()
    seen = []
    finished = threading.Event()

    def step(executor, span, number):
        finish = number == STEPS
        with tracer.scope_manager.activate(span, finish):
            seen.append((number, tracer.active_span is span, span.finished))
            tag_step(span, number)
            if not finish:
                executor.submit(step, executor, span, number + 1)
        if finish:
            finished.set()

    with ThreadPoolExecutor(max_workers=2) as executor:
        span = tracer.start_span("one")
        executor.submit(step, executor, span, 1)
        assert tracer.active_span is None
        assert finished.wait(timeout=5), "the pipeline did not finish in time"

    check_span(tracer, span)
    assert seen == [(n, True, False) for n in range(1, STEPS + 1)]
