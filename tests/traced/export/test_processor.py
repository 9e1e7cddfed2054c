"""The processors against a real collector on 127.0.0.1: nothing lost when the queue is big
enough, drops counted exactly when it is not, exporter failures contained, instrumentation
suppressed on the worker, flush and close within their timeouts."""

from __future__ import annotations

import json
import os
import threading
import time
import tracemalloc
from typing import List, Sequence

import pytest

from traced._suppress import is_suppressed
from traced.counters import Counters
from traced.export.base import Exporter
from traced.export.processor import BatchProcessor, SimpleProcessor
from traced.tracer import Tracer
from traced.tracer.span import FinishedSpan

from ._sink import IdExporter, Sink, make_spans

SPANS = make_spans(64)


def spans(n: int) -> List[FinishedSpan]:
    """``n`` spans with distinct span ids (copies of real ones)."""
    return [SPANS[i % 64]._replace(span_id=i + 1) for i in range(n)]


def batch(exporter: Exporter, counters: Counters, **kwargs: object) -> BatchProcessor:
    return BatchProcessor(exporter, counters=counters, **kwargs)  # type: ignore[arg-type]


def test_fifty_threads_all_arrive(sink: Sink) -> None:
    counters = Counters()
    p = batch(IdExporter(sink.url), counters, max_queue_size=20_000, schedule_delay=0.2)
    tracer = Tracer(recorder=p)
    threads = [threading.Thread(target=lambda: [tracer.start_span("x").finish() for _ in range(200)])
               for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert p.close(10)
    ids = sink.span_ids()
    assert len(ids) == len(set(ids)) == 10_000
    assert counters.exported == 10_000 and counters.dropped == counters.failed == 0


def test_burst_with_a_queue_sized_for_it_loses_nothing(sink: Sink) -> None:
    counters = Counters()
    p = batch(IdExporter(sink.url), counters, max_queue_size=50_000)
    for span in spans(50_000):
        p.record(span)
    assert p.flush(30)
    assert sorted(sink.span_ids()) == list(range(1, 50_001))
    assert counters.exported == 50_000 and counters.dropped == 0
    assert p.close(5)


def test_small_queue_counts_drops_exactly(sink: Sink) -> None:
    counters = Counters()
    sink.default = ("slow", 0.05)
    p = batch(IdExporter(sink.url), counters, max_queue_size=100, max_batch_size=50)
    for span in spans(5_000):
        p.record(span)
    assert p.close(30)
    delivered = len(sink.span_ids())
    assert counters.dropped > 0
    assert delivered + counters.dropped == 5_000
    assert counters.exported == delivered and counters.failed == 0


def test_batches_are_bounded_by_count_and_bytes(sink: Sink) -> None:
    class Sized(IdExporter):
        def size_hint(self, span: FinishedSpan) -> int:
            return 100

    p = batch(Sized(sink.url), Counters(), max_batch_size=30, max_batch_bytes=1_000)
    for span in spans(95):
        p.record(span)
    assert p.close(10)
    sizes = [len(json.loads(body)) for body in sink.bodies()]
    assert sum(sizes) == 95 and max(sizes) == 10


def test_export_starts_early_when_a_batch_is_full_and_on_schedule(sink: Sink) -> None:
    p = batch(IdExporter(sink.url), Counters(), max_batch_size=10, schedule_delay=60)
    for span in spans(10):
        p.record(span)
    deadline = time.monotonic() + 10
    while len(sink.span_ids()) < 10 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(sink.span_ids()) == 10  # long before the 60 s schedule
    p.close(5)
    q = batch(IdExporter(sink.url), Counters(), max_batch_size=100, schedule_delay=0.1)
    q.record(spans(1)[0])
    deadline = time.monotonic() + 10
    while len(sink.span_ids()) < 11 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(sink.span_ids()) == 11  # one span, sent on schedule without a flush
    q.close(5)


class Flaky(Exporter):
    """Raises on the first export, fails the second, then records."""

    def __init__(self) -> None:
        self.calls = 0
        self.got: List[FinishedSpan] = []
        self.suppressed: List[bool] = []

    def export(self, spans: Sequence[FinishedSpan], timeout: float) -> bool:
        self.calls += 1
        self.suppressed.append(is_suppressed())
        if self.calls == 1:
            raise RuntimeError("exporter bug")
        if self.calls == 2:
            return False
        self.got.extend(spans)
        return True


def test_an_exporter_that_raises_is_counted_and_the_worker_goes_on() -> None:
    counters = Counters()
    exporter = Flaky()
    p = batch(exporter, counters)
    p.record(spans(1)[0])
    assert p.flush(5) is False  # the batch raised
    p.record(spans(2)[1])
    assert p.flush(5) is False  # the batch failed
    p.record(spans(3)[2])
    assert p.flush(5) is True
    assert [s.span_id for s in exporter.got] == [3]
    assert counters.failed == 2 and counters.exported == 1
    assert exporter.suppressed == [True, True, True] and not is_suppressed()


def test_simple_processor_exports_on_the_finishing_thread() -> None:
    counters = Counters()
    exporter = Flaky()
    p = SimpleProcessor(exporter, counters=counters)
    for span in spans(3):
        p.record(span)  # the first raises inside the exporter: never here
    assert counters.failed == 2 and counters.exported == 1 and exporter.suppressed == [True] * 3
    assert p.close(1)
    p.record(spans(1)[0])
    assert counters.dropped == 1


@pytest.mark.parametrize("fault", ["hang", ("slow", 60), (503, {"Retry-After": "1"}), "reset"])
def test_a_stuck_collector_never_holds_the_application(sink: Sink, fault: object) -> None:
    counters = Counters()
    sink.default = fault
    p = batch(IdExporter(sink.url, counters), counters, max_queue_size=500, max_batch_size=50,
              export_timeout=30)
    tracer = Tracer(recorder=p)
    worst = 0.0
    for _ in range(2_000):
        start = time.perf_counter()
        tracer.start_span("x").finish()
        worst = max(worst, time.perf_counter() - start)
    assert worst < 0.5  # a finish never waits for the network (a generous bound)
    start = time.monotonic()
    assert p.flush(0.5) is False
    assert p.close(1.0) is False
    assert time.monotonic() - start < 4  # both within their timeouts, generously
    tracer.start_span("after").finish()  # dropped, counted, no exception
    deadline = time.monotonic() + 10
    while counters.exported + counters.dropped + counters.failed < 2_001 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert counters.exported + counters.dropped + counters.failed == 2_001
    assert counters.dropped > 0 and counters.exported == 0


def test_memory_stays_bounded_against_a_dead_collector(dead_url: str) -> None:
    counters = Counters()
    p = batch(IdExporter(dead_url, counters), counters, export_timeout=0.2)
    tracer = Tracer(recorder=p)
    for _ in range(5_000):  # warm up: queue full, worker retrying
        tracer.start_span("x", tags={"k%d" % i: "v" * 20 for i in range(8)}).finish()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for _ in range(100_000):
            tracer.start_span("x", tags={"k%d" % i: "v" * 20 for i in range(8)}).finish()
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    # the queue holds 2,048 spans (about 2 KB each here); 100,000 kept would be ~200 MB
    assert peak < 16_000_000, peak
    p.close(0.5)
    assert counters.exported == 0
    assert counters.dropped + counters.failed == 105_000


def test_flush_with_nothing_recorded_is_immediate() -> None:
    p = BatchProcessor(Flaky())
    assert p.flush(0.1) and p.close(0.1) and p.close(0.1)


def test_flush_after_close_answers_at_once() -> None:
    exporter = Flaky()
    exporter.calls = 2  # past the raising and the failing calls: exports succeed
    p = BatchProcessor(exporter, schedule_delay=0.05)
    p.record(spans(1)[0])
    assert p.close(5)
    start = time.monotonic()
    assert p.flush(3) is True  # the stopped worker is not waited for
    assert time.monotonic() - start < 2
    assert len(p._queue) == 0  # no marker left behind for a worker that is gone


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_child_forked_while_a_lock_was_held_still_counts_drops() -> None:
    counters = Counters()
    p = batch(Flaky(), counters, max_queue_size=1, schedule_delay=60)
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:  # the worker's counters.add and log line, caught mid-way by fork()
        with counters._lock, p._log._lock:
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    pid = os.fork()
    if pid == 0:  # the child: the holding thread does not exist here
        done = threading.Event()

        def overflow() -> None:
            for span in spans(50):
                p.record(span)  # a queue of one: most are dropped, counted and logged
            p.flush(5)
            done.set()

        threading.Thread(target=overflow, daemon=True).start()
        finished = done.wait(5) and counters.dropped > 0
        os._exit(0 if finished and sum(counters.snapshot().values()) == 50 else 1)
    release.set()
    holder.join()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_child_forked_while_a_simple_export_runs_can_still_export() -> None:
    """SimpleProcessor holds its lock while exporting; a child forked meanwhile must not
    inherit that lock held (it would hang on its first span)."""
    inside, release = threading.Event(), threading.Event()
    exported: List[str] = []

    class Blocking(Exporter):
        def export(self, spans: Sequence[FinishedSpan], timeout: float) -> bool:
            if threading.current_thread() is worker:
                inside.set()
                release.wait(10)
            exported.extend(s.operation_name for s in spans)
            return True

    processor = SimpleProcessor(Blocking())
    first, second = make_spans(2)
    worker = threading.Thread(target=processor.record, args=(first,))
    worker.start()
    assert inside.wait(10)
    pid = os.fork()
    if pid == 0:  # the child: export on its own, with the parent's worker frozen mid-export
        try:
            processor.record(second)
            os._exit(0 if exported == [second.operation_name] else 1)
        finally:
            os._exit(2)
    release.set()
    worker.join(10)
    deadline = time.monotonic() + 20
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            pytest.fail("the forked child hung on the lock held at fork()")
        time.sleep(0.02)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert exported == [first.operation_name]
