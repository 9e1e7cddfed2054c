"""End-to-end export throughput: spans/s from finish() to bytes received by a local sink.

A burst of spans with 8 tags each is finished as fast as one thread can; the figure is the
spans the sink (its own process, parsing every request) has received, divided by the time
from the first finish to the last span's arrival. Ours (BatchProcessor + OTLPExporter)
against OpenTelemetry's (BatchSpanProcessor + OTLPSpanExporter over HTTP), in the same run:
with a queue big enough for the burst (delivered/s), and with OTel's default queue of 2,048
(spans dropped).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _timing import EIGHT_TAGS  # noqa: E402

TAGS = EIGHT_TAGS
DEFAULT_QUEUE = 2048


class SinkProcess:
    """The fast sink in its own process."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("_fast_sink.py"))],
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())
        self.url = "http://127.0.0.1:%d/v1/traces" % self.port

    def spans(self) -> int:
        with urllib.request.urlopen("http://127.0.0.1:%d/stats" % self.port, timeout=10) as r:
            return int(json.loads(r.read())["spans"])

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def ours(url: str, queue: int) -> Tuple[Callable[[], None], Callable[[], None], Callable[[], int]]:
    from traced.counters import Counters
    from traced.export.otlp import OTLPExporter
    from traced.export.processor import BatchProcessor
    from traced.tracer import Tracer

    counters = Counters()
    processor = BatchProcessor(OTLPExporter(url, counters=counters), max_queue_size=queue, counters=counters)
    tracer = Tracer("bench", recorder=processor)

    def one() -> None:
        tracer.start_span("span", tags=TAGS).finish()

    return one, lambda: processor.close(60) and None, lambda: counters.dropped


def otel(url: str, queue: int) -> Tuple[Callable[[], None], Callable[[], None], Callable[[], int]]:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": "bench"}))
    processor = BatchSpanProcessor(OTLPSpanExporter(endpoint=url), max_queue_size=queue)
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("bench")

    def one() -> None:
        tracer.start_span("span", attributes=TAGS).end()

    return one, lambda: provider.shutdown() and None, lambda: -1


def run(make: Callable[..., Any], sink: SinkProcess, n: int, queue: int) -> Dict[str, float]:
    before = sink.spans()
    one, close, dropped = make(sink.url, queue)
    start = time.perf_counter()
    for _ in range(n):
        one()
    produced = time.perf_counter() - start
    close()  # flushes what is queued
    received = sink.spans() - before
    elapsed = time.perf_counter() - start
    return {"delivered": received, "per_s": received / elapsed, "produce_per_s": n / produced,
            "dropped": n - received, "counted_dropped": dropped()}


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run, e.g. for a smoke test")
    parser.add_argument("--no-compare", action="store_true", help="skip OpenTelemetry")
    args = parser.parse_args(argv)
    n = 5_000 if args.quick else 50_000
    sink = SinkProcess()
    try:
        results: Dict[str, Dict[str, float]] = {}
        for name, make in (("ours", ours), ("otel", otel)):
            if name == "otel" and args.no_compare:
                continue
            results[name + " big"] = run(make, sink, n, n)
            results[name + " default"] = run(make, sink, n, DEFAULT_QUEUE)
    finally:
        sink.close()
    print("export: %d-span burst, 8 tags each, finish() to bytes received (one thread)" % n)
    print("  %-44s %12s %12s %10s" % ("line", "delivered/s", "finish/s", "dropped"))
    labels = {"ours big": "traced BatchProcessor + OTLPExporter, queue=burst",
              "ours default": "traced, queue=2048",
              "otel big": "OTel BatchSpanProcessor + OTLPSpanExporter, queue=burst",
              "otel default": "OTel, queue=2048"}
    for key, r in results.items():
        print("  %-44s %12.0f %12.0f %10d" % (labels[key][:44], r["per_s"], r["produce_per_s"], r["dropped"]))
    ok = results["ours big"]["delivered"] == n
    print("  ours lost none with queue=burst: %s" % ("ok" if ok else "MISSED"))
    print("  ours dropped exactly as counted, queue=2048: %s" % (
        "ok" if results["ours default"]["dropped"] == results["ours default"]["counted_dropped"] else "MISSED"))
    if "otel big" in results:
        ratio = results["ours big"]["per_s"] / results["otel big"]["per_s"]
        print("  ratio delivered/s ours/OTel, queue=burst: %.1fx (target >= 4x: %s)"
              % (ratio, "ok" if ratio >= 4 else "MISSED"))
    print("  ours >= 50,000 spans/s delivered: %s" % ("ok" if results["ours big"]["per_s"] >= 50_000 else "MISSED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
