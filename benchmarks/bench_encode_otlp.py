"""Encoding throughput of OTLP trace requests: ``traced.export.otlp.encode_otlp`` against
OpenTelemetry's own encoder and against building the generated protobuf classes by hand.

What is measured
    Spans per second, on one core, to turn a batch of 512 finished spans with 8 tags each
    (the tags of ``bench_tracer.py``: strings, ints, a bool, a float, ``span.kind``; the URL
    differs on every span) into the bytes of one ``ExportTraceServiceRequest``:

    * ours: ``encode_otlp(spans)`` on ``FinishedSpan`` snapshots recorded by
      ``traced.Tracer`` (a fresh encoder per batch, so nothing is cached from one batch to
      the next); and the same through ``OTLPExporter``'s path, an encoder kept across
      batches (what a running exporter does);
    * OpenTelemetry: ``encode_spans(spans).SerializeToString()`` from
      ``opentelemetry-exporter-otlp-proto-common`` on ``ReadableSpan`` objects recorded by the
      OpenTelemetry SDK with the same names, tags (as attributes) and kind;
    * generated classes: our spans mapped by straightforward code onto the
      ``opentelemetry-proto`` message classes, then ``SerializeToString()``.

    Before timing, each line's bytes are decoded with the generated classes and checked to
    hold 512 spans with their attributes.

How
    Each line encodes the same batch repeatedly in a loop timed with ``time.perf_counter``,
    the garbage collector off; a timing lasts about ``--batch-seconds`` and the lines take
    turns ``--repeat`` times per round, for ``--rounds`` rounds. A line's figure is its best
    timing (the least disturbed run); ratios are against ours in the same run.

Usage
    python benchmarks/bench_encode_otlp.py            # full run
    python benchmarks/bench_encode_otlp.py --quick    # a short run (smoke test)

``--no-compare`` is accepted for ``run_all.py``; the peers here need no pip, so they run
anyway.
"""

from __future__ import annotations

import sys
import time
from itertools import repeat
from typing import Any, Callable, Dict, List, Optional, Sequence

from _timing import EIGHT_TAGS, apply_defaults, error_text, exit_status, fmt, gc_paused, timing_parser

BATCH = 512
TARGET = 100_000  # spans/s our encoder must reach

URL = "https://example.com/items/%d"  # a different URL on every span: not all from a cache
TAGS = EIGHT_TAGS


def our_spans(n: int) -> List[Any]:
    """``n`` finished spans of ``traced.Tracer``: a root and its children, 8 tags each."""
    import traced.tracer as tr

    memory = tr.MemoryRecorder()
    tracer = tr.Tracer("bench", recorder=memory)
    root = tracer.start_span("root", tags=TAGS)
    for i in range(n - 1):
        tags = dict(TAGS, **{"http.url": URL % i})
        tracer.start_span("GET /items/%d" % (i % 16), child_of=root, tags=tags).finish()
    root.finish()
    return list(memory.spans)


def otel_spans(n: int) -> List[Any]:
    """``n`` ``ReadableSpan`` objects of the OpenTelemetry SDK, shaped like ours."""
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "bench"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("bench", "1.0")
    attributes = {k: v for k, v in TAGS.items() if k != "span.kind"}
    root = tracer.start_span("root", kind=trace.SpanKind.SERVER, attributes=attributes)
    context = trace.set_span_in_context(root)
    for i in range(n - 1):
        tracer.start_span(
            "GET /items/%d" % (i % 16),
            context=context,
            kind=trace.SpanKind.SERVER,
            attributes=dict(attributes, **{"http.url": URL % i}),
        ).end()
    root.end()
    return list(exporter.get_finished_spans())


