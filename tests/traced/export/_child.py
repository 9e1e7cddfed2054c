"""Scenarios the export tests run in a fresh interpreter:
``python -m tests.traced.export._child SCENARIO URL``. Each prints one JSON line."""

from __future__ import annotations

import sys


def run_atexit(url: str) -> None:
    """Spans finished just before a normal exit arrive: close() runs at exit."""
    import atexit

    from traced.export.processor import BatchProcessor
    from traced.tracer import Tracer

    from ._sink import IdExporter

    p = BatchProcessor(IdExporter(url), schedule_delay=60)
    atexit.register(p.close)
    tracer = Tracer(recorder=p)
    for _ in range(1_000):
        tracer.start_span("x").finish()
    print('{"finished": 1000}')


def run_fork(url: str) -> None:
    """Spans of a parent and of its forked child all arrive, once each."""
    import json
    import os

    from traced.export.processor import BatchProcessor

    from ._sink import IdExporter, make_spans

    template = make_spans(1)[0]
    p = BatchProcessor(IdExporter(url), max_batch_size=64, schedule_delay=0.05)
    for i in range(300):
        p.record(template._replace(span_id=1 + i))
    pid = os.fork()
    if pid == 0:
        for i in range(300):
            p.record(template._replace(span_id=10_001 + i))
        ok = p.close(10)
        os._exit(0 if ok else 3)
    for i in range(300):
        p.record(template._replace(span_id=20_001 + i))
    _, status = os.waitpid(pid, 0)
    print(json.dumps({"child_status": status, "parent_closed": p.close(10)}))


def run_gevent(url: str) -> None:
    """Under monkey.patch_all(), the worker exports while the application's greenlet is
    busy and never yields, and flush/close work."""
    from gevent import monkey

    monkey.patch_all()
    import json
    import time

    import gevent

    from traced.counters import Counters
    from traced.export.processor import BatchProcessor
    from traced.tracer import Tracer

    from ._sink import IdExporter

    counters = Counters()
    p = BatchProcessor(IdExporter(url), counters=counters, max_batch_size=100, schedule_delay=60)
    tracer = Tracer(recorder=p)

    def work() -> None:
        for _ in range(100):
            tracer.start_span("x").finish()

    gevent.joinall([gevent.spawn(work) for _ in range(10)], timeout=30)
    deadline = time.monotonic() + 20
    while counters.exported < 1_000 and time.monotonic() < deadline:
        pass  # busy, never yielding to the hub
    busy_exported = counters.exported
    for _ in range(50):
        tracer.start_span("y").finish()
    flushed = p.flush(10)
    print(json.dumps({"busy_exported": busy_exported, "flushed": flushed, "closed": p.close(10),
                      "exported": counters.exported}))


if __name__ == "__main__":
    {"atexit": run_atexit, "fork": run_fork, "gevent": run_gevent}[sys.argv[1]](sys.argv[2])