def generated_classes(spans: Sequence[Any]) -> bytes:
    """Our spans mapped onto the ``opentelemetry-proto`` classes by hand, serialized."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
    from opentelemetry.proto.resource.v1.resource_pb2 import Resource
    from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

    def value(v: Any) -> AnyValue:
        if isinstance(v, bool):
            return AnyValue(bool_value=v)
        if isinstance(v, int):
            return AnyValue(int_value=v)
        if isinstance(v, float):
            return AnyValue(double_value=v)
        return AnyValue(string_value=str(v))

    kinds = {"server": 2, "client": 3, "producer": 4, "consumer": 5}
    out = []
    for s in spans:
        out.append(
            Span(
                trace_id=s.trace_id.to_bytes(16, "big"),
                span_id=s.span_id.to_bytes(8, "big"),
                parent_span_id=s.parent_id.to_bytes(8, "big") if s.parent_id else b"",
                name=s.operation_name,
                kind=kinds.get(s.tags.get("span.kind"), 1),  # type: ignore[arg-type]
                start_time_unix_nano=round(s.start_time * 1e6) * 1000,
                end_time_unix_nano=round(s.finish_time * 1e6) * 1000,
                attributes=[KeyValue(key=k, value=value(v)) for k, v in s.tags.items() if k != "span.kind"],
                flags=1,
            )
        )
    process = spans[0].process
    request = ExportTraceServiceRequest(
        resource_spans=[
            ResourceSpans(
                resource=Resource(attributes=[KeyValue(key=k, value=value(v)) for k, v in process.items()]),
                scope_spans=[ScopeSpans(scope=InstrumentationScope(name="traced"), spans=out)],
            )
        ]
    )
    return bytes(request.SerializeToString())


def check(body: bytes, n: int) -> None:
    """The bytes decode to ``n`` spans with 7 or 8 attributes each."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    request = ExportTraceServiceRequest.FromString(body)
    spans = [s for rs in request.resource_spans for ss in rs.scope_spans for s in ss.spans]
    if len(spans) != n or any(len(s.attributes) not in (7, 8) for s in spans):
        raise AssertionError("the encoding does not hold %d spans with their tags" % n)


def time_encode(encode: Callable[[], bytes], n: int) -> float:
    """Seconds for ``n`` calls of ``encode``."""
    start = time.perf_counter()
    for _ in repeat(None, n):
        encode()
    return time.perf_counter() - start


def lines() -> Dict[str, Optional[Callable[[], bytes]]]:
    """The encode statements, by label (None where one cannot be built, with the reason
    printed)."""
    from traced.export.otlp import _Encoder, encode_otlp

    ours = our_spans(BATCH)
    kept = _Encoder()
    result: Dict[str, Optional[Callable[[], bytes]]] = {
        "ours: encode_otlp (fresh encoder per batch)": lambda: encode_otlp(ours),
        "ours: encoder kept across batches (exporter)": lambda: kept.encode(ours),
    }
    try:
        from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

        theirs = otel_spans(BATCH)
        result["OTel encode_spans + SerializeToString"] = lambda: encode_spans(theirs).SerializeToString()
    except Exception as exc:
        print("  OTel encoder: n/a (%s)" % error_text(exc))
        result["OTel encode_spans + SerializeToString"] = None
    try:
        generated_classes(ours)
        result["generated classes built by hand"] = lambda: generated_classes(ours)
    except Exception as exc:
        print("  generated classes: n/a (%s)" % error_text(exc))
        result["generated classes built by hand"] = None
    return result


def main(argv: List[str]) -> int:
    parser = timing_parser(
        __doc__,
        "accepted for run_all.py; the peers need no pip and always run",
        "rounds of all lines",
        "timings of each line per round",
    )
    args = parser.parse_args(argv)
    apply_defaults(args)
    statements = lines()
    best: Dict[str, Optional[float]] = {}
    missing: List[str] = []
    calls: Dict[str, int] = {}
    for label, encode in statements.items():
        if encode is None:
            best[label] = None
            missing.append(label)
            continue
        try:
            check(encode(), BATCH)
        except Exception as exc:
            print("  %s: n/a (%s)" % (label, error_text(exc)))
            best[label] = None
            missing.append(label)
            continue
        calls[label] = 1
        while time_encode(encode, calls[label]) < args.batch_seconds and calls[label] < 10_000:
            calls[label] *= 2
        best[label] = float("inf")
    for _ in range(args.rounds):
        for _ in range(args.repeat):
            for label, n in calls.items():
                encode = statements[label]
                assert encode is not None
                with gc_paused():
                    seconds = time_encode(encode, n)
                best[label] = min(best[label] or float("inf"), seconds / n)
    ours_label = next(iter(statements))
    ours = best[ours_label]
    print("OTLP encoding of %d spans with 8 tags, one core" % BATCH)
    print("  %-48s %12s %8s" % ("line", "spans/s", "ours is"))
    rate: Dict[str, Optional[float]] = {}
    for label, per_call in best.items():
        rate[label] = BATCH / per_call if per_call else None
    for label, spans_per_second in rate.items():
        ours_rate = rate[ours_label]
        ratio = ours_rate / spans_per_second if ours_rate and spans_per_second else None
        print("  %-48s %12s %7sx" % (label, fmt(spans_per_second, 12, 0), fmt(ratio, 7, 2)))
    verdict = "ok" if ours and BATCH / ours >= TARGET else "MISSED"
    print("target: ours >= %d spans/s  %s" % (TARGET, verdict if ours else "n/a"))
    return exit_status(missing)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
